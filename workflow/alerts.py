"""E-mail alerts of the public portal: a member of the public follows a body (its new public papers and
results) or a search (the filters of the search page) by e-mail, without an account.

Double opt-in: ``subscribe`` stores the address only when the form was sent with consent and writes the
event for the confirmation mail; only ``confirm`` (the link of that mail, valid ``CONFIRM_WITHIN``) makes
alerts go out. ``unsubscribe`` (the link in every alert) deletes the address with everything mailed to it
for the subscription. An unconfirmed subscription is deleted when its link expires (``purge``).

What an alert may contain is decided by ``workflow.publication`` alone: ``due_alerts`` asks it for the papers
and results that became public since the confirmation, and ``record_sent`` notes what was mailed, so no item
is mailed to a subscription twice. Each use case is one transaction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

from sqlalchemy import ColumnElement, Select, delete, func, or_, select
from sqlalchemy.orm import Session, selectinload, sessionmaker

from workflow.audit import emit
from workflow.db import transaction
from workflow.errors import DomainError, NotFound, RuleViolation
from workflow.models import (
    AgendaItem,
    AlertRequest,
    AlertSent,
    AlertSubscription,
    Body,
    Consultation,
    Department,
    ItemResult,
    MailDelivery,
    Meeting,
    MeetingBody,
    Municipality,
    Paper,
)
from workflow.publication import (
    DECISION_STATES,
    agenda_item_is_public,
    decided_in_private_clause,
    paper_is_public,
)
from workflow.queries import result_text
from workflow.search import matches
from workflow.store import clock
from workflow.vocabulary import MeetingState, PaperKind, PaperState

#: How long the confirmation link is valid; an unconfirmed subscription is deleted afterwards.
CONFIRM_WITHIN = dt.timedelta(hours=48)
#: Subscription requests per address within the window (each may send one confirmation mail) …
REQUEST_LIMIT = 3
#: … after which the address waits; the hashed address is forgotten after the window.
REQUEST_WINDOW = dt.timedelta(hours=24)
#: The filters of the search page that an alert of a search keeps (the names of its query parameters).
SEARCH_FIELDS = ("q", "status", "art", "gremium", "fachamt", "von", "bis")
#: Dedupe keys of the alert mails (``workers.alert_jobs``); deleted with the subscription.
CONFIRMATION_KEY = "alert-confirm:{id}"
ALERT_KEY_PREFIX = "alert:{id}:"

_EMAIL = re.compile(r"^[^@\s<>,;\"()\[\]\\]+@[^@\s<>,;\"()\[\]\\]+\.[^@\s<>,;\"()\[\]\\]{2,}$")


class AlertInputInvalid(RuleViolation):
    """Input of the subscription form that cannot be used; ``field`` names the form field."""

    code = "alert_input_invalid"

    def __init__(self, message: str, *, german: str, field: str) -> None:
        super().__init__(message, german=german, field=field)
        self.field = field


class TooManyAlertRequests(DomainError):
    """HTTP 429: the address asked for too many subscriptions lately (the form cannot spam anyone)."""

    code = "too_many_alert_requests"

    def __init__(self) -> None:
        hours = int(REQUEST_WINDOW.total_seconds() // 3600)
        super().__init__(
            "Too many subscription requests for this address; try again later",
            german=(
                "Für diese E-Mail-Adresse wurden in letzter Zeit zu viele Benachrichtigungen bestellt. "
                f"Bitte versuchen Sie es in {hours} Stunden erneut."
            ),
            field="email",
        )
        self.field = "email"


class AlertLinkInvalid(NotFound):
    """A confirmation or unsubscribe link that names no subscription (never sent, or already deleted)."""

    code = "alert_link_invalid"


class AlertLinkExpired(RuleViolation):
    code = "alert_link_expired"


# ------------------------------------------------------------------------------------------- input


def normalise_email(value: str) -> str:
    """The address as stored (the domain in lower case), or AlertInputInvalid with a German message."""
    address = value.strip()
    if not address:
        raise AlertInputInvalid(
            "e-mail address missing", german="Bitte geben Sie Ihre E-Mail-Adresse an.", field="email"
        )
    if len(address) > 254 or not _EMAIL.match(address):
        raise AlertInputInvalid(
            "not an e-mail address",
            german="Bitte geben Sie eine gültige E-Mail-Adresse an, zum Beispiel name@beispiel.de.",
            field="email",
        )
    local, domain = address.rsplit("@", 1)
    return f"{local}@{domain.lower()}"


def clean_search(values: Mapping[str, str]) -> dict[str, str]:
    """The given filters of the search page, checked as the search page checks them."""
    search = {name: values[name].strip() for name in SEARCH_FIELDS if values.get(name, "").strip()}
    if len(search.get("q", "")) > 200 or "\x00" in search.get("q", ""):
        raise AlertInputInvalid(
            "search text too long", german="Der Suchtext ist zu lang (höchstens 200 Zeichen).", field="q"
        )
    if "status" in search and search["status"] not in {s.value for s in PaperState}:
        del search["status"]
    if "art" in search and search["art"] not in {k.value for k in PaperKind}:
        del search["art"]
    for name, label in (("von", "Datum von"), ("bis", "Datum bis")):
        if name in search:
            try:
                dt.date.fromisoformat(search[name])
            except ValueError:
                raise AlertInputInvalid(
                    f"{label} is not a date", german=f"{label}: bitte ein Datum wie 2013-10-28.", field=name
                ) from None
    return search


def search_target(search: Mapping[str, str]) -> str:
    return "suche:" + urlencode(sorted(search.items()))


def body_target(body: Body) -> str:
    return f"gremium:{body.key}"


def _address_hash(email: str) -> str:
    return hashlib.sha256(email.lower().encode()).hexdigest()


def _by_key(session: Session, model: type[Body] | type[Department], town_id: int, key: str) -> int | None:
    return session.scalars(select(model.id).where(model.municipality_id == town_id, model.key == key)).first()


# --------------------------------------------------------------------------------------- use cases


def subscribe(
    sessions: sessionmaker[Session],
    *,
    town_id: int,
    email: str,
    consent: bool,
    body_key: str | None = None,
    search: Mapping[str, str] | None = None,
    now: dt.datetime | None = None,
) -> int | None:
    """Store a subscription to a body or a search and send the confirmation mail (an outbox event).

    Returns the new subscription's id, or None when the address already follows the same thing (confirmed,
    or waiting for its confirmation): nothing is stored or sent then, and the page says the same either way,
    so the form does not tell whether an address subscribed."""
    now = clock(now)
    address = normalise_email(email)
    if not consent:
        raise AlertInputInvalid(
            "consent missing",
            german="Bitte stimmen Sie zu, dass wir Ihre E-Mail-Adresse für die Benachrichtigung speichern.",
            field="zustimmung",
        )
    with transaction(sessions) as session:
        body_id: int | None = None
        cleaned: dict[str, str] | None = None
        if body_key is not None:
            body_id = _by_key(session, Body, town_id, body_key)
            if body_id is None:
                raise NotFound(f"body {body_key} not found", german=f"Das Gremium „{body_key}“ gibt es nicht")
            target = f"gremium:{body_key}"
        else:
            cleaned = clean_search(search or {})
            if "gremium" in cleaned and _by_key(session, Body, town_id, cleaned["gremium"]) is None:
                raise AlertInputInvalid(
                    "unknown body", german="Dieses Gremium gibt es nicht.", field="gremium"
                )
            if "fachamt" in cleaned and _by_key(session, Department, town_id, cleaned["fachamt"]) is None:
                raise AlertInputInvalid(
                    "unknown department", german="Dieses Fachamt gibt es nicht.", field="fachamt"
                )
            target = search_target(cleaned)
        key = _address_hash(address)
        session.execute(delete(AlertRequest).where(AlertRequest.requested_at <= now - REQUEST_WINDOW))
        recent = session.scalar(
            select(func.count(AlertRequest.id)).where(
                AlertRequest.address_hash == key, AlertRequest.requested_at > now - REQUEST_WINDOW
            )
        )
        if (recent or 0) >= REQUEST_LIMIT:
            raise TooManyAlertRequests()
        session.add(AlertRequest(address_hash=key, requested_at=now))
        existing = session.scalars(
            select(AlertSubscription).where(
                AlertSubscription.municipality_id == town_id,
                AlertSubscription.email == address,
                AlertSubscription.target == target,
            )
        ).one_or_none()
        if existing is not None:
            if existing.confirmed_at is not None or not _expired(existing, now):
                return None
            _delete(session, existing)
            session.flush()
        row = AlertSubscription(
            municipality_id=town_id,
            email=address,
            target=target,
            body_id=body_id,
            search=cleaned,
            token=secrets.token_urlsafe(32),
            created_at=now,
        )
        session.add(row)
        session.flush()
        emit(session, "AlertSubscriptionRequested", now, subscription_id=row.id)
        return row.id


def _expired(row: AlertSubscription, now: dt.datetime) -> bool:
    return row.confirmed_at is None and row.created_at + CONFIRM_WITHIN <= now


def _by_token(session: Session, token: str) -> AlertSubscription:
    row = None
    if 20 <= len(token) <= 64:
        row = session.scalars(
            select(AlertSubscription).where(AlertSubscription.token == token).with_for_update()
        ).one_or_none()
    if row is None:
        raise AlertLinkInvalid(
            "no alert subscription for this link",
            german=(
                "Zu diesem Link gibt es keine Benachrichtigung (mehr). Vielleicht wurde sie schon abbestellt; "
                "Ihre E-Mail-Adresse ist dann nicht mehr gespeichert"
            ),
        )
    return row


@dataclass(frozen=True)
class Subscription:
    """What a confirmation or unsubscribe page says about the subscription."""

    email: str
    title: str


def describe(session: Session, row: AlertSubscription) -> str:
    """'Gremium Stadtverordnetenversammlung' or 'Vorlagensuche „Stadthalle“ (Gremium: stvv)'."""
    if row.body_id is not None:
        return f"Gremium {session.get_one(Body, row.body_id).name}"
    search = dict(row.search or {})
    words = search.pop("q", "")
    title = f"Vorlagensuche „{words}“" if words else "Vorlagensuche"
    labels = {"status": "Stand", "art": "Art", "gremium": "Gremium", "fachamt": "Fachamt"}
    labels |= {"von": "Datum von", "bis": "Datum bis"}
    extra = ", ".join(f"{labels[name]}: {value}" for name, value in search.items())
    return f"{title} ({extra})" if extra else title


def confirm(sessions: sessionmaker[Session], *, token: str, now: dt.datetime | None = None) -> Subscription:
    """The link of the confirmation mail: alerts go out from now on (confirming twice changes nothing)."""
    now = clock(now)
    with transaction(sessions) as session:
        row = _by_token(session, token)
        if _expired(row, now):
            raise AlertLinkExpired(
                "the confirmation link has expired",
                german=(
                    "Der Bestätigungslink ist abgelaufen (er gilt "
                    f"{int(CONFIRM_WITHIN.total_seconds() // 3600)} Stunden). Bitte bestellen Sie die "
                    "Benachrichtigung noch einmal; Ihre Adresse wird ohne Bestätigung gelöscht."
                ),
            )
        if row.confirmed_at is None:
            row.confirmed_at = now
        return Subscription(row.email, describe(session, row))


def unsubscribe(sessions: sessionmaker[Session], *, token: str) -> Subscription:
    """The link in every alert: deletes the subscription, its address and what was mailed to it for it."""
    with transaction(sessions) as session:
        row = _by_token(session, token)
        gone = Subscription(row.email, describe(session, row))
        _delete(session, row)
        return gone


def _delete(session: Session, row: AlertSubscription) -> None:
    """The subscription with its records of sent items and of its mails (which name the address)."""
    session.execute(
        delete(MailDelivery).where(
            MailDelivery.recipient == row.email,
            or_(
                MailDelivery.dedupe_key == CONFIRMATION_KEY.format(id=row.id),
                MailDelivery.dedupe_key.startswith(ALERT_KEY_PREFIX.format(id=row.id), autoescape=True),
            ),
        )
    )
    session.execute(delete(AlertSent).where(AlertSent.subscription_id == row.id))
    session.delete(row)


def purge(sessions: sessionmaker[Session], *, now: dt.datetime | None = None) -> int:
    """Delete the subscriptions never confirmed in time and the expired request counts; returns how many
    subscriptions went."""
    now = clock(now)
    with transaction(sessions) as session:
        stale = session.scalars(
            select(AlertSubscription).where(
                AlertSubscription.confirmed_at.is_(None),
                AlertSubscription.created_at <= now - CONFIRM_WITHIN,
            )
        ).all()
        for row in stale:
            _delete(session, row)
        session.execute(delete(AlertRequest).where(AlertRequest.requested_at <= now - REQUEST_WINDOW))
        return len(stale)


# ------------------------------------------------------------------------------------------ alerts


@dataclass(frozen=True)
class AlertItem:
    """A paper that became public, or a public result (with its TOP and meeting)."""

    key: str
    paper: Paper | None
    item: AgendaItem | None = None
    text: str = ""
    provisional: bool = False


@dataclass(frozen=True)
class Alert:
    subscription_id: int
    email: str
    token: str
    town_key: str
    title: str
    items: Sequence[AlertItem]


def pending_confirmation(session: Session, subscription_id: int) -> tuple[AlertSubscription, str, str] | None:
    """The subscription still waiting for its confirmation, with its municipality's key and its title
    (None when it was confirmed or deleted meanwhile)."""
    row = session.get(AlertSubscription, subscription_id)
    if row is None or row.confirmed_at is not None:
        return None
    return row, session.get_one(Municipality, row.municipality_id).key, describe(session, row)


def _search_clause(session: Session, town_id: int, search: Mapping[str, str]) -> list[ColumnElement[bool]]:
    """The filters of the search page, for the public (as ``api.paper_search.search_papers`` applies them
    to a caller without a login)."""
    where: list[ColumnElement[bool]] = []
    if status := search.get("status"):
        where.append(Paper.state == status)
        if PaperState(status) in DECISION_STATES:
            where.append(~decided_in_private_clause())
    if kind := search.get("art"):
        where.append(Paper.kind == kind)
    if department := search.get("fachamt"):
        where.append(Paper.department_id == (_by_key(session, Department, town_id, department) or -1))
    if body := search.get("gremium"):
        body_id = _by_key(session, Body, town_id, body) or -1
        where.append(Paper.id.in_(select(Consultation.paper_id).where(Consultation.body_id == body_id)))
    if start := search.get("von"):
        where.append(Paper.paper_date >= dt.date.fromisoformat(start))
    if end := search.get("bis"):
        where.append(Paper.paper_date <= dt.date.fromisoformat(end))
    if words := search.get("q"):
        where.append(matches(words, session.get_bind().dialect.name))
    return where


def search_query(session: Session, town_id: int, search: Mapping[str, str]) -> Select[Paper]:
    """The public papers a search of the search page finds (the filters as ``clean_search`` keeps them)."""
    return select(Paper).where(
        Paper.municipality_id == town_id, paper_is_public(), *_search_clause(session, town_id, search)
    )


def _papers(query: Select[Paper], session: Session, sent: set[str]) -> list[AlertItem]:
    return [
        AlertItem(key=f"paper:{p.id}", paper=p)
        for p in session.scalars(query.order_by(Paper.submitted_at, Paper.id))
        if f"paper:{p.id}" not in sent
    ]


def _new_items(session: Session, row: AlertSubscription, sent: set[str]) -> list[AlertItem]:
    assert row.confirmed_at is not None
    public_papers = select(Paper).where(Paper.municipality_id == row.municipality_id, paper_is_public())
    if row.body_id is None:
        # A paper that newly appears in the search or changed since (a new state, a decision).
        query = search_query(session, row.municipality_id, row.search or {})
        return _papers(query.where(Paper.modified_at >= row.confirmed_at), session, sent)
    in_body = Paper.id.in_(select(Consultation.paper_id).where(Consultation.body_id == row.body_id))
    items = _papers(public_papers.where(in_body, Paper.submitted_at >= row.confirmed_at), session, sent)
    results = session.scalars(
        select(AgendaItem)
        .join(ItemResult, ItemResult.agenda_item_id == AgendaItem.id)
        .join(Meeting, Meeting.id == AgendaItem.meeting_id)
        .where(
            Meeting.municipality_id == row.municipality_id,
            AgendaItem.meeting_id.in_(
                select(MeetingBody.meeting_id).where(MeetingBody.body_id == row.body_id)
            ),
            agenda_item_is_public(),
            ItemResult.recorded_at >= row.confirmed_at,
        )
        .options(
            selectinload(AgendaItem.consultation).selectinload(Consultation.paper),
            selectinload(AgendaItem.meeting),
        )
        .order_by(Meeting.start, AgendaItem.order)
    )
    for item in results:
        if f"result:{item.id}" not in sent:
            items.append(
                AlertItem(
                    key=f"result:{item.id}",
                    paper=item.consultation.paper if item.consultation else None,
                    item=item,
                    text=result_text(item),
                    provisional=item.meeting.state != MeetingState.minutes_approved,
                )
            )
    return items


def due_alerts(session: Session) -> list[Alert]:
    """For every confirmed subscription, what became public since its confirmation and was not mailed to
    it yet (subscriptions with nothing new are left out)."""
    rows = session.scalars(
        select(AlertSubscription)
        .where(AlertSubscription.confirmed_at.is_not(None))
        .order_by(AlertSubscription.id)
    ).all()
    sent: dict[int, set[str]] = {}
    for subscription_id, key in session.execute(select(AlertSent.subscription_id, AlertSent.item_key)):
        sent.setdefault(subscription_id, set()).add(key)
    towns: dict[int, str] = {
        row.id: row.key for row in session.execute(select(Municipality.id, Municipality.key))
    }
    alerts = []
    for row in rows:
        items = _new_items(session, row, sent.get(row.id, set()))
        if items:
            alerts.append(
                Alert(row.id, row.email, row.token, towns[row.municipality_id], describe(session, row), items)
            )
    return alerts


def record_sent(
    sessions: sessionmaker[Session],
    *,
    subscription_id: int,
    item_keys: Sequence[str],
    now: dt.datetime | None = None,
) -> None:
    """Note the items mailed to a subscription (nothing when it was deleted meanwhile)."""
    now = clock(now)
    with transaction(sessions) as session:
        if session.get(AlertSubscription, subscription_id) is None:
            return
        known = set(
            session.scalars(select(AlertSent.item_key).where(AlertSent.subscription_id == subscription_id))
        )
        for key in dict.fromkeys(item_keys):
            if key not in known:
                session.add(AlertSent(subscription_id=subscription_id, item_key=key, sent_at=now))
