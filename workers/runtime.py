"""One job context per process: engine, session factory, mail transport and this process's LibreOffice
profile. Created lazily after a fork (a prefork child must not share its parent's connections)."""

from __future__ import annotations

import os
from pathlib import Path

from workers.delivery import transport_for
from workers.jobs import Context
from workers.settings import WorkerSettings
from workflow.db import make_engine, make_session_factory

_contexts: dict[int, Context] = {}


def context(database_url: str | None = None, settings: WorkerSettings | None = None) -> Context:
    pid = os.getpid()
    ctx = _contexts.get(pid)
    if ctx is None:
        settings = settings or WorkerSettings()
        engine = (
            make_engine(database_url, pool_size=2, max_overflow=2)
            if _is_pg(database_url)
            else make_engine(database_url)
        )
        ctx = Context(
            sessions=make_session_factory(engine),
            settings=settings,
            transport=transport_for(settings),
            # LibreOffice hands a conversion to a running instance with the same profile and exits before
            # the PDF exists: one profile per worker process.
            profile_dir=Path(settings.pdf_profile_root).resolve() / f"worker-{pid}",
        )
        _contexts[pid] = ctx
    return ctx


def _is_pg(url: str | None) -> bool:
    from workflow.db import Settings

    return (url or Settings().database_url).startswith(("postgres", "postgresql"))
