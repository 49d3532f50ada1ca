"""The app the browser tests run in uvicorn (a subprocess): on the database of ``GREMIENLAUF_DATABASE_URL``,
with the clock standing at ``GREMIENLAUF_TEST_NOW`` (ISO), so the world and its screenshots do not move."""

from __future__ import annotations

import datetime as dt
import os

from fastapi import FastAPI

from api.app import create_app


def app() -> FastAPI:
    now = dt.datetime.fromisoformat(os.environ["GREMIENLAUF_TEST_NOW"])
    return create_app(clock=lambda: now)
