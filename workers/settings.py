"""Settings of the worker side (prefix ``GREMIENLAUF_``): broker, SMTP, mail folder, reminders, feeds.

The database URL stays in ``workflow.db.Settings``; every process reads both.
"""

from __future__ import annotations

from typing import Literal

from pydantic_settings import BaseSettings, SettingsConfigDict


class WorkerSettings(BaseSettings):
    """Read from the environment; defaults give the embedded mode (no Redis: in-process worker, mail files)."""

    model_config = SettingsConfigDict(env_prefix="GREMIENLAUF_", extra="ignore")

    # Celery broker. Unset: the embedded default runs the same tasks in an in-process worker.
    redis_url: str | None = None
    # Queue names start with this prefix, so several installations (or test runs) can share one Redis.
    queue_prefix: str = "gremienlauf"
    # Seconds before Redis hands an unacknowledged task (worker died) to another worker.
    visibility_timeout: int = 3600

    # Mail: with smtp_host set, mail goes over SMTP; otherwise each mail is written to mail_dir as .eml.
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_security: Literal["none", "starttls", "ssl"] = "none"
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_timeout: float = 30.0
    mail_sender: str = "Sitzungsdienst <sitzungsdienst@gremienlauf.example>"
    mail_dir: str = "var/mail"
    # A claimed mail whose worker died is taken over after this many seconds (see MailDelivery).
    mail_lease_seconds: int = 600

    # Retries of a failed task (SMTP down, database busy): exponential backoff from ``retry_backoff``
    # seconds up to ``retry_backoff_max``. ``max_retries`` unset: until it works (a mail server down over a
    # weekend must not lose the invitations; a mail the server refuses for good is not retried at all). A
    # number makes the Celery task give up after that many retries (its mails stay ``failed``).
    retry_backoff: int = 10
    retry_backoff_max: int = 600
    max_retries: int | None = None

    # Reminders: to the coordination office this many hours before a meeting's invitation deadline; to a
    # body's secretaries when a held meeting has no results this many days after it. Members are reminded
    # by the offsets of their body (profile setting ``reminder_offsets_days``, default 7 and 1 day).
    reminder_invitation_hours: int = 48
    results_overdue_days: int = 3

    # Beat: how often the outbox relay sweeps for events left behind, and how often due reminders are scanned.
    relay_interval: float = 5.0
    # With Redis: the API process hands each event to Celery right after its commit (a relay thread). Off,
    # beat's sweep hands them over every ``relay_interval`` seconds instead: a few seconds later, but the
    # API processes spend no CPU on it (for installations where the API is the bottleneck).
    api_relay: bool = True
    reminder_interval: float = 60.0
    # E-mail alerts of the portal: how often (seconds) beat, or the in-process worker, mails what became
    # public since the last run to the confirmed subscriptions (one mail per subscription and run).
    alert_interval: float = 3600.0
    # Nightly OParl import: with an hour set (0–23, Europe/Berlin), beat re-imports every source imported
    # before (``gremienlauf import oparl``) once a day, so the old and the new system can run side by side.
    oparl_import_hour: int | None = None

    # PDF derivatives of the Word documents by LibreOffice (when installed); where it keeps one profile per
    # worker process.
    pdf_enabled: bool = True
    pdf_profile_root: str = "var/libreoffice"
    pdf_batch_size: int = 20  # documents per LibreOffice call (its start-up dominates)
    # Public address of the API, used for links in mails and feed URLs.
    public_url: str = "http://127.0.0.1:8000"
