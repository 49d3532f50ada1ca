"""The app the browser tests run in uvicorn (a subprocess): on the database of ``GREMIENLAUF_DATABASE_URL``,
with the clock standing at ``GREMIENLAUF_TEST_NOW`` (ISO), so the world and its screenshots do not move; or,
with ``GREMIENLAUF_TEST_CLOCK_FILE`` set, at the moment (ISO) written in that file, which the test moves on."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from fastapi import FastAPI

from api.app import create_app


def app() -> FastAPI:
    clock_file = os.environ.get("GREMIENLAUF_TEST_CLOCK_FILE")
    if clock_file:
        path = Path(clock_file)
        return create_app(clock=lambda: dt.datetime.fromisoformat(path.read_text().strip()))
    now = dt.datetime.fromisoformat(os.environ["GREMIENLAUF_TEST_NOW"])
    return create_app(clock=lambda: now)
