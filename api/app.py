"""The FastAPI application: ``create_app()`` wires the database, the routes and the error handlers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from fastapi import FastAPI

from api import errors
from api.routes import auth, meetings, papers
from workflow.db import make_engine, make_session_factory
from workflow.models import utcnow

DESCRIPTION = """
gremienlauf carries council papers (Beschlussvorlagen) through their Beratungsfolge.

Log in with `POST /api/v1/auth/token` and send the token as `Authorization: Bearer …`. Without a token you
see what the public sees. Errors always come as `{"error": code, "message": …, "details": …}`; where it
helps, `details.german` says the same in German.
"""


def create_app(database_url: str | None = None, *, clock: Callable[[], dt.datetime] = utcnow) -> FastAPI:
    """The app on ``database_url`` (default: the setting); ``clock`` gives "now" to every use case."""
    app = FastAPI(title="gremienlauf", version="0.1.0", description=DESCRIPTION)
    app.state.clock = clock
    engine = make_engine(database_url)
    app.state.engine = engine
    app.state.sessions = make_session_factory(engine)
    errors.install(app)
    app.include_router(auth.router)
    app.include_router(papers.router)
    app.include_router(meetings.router)
    return app
