"""One job context per process: engine, session factory, mail transport and this process's LibreOffice
profile. Created lazily after a fork (a prefork child must not share its parent's connections)."""

from __future__ import annotations

import os

from workers.context import Context
from workers.delivery import transport_for
from workers.settings import WorkerSettings
from workflow.db import Settings, make_engine, make_session_factory

_contexts: dict[int, Context] = {}
_defaults: dict[str, object] = {}


def configure(*, database_url: str | None = None, settings: WorkerSettings | None = None) -> None:
    """What ``context()`` uses instead of the environment (``gremienlauf worker`` options, tests)."""
    _defaults.update({"database_url": database_url, "settings": settings})
    _contexts.clear()


def context() -> Context:
    """This process's job context (built on first use in each process)."""
    pid = os.getpid()
    ctx = _contexts.get(pid)
    if ctx is None:
        settings = _defaults.get("settings") or WorkerSettings()
        assert isinstance(settings, WorkerSettings)
        url = str(_defaults.get("database_url") or Settings().database_url)
        engine = (
            make_engine(url, pool_size=2, max_overflow=2) if url.startswith("postgres") else make_engine(url)
        )
        ctx = Context(
            sessions=make_session_factory(engine),
            settings=settings,
            transport=transport_for(settings),
        )
        _contexts[pid] = ctx
    return ctx
