# One image for every gremienlauf process: migrations, API, Celery workers, beat and the demo.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
# LibreOffice Writer (headless) makes the PDF derivatives of the Word documents in the workers.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libreoffice-writer-nogui fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# Installed as a package, the documents code finds its Word templates here.
ENV GREMIENLAUF_TEMPLATES_DIR=/app/templates_docx
COPY pyproject.toml README.md ./
COPY workflow ./workflow
COPY gremienlauf ./gremienlauf
COPY api ./api
COPY workers ./workers
COPY templates_docx ./templates_docx
RUN pip install --no-cache-dir .
RUN useradd --create-home gremienlauf
USER gremienlauf
ENTRYPOINT ["gremienlauf"]
CMD ["--help"]
