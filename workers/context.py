"""What a job needs, in the Celery worker and in the in-process worker alike."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from workers.delivery import FolderTransport, SmtpTransport
from workers.settings import WorkerSettings
from workflow.models import utcnow

Sessions = sessionmaker[Session]


@dataclass
class Context:
    """What a job needs: the database, the settings, where mail goes, the clock and the PDF profile."""

    sessions: Sessions
    settings: WorkerSettings
    transport: SmtpTransport | FolderTransport
    clock: Callable[[], dt.datetime] = utcnow
    profile_dir: Path | None = None
    extra: dict[str, Any] = field(default_factory=dict)


#: A job: the context, the outbox message's id and its payload.
Job = Callable[[Context, int, Mapping[str, Any]], None]
