# One image for every gremienlauf process (migrations and demo now; API and workers when they land).
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY workflow ./workflow
COPY gremienlauf ./gremienlauf
COPY api ./api
COPY workers ./workers
RUN pip install --no-cache-dir .
RUN useradd --create-home gremienlauf
USER gremienlauf
ENTRYPOINT ["gremienlauf"]
CMD ["--help"]
