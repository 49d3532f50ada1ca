"""E-mail alerts of the portal over a real SMTP server (aiosmtpd), on SQLite and PostgreSQL: subscribe, the
confirmation mail, the confirmation link, the alert of what became public (never what did not), no item
twice, the unsubscribe link and its header, and the address gone from the database afterwards."""

from __future__ import annotations

import datetime as dt
import re
from email.message import EmailMessage

import pytest
from sqlalchemy import JSON, String, func, select

from tests.conftest import Database
from tests.scenario import Scenario, berlin
from tests.workers.conftest import SmtpSink, make_context, worker_settings
from workers import alert_jobs
from workers.inprocess import drain
from workflow import alerts
from workflow.models import AlertRequest, AlertSent, AlertSubscription, MailDelivery
from workflow.rules import VoteInput
from workflow.vocabulary import Outcome

ADDRESS = "buergerin@example.org"
SECRET = "Zq9 Geheimsache Grundstückskauf"


def _plain(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def _token(message: EmailMessage, kind: str) -> str:
    match = re.search(rf"/wetzlar/benachrichtigungen/{kind}/([A-Za-z0-9_-]+)", _plain(message))
    assert match, f"no {kind} link in the mail"
    return match[1]


def _meeting_with_a_public_and_a_private_result(sc: Scenario) -> tuple[int, int]:
    """An SJS meeting with a public paper's TOP and a non-public paper's TOP, both results recorded."""
    public = sc.submitted_paper(committees=["sjs"], subject="Spielplatz am Dom – Erneuerung")
    private = sc.submitted_paper(committees=["sjs"], subject=SECRET, public=False)
    for paper in (public, private):
        sc.deal_with(paper.id, "magistrat", "2013-09-30 09:00", Outcome.recommended, VoteInput(12, 0, 0))
    meeting = sc.new_meeting("sjs", "2013-10-28 17:00")
    items = [sc.schedule(p.id, "sjs", meeting.id) for p in (public, private)]
    sc.invite(meeting.id)
    sc.attend(meeting.id)
    for item in items:
        sc.record(item.id, Outcome.recommended, VoteInput(9, 2, 2))
    return public.id, private.id


def _everything_mentioning(db: Database, address: str) -> list[str]:
    """Every column of every table holding the address anywhere (texts, JSON payloads of outbox and audit)."""
    found = []
    with db.engine.connect() as conn:
        for table in AlertSubscription.metadata.sorted_tables:
            for column in table.columns:
                if isinstance(column.type, (String, JSON)) or column.type.__class__.__name__ == "Variant":
                    values = conn.execute(select(column)).scalars().all()
                    if any(address in str(value).lower() for value in values):
                        found.append(f"{table.name}.{column.name}")
    return found


def test_subscribe_confirm_alert_unsubscribe_and_the_address_is_gone(db: Database, smtp: SmtpSink) -> None:
    sc = Scenario(db.sessions)
    ctx = make_context(db, worker_settings(smtp.port), clock=lambda: berlin("2013-09-01 10:05"))
    subscribed = alerts.subscribe(
        db.sessions,
        town_id=sc.town_id(),
        email=" buergerin@Example.ORG ",  # stored as buergerin@example.org
        consent=True,
        body_key="sjs",
        now=berlin("2013-09-01 10:00"),
    )
    assert subscribed is not None
    drain(ctx)
    [confirmation] = smtp.to(ADDRESS)
    assert "Bitte bestätigen" in str(confirmation["Subject"])
    assert "Sozial" in _plain(confirmation)  # names the body
    token = _token(confirmation, "bestaetigen")

    alerts.confirm(db.sessions, token=token, now=berlin("2013-09-01 12:00"))
    public_id, _private_id = _meeting_with_a_public_and_a_private_result(sc)
    ctx.clock = lambda: berlin("2013-10-29 07:00")
    assert alert_jobs.send_alerts(ctx) == 1

    [alert] = [m for m in smtp.to(ADDRESS) if m is not confirmation]
    body = _plain(alert)
    assert "Spielplatz am Dom – Erneuerung" in body  # the new public paper and its result …
    assert "Ergebnis TOP" in body
    assert "9 Ja / 2 Nein / 2 Enthaltungen" in body  # the votes, abstentions included
    assert "Zq9" not in body  # … never the non-public paper or its result
    assert "Zq9" not in (alert.get_body(preferencelist=("html",)) or alert).get_content()
    unsubscribe_url = f"http://127.0.0.1:8000/wetzlar/benachrichtigungen/abmelden/{token}"
    assert unsubscribe_url in body
    assert alert["List-Unsubscribe"] == f"<{unsubscribe_url}>"
    assert alert["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    with db.sessions() as s:
        sent = set(s.scalars(select(AlertSent.item_key)))
    assert f"paper:{public_id}" in sent
    assert len(sent) == 2

    # Nothing new: no second mail, and the same items never again.
    assert alert_jobs.send_alerts(ctx) == 0
    assert len(smtp.to(ADDRESS)) == 2

    gone = alerts.unsubscribe(db.sessions, token=_token(alert, "abmelden"))
    assert gone.email == ADDRESS
    with db.sessions() as s:
        assert s.scalar(select(func.count()).select_from(AlertSubscription)) == 0
        assert s.scalar(select(func.count()).select_from(AlertSent)) == 0
        assert (
            s.scalar(select(func.count()).select_from(MailDelivery).where(MailDelivery.recipient == ADDRESS))
            == 0
        )
        assert [r.address_hash for r in s.scalars(select(AlertRequest))] != [ADDRESS]
    assert _everything_mentioning(db, ADDRESS) == []
    with pytest.raises(alerts.AlertLinkInvalid) as unknown:
        alerts.unsubscribe(db.sessions, token=token)
    assert "keine Benachrichtigung" in unknown.value.german


def test_an_unconfirmed_subscription_gets_no_alert_and_is_deleted_when_its_link_expires(
    db: Database, smtp: SmtpSink
) -> None:
    sc = Scenario(db.sessions)
    now = berlin("2013-09-01 10:00")
    ctx = make_context(db, worker_settings(smtp.port), clock=lambda: now)
    alerts.subscribe(db.sessions, town_id=sc.town_id(), email=ADDRESS, consent=True, body_key="sjs", now=now)
    drain(ctx)
    [confirmation] = smtp.to(ADDRESS)
    _meeting_with_a_public_and_a_private_result(sc)
    assert alert_jobs.send_alerts(ctx) == 0
    assert smtp.to(ADDRESS) == [confirmation]

    later = now + alerts.CONFIRM_WITHIN + dt.timedelta(minutes=1)
    with pytest.raises(alerts.AlertLinkExpired) as expired:
        alerts.confirm(db.sessions, token=_token(confirmation, "bestaetigen"), now=later)
    assert "abgelaufen" in expired.value.german
    ctx.clock = lambda: later
    alert_jobs.send_alerts(ctx)  # purges
    assert _everything_mentioning(db, ADDRESS) == []
    with pytest.raises(alerts.AlertLinkInvalid):
        alerts.confirm(db.sessions, token=_token(confirmation, "bestaetigen"), now=later)


def test_a_search_alert_mails_public_papers_of_the_search_only(db: Database, smtp: SmtpSink) -> None:
    sc = Scenario(db.sessions)
    now = berlin("2013-09-01 10:00")
    ctx = make_context(db, worker_settings(smtp.port), clock=lambda: now)
    alerts.subscribe(
        db.sessions, town_id=sc.town_id(), email=ADDRESS, consent=True, search={"q": "Spielplätze"}, now=now
    )
    drain(ctx)
    alerts.confirm(db.sessions, token=_token(smtp.to(ADDRESS)[0], "bestaetigen"), now=now)
    sc.submitted_paper(subject="Neue Spielplätze in Büblingshausen", when="2013-09-10 10:00")
    sc.submitted_paper(subject="Spielplatz hinter dem Zq9-Grundstück", public=False, when="2013-09-10 10:00")
    sc.submitted_paper(subject="Haushaltssatzung 2014", when="2013-09-10 10:00")
    assert alert_jobs.send_alerts(ctx) == 1
    alert = smtp.to(ADDRESS)[-1]
    body = _plain(alert)
    assert "Neue Spielplätze in Büblingshausen" in body  # German stemming: Spielplätze ~ Spielplatz
    assert "Zq9" not in body
    assert "Haushaltssatzung" not in body
    assert "Vorlagensuche „Spielplätze“" in str(alert["Subject"])


def test_bad_input_gets_a_german_message_and_stores_nothing(db: Database) -> None:
    sc = Scenario(db.sessions)
    now = berlin("2013-09-01 10:00")
    for address in ("", "keine-adresse", "a@b", "zwei@@example.org", "x y@example.org"):
        with pytest.raises(alerts.AlertInputInvalid) as bad:
            alerts.subscribe(
                db.sessions, town_id=sc.town_id(), email=address, consent=True, body_key="sjs", now=now
            )
        assert bad.value.field == "email"
        assert "E-Mail-Adresse" in bad.value.german
    with pytest.raises(alerts.AlertInputInvalid) as no_consent:
        alerts.subscribe(
            db.sessions, town_id=sc.town_id(), email=ADDRESS, consent=False, body_key="sjs", now=now
        )
    assert no_consent.value.field == "zustimmung"
    with pytest.raises(alerts.AlertLinkInvalid):
        alerts.confirm(db.sessions, token="x" * 43, now=now)
    with db.sessions() as s:
        assert s.scalar(select(func.count()).select_from(AlertSubscription)) == 0


def test_an_address_can_be_sent_only_a_few_confirmation_mails_a_day(db: Database) -> None:
    sc = Scenario(db.sessions)
    now = berlin("2013-09-01 10:00")
    bodies = ["sjs", "stvv", "kfp", "magistrat"]
    for body in bodies[: alerts.REQUEST_LIMIT]:
        assert alerts.subscribe(
            db.sessions, town_id=sc.town_id(), email=ADDRESS, consent=True, body_key=body, now=now
        )
    with pytest.raises(alerts.TooManyAlertRequests) as limited:
        alerts.subscribe(
            db.sessions, town_id=sc.town_id(), email=ADDRESS, consent=True, body_key=bodies[-1], now=now
        )
    assert "zu viele" in limited.value.german
    later = now + alerts.REQUEST_WINDOW + dt.timedelta(seconds=1)
    assert alerts.subscribe(
        db.sessions, town_id=sc.town_id(), email=ADDRESS, consent=True, body_key=bodies[-1], now=later
    )
    # Asking again for what the address already waits for sends nothing new.
    assert (
        alerts.subscribe(
            db.sessions, town_id=sc.town_id(), email=ADDRESS, consent=True, body_key="sjs", now=later
        )
        is None
    )


def test_a_body_meeting_in_private_sends_its_public_papers_but_never_its_results(
    db: Database, smtp: SmtpSink
) -> None:
    sc = Scenario(db.sessions)
    now = berlin("2013-09-01 10:00")
    ctx = make_context(db, worker_settings(smtp.port), clock=lambda: now)
    alerts.subscribe(
        db.sessions, town_id=sc.town_id(), email=ADDRESS, consent=True, body_key="magistrat", now=now
    )
    drain(ctx)
    alerts.confirm(db.sessions, token=_token(smtp.to(ADDRESS)[0], "bestaetigen"), now=now)
    _meeting_with_a_public_and_a_private_result(sc)  # the Magistrat deals with both papers, in private
    ctx.clock = lambda: berlin("2013-10-29 07:00")
    assert alert_jobs.send_alerts(ctx) == 1
    body = _plain(smtp.to(ADDRESS)[-1])
    assert "Neue Vorlage" in body
    assert "Spielplatz am Dom – Erneuerung" in body
    assert "Ergebnis" not in body  # the Magistrat's results are not public
    assert "Zq9" not in body
