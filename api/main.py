"""The ASGI application for uvicorn (``uvicorn api.main:app``); settings come from the environment.

The app hands the outbox to the workers while it runs (Celery on Redis with ``GREMIENLAUF_REDIS_URL``,
otherwise the in-process worker of the embedded default)."""

from api.app import create_app
from workers.settings import WorkerSettings

app = create_app(workers=WorkerSettings(), freeze_gc=True)
