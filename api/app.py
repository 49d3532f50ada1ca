"""The FastAPI application: ``create_app()`` wires the database, the routes and the error handlers."""

from __future__ import annotations

import datetime as dt
import gc
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import anyio
from fastapi import FastAPI

from api import errors, oparl, security
from api.live import InProcessBroker, LiveBroker, RedisBroker, watch
from api.routes import admin, auth, circulations, documents, feeds, meetings, papers, results
from api.schemas import ErrorOut
from api.settings import ApiSettings
from api.web import errors as web_errors
from api.web import wiring as web_pages
from workers.documents.generate import preview_document
from workflow.db import make_engine, make_session_factory
from workflow.models import utcnow

if TYPE_CHECKING:
    from workers.settings import WorkerSettings

DESCRIPTION = """
gremienlauf carries council papers (Beschlussvorlagen) through their Beratungsfolge.

Log in with `POST /api/v1/auth/token` and send the token as `Authorization: Bearer …`. Without a token you
see what the public sees. Errors always come as `{"error": code, "message": …, "details": …}`; where it
helps, `details.german` says the same in German.
"""


#: At most this many results are recorded at once, each in a thread of its own; the next requests wait for
#: a thread in the order they came. More threads would only share the process's one interpreter (the GIL)
#: in no particular order: at 32 secretaries at once with 40 threads a few results waited twice as long as
#: the median (p99 570-720 ms against p50 300 ms), with 8 the p99 was 400 ms at the same throughput
#: (docs/benchmarks.md). No request holds a database connection while it waits: the route's lookups close
#: their session before, and the use case opens its own in the thread.
RECORDING_THREADS = 8


def _started(freeze_gc: bool) -> None:
    if freeze_gc:
        gc.collect()  # what is garbage already is not kept for ever
        gc.freeze()


def create_app(
    database_url: str | None = None,
    *,
    clock: Callable[[], dt.datetime] = utcnow,
    engine_options: dict[str, Any] | None = None,
    public_url: str | None = None,
    workers: WorkerSettings | None = None,
    live: LiveBroker | None = None,
    freeze_gc: bool = False,
) -> FastAPI:
    """The app on ``database_url`` (default: the setting); ``clock`` gives "now" to every use case;
    ``engine_options`` go to SQLAlchemy (e.g. the pool size); ``public_url`` starts every OParl id
    (default: the setting ``GREMIENLAUF_PUBLIC_URL``). With ``workers``, the app hands the outbox
    to the workers while it runs: to Celery right after each commit (with Redis), or to the in-process
    worker (the embedded default). ``live`` tells the live pages of meetings of each change: by default
    over Redis pub/sub when ``GREMIENLAUF_REDIS_URL`` is set (several API processes), else within this
    process. ``freeze_gc`` is for the server process (``api.main``): once started,
    everything the process holds so far is left out of Python's garbage collection (``gc.freeze``).
    Otherwise each full collection walks the whole heap (modules, SQLAlchemy's and pydantic's caches)
    and stops every request for 70–140 ms, about once a second under load; frozen, it takes about 7 ms
    (docs/benchmarks.md). Not for tests that build many apps in one process: cycles among frozen
    objects are never freed."""
    engine = make_engine(database_url, **(engine_options or {}))
    sessions = make_session_factory(engine)

    settings = ApiSettings()
    if live is None:
        live = (
            RedisBroker(settings.redis_url, channel=settings.live_channel)
            if settings.redis_url
            else InProcessBroker()
        )
    watch(sessions, live)
    live_broker = live

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        background = None
        await live_broker.start()
        try:
            if workers is not None:
                from workers.background import start_background

                background = start_background(sessions, workers)
            _started(freeze_gc)
            yield
        finally:
            if background is not None:
                background.stop()
            await live_broker.stop()

    app = FastAPI(
        title="gremienlauf",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # security.install serves /docs under its own Content-Security-Policy
        redoc_url=None,
        telemetry=None if settings.telemetry else {"tracing": False, "metrics": False, "logs": False},
    )
    app.state.clock = clock
    app.state.engine = engine
    app.state.sessions = sessions
    app.state.recording_threads = anyio.CapacityLimiter(RECORDING_THREADS)
    app.state.live = live
    # The pages' Word preview of a draft renders like the workers, without storing (api/web/preview.py).
    app.state.document_preview = preview_document
    errors.install(app, pages=web_errors)
    for router in (
        auth.router,
        papers.router,
        meetings.router,
        results.router,
        circulations.router,
        documents.router,
        feeds.router,
        admin.router,
    ):
        app.include_router(router, responses=ERROR_RESPONSES)
    app.state.public_url = public_url or settings.public_url
    oparl.install(app, app.state.public_url)
    security.install(app)
    web_pages.install(app)  # after the API and OParl: its /{municipality}/… paths are tried last
    _document_optional_login(app)
    return app


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorOut, "description": description}
    for status, description in {
        400: "The request body is not valid JSON text",
        401: "Not logged in, or the token has expired",
        403: "Logged in, but this role may not do it",
        404: "Not found, or not visible to the caller",
        409: "Not allowed in the current state, or someone else was first",
        412: "The If-Match ETag is stale",
        422: "Invalid input, or a rule of the domain is broken",
        428: "If-Match is required",
        429: "Too many failed logins: wait for Retry-After seconds",
        503: "The server is busy; try again",
    }.items()
}


def _document_optional_login(app: FastAPI) -> None:
    """The bearer token is optional (the public reads without one): say so in the OpenAPI schema."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = build()
            for operations in schema.get("paths", {}).values():
                for operation in operations.values():
                    if operation.get("security") == [{"HTTPBearer": []}]:
                        operation["security"] = [{}, {"HTTPBearer": []}]
                    _document_headers(operation)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


ETAG_HEADER = {
    "description": 'Version of the paper, e.g. "v3"; send it back in If-Match to edit the draft',
    "schema": {"type": "string"},
}
REPLAYED_HEADER = {
    "description": "Present (true) when this is the stored first answer to a retry with the same Idempotency-Key",
    "schema": {"type": "string", "enum": ["true"]},
}


def _document_headers(operation: dict[str, Any]) -> None:
    """Response headers the routes set themselves: the paper's ETag, and the replay mark of idempotent POSTs."""
    idempotent = any(p.get("name") == "Idempotency-Key" for p in operation.get("parameters", []))
    for status, response in operation.get("responses", {}).items():
        if not status.startswith("2"):
            continue
        ref = response.get("content", {}).get("application/json", {}).get("schema", {}).get("$ref", "")
        headers = response.setdefault("headers", {})
        if ref.endswith("/PaperOut"):
            headers["ETag"] = ETAG_HEADER
        if idempotent:
            headers["Idempotent-Replayed"] = REPLAYED_HEADER
        if not headers:
            del response["headers"]
