"""Sending mail at most once per (reason, recipient), over SMTP or into a folder.

Each mail is *claimed* in the database (a ``MailDelivery`` row, unique per dedupe key and recipient) before
the SMTP conversation and marked *sent* after it, each in its own short transaction:

* a row already ``sent`` is skipped, so a task that runs twice sends nothing twice;
* a row ``claimed`` by a worker that is still inside its lease is left alone (the task retries later);
* a ``failed`` row, or a claim whose lease ran out (its worker died), is claimed again and sent;
* a ``rejected`` row (the server refused that recipient or that message for good, SMTP 5xx) is not tried
  again: the refusal is recorded in ``last_error`` and the task goes on, so one unknown address neither
  holds up the other mails nor keeps the event (and, on the embedded default, every later one) waiting.

The one window SMTP cannot close: a worker that dies after the server accepted the mail and before the
``sent`` mark. That mail goes out again after the lease, with the same Message-ID, which mail clients use to
show it once.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import smtplib
import ssl
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from workers.mail import Mail, message_id, to_message
from workers.settings import WorkerSettings
from workflow.db import transaction
from workflow.errors import Conflict
from workflow.models import MailDelivery, utcnow

log = logging.getLogger(__name__)


class MailNotDelivered(Exception):
    """Some mails could not be handed over (SMTP down, refused); the task retries with backoff."""


class MailBusy(Exception):
    """Another worker holds the claim of a mail; retry after ``retry_in`` seconds."""

    def __init__(self, retry_in: float) -> None:
        super().__init__(f"a mail is claimed by another worker; retry in {retry_in:.0f} s")
        self.retry_in = retry_in


class Connection(Protocol):
    def send(self, message: EmailMessage, recipient: str) -> None: ...


class _Smtp:
    def __init__(self, client: smtplib.SMTP, sender: str) -> None:
        self.client, self.sender = client, sender

    def send(self, message: EmailMessage, recipient: str) -> None:
        refused = self.client.send_message(message, from_addr=self.sender, to_addrs=[recipient])
        if refused:
            raise smtplib.SMTPRecipientsRefused(refused)


@dataclass
class SmtpTransport:
    """One SMTP connection per task (opened on first use); STARTTLS or implicit TLS and login from settings."""

    settings: WorkerSettings

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        s = self.settings
        assert s.smtp_host is not None
        sender = _address(s.mail_sender)
        if s.smtp_security == "ssl":
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                s.smtp_host, s.smtp_port, timeout=s.smtp_timeout, context=ssl.create_default_context()
            )
        else:
            client = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout)
        try:
            if s.smtp_security == "starttls":
                client.starttls(context=ssl.create_default_context())
            if s.smtp_user:
                client.login(s.smtp_user, s.smtp_password or "")
            yield _Smtp(client, sender)
        finally:
            try:
                client.quit()
            except (smtplib.SMTPException, OSError):
                client.close()


class _Folder:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def send(self, message: EmailMessage, recipient: str) -> None:
        # The file name comes from the Message-ID: the same mail twice is the same file.
        name = str(message["Message-ID"]).strip("<>").split("@", 1)[0] + ".eml"
        self.directory.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=self.directory, suffix=".tmp")
        with os.fdopen(handle, "wb") as out:
            out.write(message.as_bytes())
        os.replace(temporary, self.directory / name)


@dataclass
class FolderTransport:
    """The embedded default without an SMTP server: each mail becomes an .eml file in a folder."""

    directory: Path

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        yield _Folder(self.directory)


def transport_for(settings: WorkerSettings) -> SmtpTransport | FolderTransport:
    if settings.smtp_host:
        return SmtpTransport(settings)
    return FolderTransport(Path(settings.mail_dir))


def _address(sender: str) -> str:
    from email.utils import parseaddr

    return parseaddr(sender)[1]


@dataclass
class DeliveryReport:
    sent: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # sent (or refused for good) before
    failed: dict[str, str] = field(default_factory=dict)
    rejected: dict[str, str] = field(default_factory=dict)  # refused for good (5xx): not retried
    busy_until: dt.datetime | None = None


def _claim(
    sessions: sessionmaker[Session], dedupe_key: str, mail: Mail, now: dt.datetime, lease: dt.timedelta
) -> tuple[str, dt.datetime | None]:
    """'claimed', 'sent' (nothing to do) or 'busy' (with the lease's end)."""
    try:
        with transaction(sessions) as session:
            row = session.scalars(
                select(MailDelivery)
                .where(MailDelivery.dedupe_key == dedupe_key, MailDelivery.recipient == mail.recipient)
                .with_for_update()
            ).one_or_none()
            if row is None:
                session.add(
                    MailDelivery(
                        dedupe_key=dedupe_key,
                        recipient=mail.recipient,
                        state="claimed",
                        message_id=message_id(mail.key, mail.recipient),
                        subject=mail.subject[:500],
                        attempts=1,
                        lease_until=now + lease,
                        created_at=now,
                    )
                )
                return "claimed", None
            if row.state in ("sent", "rejected"):
                return "sent", None
            if row.state == "claimed" and row.lease_until is not None and row.lease_until > now:
                return "busy", row.lease_until
            row.state, row.attempts, row.lease_until = "claimed", row.attempts + 1, now + lease
            return "claimed", None
    except Conflict:
        # Another worker inserted the same claim at the same moment: it is theirs.
        return "busy", now + lease


def _permanent_reply(code: int, message: bytes | str) -> bool:
    """A 5xx about the recipient's mailbox (enhanced status 5.1.x, 5.2.x) or the message (5.6.x), or a
    plain 550/551/553. Not a 5xx about security or policy (5.7.x: relay denied, login required) or the mail
    system (5.3.x-5.5.x): those are the installation's settings, get fixed, and the mail then goes out."""
    if not 500 <= code < 600:
        return False
    text = message.decode("utf-8", "replace") if isinstance(message, bytes) else message
    enhanced = re.match(r"\s*5\.(\d{1,3})\.\d{1,3}\b", text)
    if enhanced:
        return enhanced.group(1) in ("1", "2", "6")
    return code in (550, 551, 553)


def _permanent(exc: smtplib.SMTPException) -> bool:
    """The server refused this recipient or this message for good: trying again sends nothing. A refused
    sender is not counted: that is the installation's fault and gets fixed."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        replies = list(exc.recipients.values())
        return bool(replies) and all(_permanent_reply(code, text) for code, text in replies)
    if isinstance(exc, smtplib.SMTPDataError):
        return _permanent_reply(exc.smtp_code, exc.smtp_error)
    return False


def _finish(
    sessions: sessionmaker[Session],
    dedupe_key: str,
    recipient: str,
    now: dt.datetime,
    error: str | None,
    *,
    permanent: bool = False,
) -> None:
    with transaction(sessions) as session:
        row = session.scalars(
            select(MailDelivery)
            .where(MailDelivery.dedupe_key == dedupe_key, MailDelivery.recipient == recipient)
            .with_for_update()
        ).one()
        if error is None:
            row.state, row.sent_at, row.lease_until, row.last_error = "sent", now, None, None
        else:
            row.state, row.lease_until, row.last_error = (
                ("rejected" if permanent else "failed"),
                None,
                error[:2000],
            )


def deliver(
    sessions: sessionmaker[Session],
    *,
    dedupe_key: str,
    mails: Sequence[Mail],
    settings: WorkerSettings,
    transport: SmtpTransport | FolderTransport,
    clock: Callable[[], dt.datetime] = utcnow,
) -> DeliveryReport:
    """Send each mail unless it was sent before; raise MailNotDelivered or MailBusy if any is left to do."""
    report = DeliveryReport()
    lease = dt.timedelta(seconds=settings.mail_lease_seconds)
    pending: list[Mail] = []
    for mail in mails:
        state, until = _claim(sessions, dedupe_key, mail, clock(), lease)
        if state == "sent":
            report.skipped.append(mail.recipient)
        elif state == "busy":
            assert until is not None
            report.busy_until = until if report.busy_until is None else min(report.busy_until, until)
        else:
            pending.append(mail)
    if pending:
        try:
            with transport.connect() as connection:
                for index, mail in enumerate(pending):
                    message = to_message(mail, sender=settings.mail_sender, now=clock())
                    try:
                        connection.send(message, mail.recipient)
                    except (
                        smtplib.SMTPRecipientsRefused,
                        smtplib.SMTPDataError,
                        smtplib.SMTPSenderRefused,
                    ) as exc:
                        permanent = _permanent(exc)
                        _finish(sessions, dedupe_key, mail.recipient, clock(), repr(exc), permanent=permanent)
                        if permanent:
                            log.warning("mail %s to %s refused for good: %r", dedupe_key, mail.recipient, exc)
                            report.rejected[mail.recipient] = repr(exc)
                        else:
                            report.failed[mail.recipient] = repr(exc)
                        continue
                    except (smtplib.SMTPException, OSError) as exc:
                        # The connection broke: this and every later mail of the batch wait for the retry.
                        for rest in pending[index:]:
                            _finish(sessions, dedupe_key, rest.recipient, clock(), repr(exc))
                            report.failed[rest.recipient] = repr(exc)
                        break
                    _finish(sessions, dedupe_key, mail.recipient, clock(), None)
                    report.sent.append(mail.recipient)
        except (smtplib.SMTPException, OSError) as exc:  # could not connect (server down) or log in
            for mail in pending:
                done = (report.sent, report.failed, report.rejected)
                if not any(mail.recipient in group for group in done):
                    _finish(sessions, dedupe_key, mail.recipient, clock(), repr(exc))
                    report.failed[mail.recipient] = repr(exc)
    if report.failed:
        raise MailNotDelivered(
            f"{len(report.failed)} of {len(mails)} mails not delivered ({dedupe_key}): "
            + next(iter(report.failed.values()))
        )
    if report.busy_until is not None:
        raise MailBusy(max(1.0, (report.busy_until - clock()).total_seconds()))
    return report
