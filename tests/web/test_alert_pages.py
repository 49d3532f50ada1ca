"""The pages of the portal's e-mail alerts over HTTP, without a login, on SQLite and PostgreSQL: the form on
a body's page and on the search page, subscribing, the confirmation page, the one-click unsubscribe (link
and List-Unsubscribe-Post), German errors next to the field, the CSRF check, the per-address limit and the
Datenschutz page."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from tests.scenario import berlin
from tests.web.conftest import csrf_of
from tests.web.portal import Portal
from workflow import alerts
from workflow.models import AlertSubscription, Municipality, Paper


def _row(portal: Portal, email: str) -> AlertSubscription | None:
    with portal.db.sessions() as s:
        return s.scalars(select(AlertSubscription).where(AlertSubscription.email == email)).one_or_none()


def _subscribe_on_body_page(portal: Portal, email: str, **extra: str) -> tuple[str, int]:
    page = portal.client.get("/wetzlar/gremien/sjs")
    form = {
        "csrf_token": csrf_of(page),
        "abo": "gremium",
        "gremium": "sjs",
        "email": email,
        "zustimmung": "ja",
    }
    answer = portal.client.post("/wetzlar/benachrichtigungen", data=form | extra)
    return answer.text, answer.status_code


def test_the_body_page_and_the_search_page_carry_the_subscription_form(portal: Portal) -> None:
    body = portal.client.get("/wetzlar/gremien/sjs").text
    assert 'action="/wetzlar/benachrichtigungen"' in body
    assert 'name="email"' in body
    assert 'name="zustimmung"' in body
    assert 'name="gremium" value="sjs"' in body
    search = portal.client.get("/wetzlar/vorlagen?q=Spielplatz&art=beschlussvorlage").text
    assert 'action="/wetzlar/benachrichtigungen"' in search
    assert 'name="abo" value="suche"' in search
    assert 'name="q" value="Spielplatz"' in search
    assert 'name="art" value="beschlussvorlage"' in search
    assert csrf_of(portal.client.get("/wetzlar/benachrichtigungen?abo=suche&q=Stadthalle"))


def test_subscribe_confirm_and_unsubscribe_with_one_click(portal: Portal) -> None:
    text, status = _subscribe_on_body_page(portal, "leser@example.org")
    assert status == 200
    assert "Bitte bestätigen Sie Ihre E-Mail-Adresse" in text
    row = _row(portal, "leser@example.org")
    assert row is not None
    assert row.confirmed_at is None
    assert row.target == "gremium:sjs"

    confirm_page = portal.client.get(f"/wetzlar/benachrichtigungen/bestaetigen/{row.token}")
    assert confirm_page.status_code == 200
    assert _row(portal, "leser@example.org").confirmed_at is None  # type: ignore[union-attr]  # opening is not confirming
    confirmed = portal.client.post(
        f"/wetzlar/benachrichtigungen/bestaetigen/{row.token}", data={"csrf_token": csrf_of(confirm_page)}
    )
    assert confirmed.status_code == 200
    assert "Benachrichtigung bestätigt" in confirmed.text
    assert "Gremium Sozial-, Jugend- und Sportausschuss" in confirmed.text
    assert _row(portal, "leser@example.org").confirmed_at is not None  # type: ignore[union-attr]

    gone = portal.client.get(f"/wetzlar/benachrichtigungen/abmelden/{row.token}")
    assert gone.status_code == 200
    assert "abbestellt" in gone.text
    assert "gelöscht" in gone.text
    assert _row(portal, "leser@example.org") is None
    again = portal.client.get(f"/wetzlar/benachrichtigungen/abmelden/{row.token}")
    assert again.status_code == 404
    assert "keine Benachrichtigung" in again.text


def test_mail_programs_unsubscribe_with_one_post_and_no_form_secret(portal: Portal) -> None:
    _subscribe_on_body_page(portal, "postfach@example.org")
    row = _row(portal, "postfach@example.org")
    assert row is not None
    answer = portal.client.post(
        f"/wetzlar/benachrichtigungen/abmelden/{row.token}", data={"List-Unsubscribe": "One-Click"}
    )
    assert answer.status_code == 200
    assert _row(portal, "postfach@example.org") is None


def test_bad_input_is_said_in_german_next_to_the_field(portal: Portal) -> None:
    text, status = _subscribe_on_body_page(portal, "keine adresse")
    assert status == 422
    assert 'id="fehler-email"' in text
    assert "gültige E-Mail-Adresse" in text
    assert 'value="keine adresse"' in text  # what was typed stays
    text, status = _subscribe_on_body_page(portal, "ohne-zustimmung@example.org", zustimmung="")
    assert status == 422
    assert 'id="fehler-zustimmung"' in text
    assert "Bitte stimmen Sie zu" in text
    assert _row(portal, "ohne-zustimmung@example.org") is None

    without_secret = portal.client.post(
        "/wetzlar/benachrichtigungen",
        data={"abo": "gremium", "gremium": "sjs", "email": "x@example.org", "zustimmung": "ja"},
    )
    assert without_secret.status_code == 403
    assert "Formular" in without_secret.text

    unknown = portal.client.get("/wetzlar/benachrichtigungen/bestaetigen/" + "a" * 43)
    secret = csrf_of(unknown)
    refused = portal.client.post(
        "/wetzlar/benachrichtigungen/bestaetigen/" + "a" * 43, data={"csrf_token": secret}
    )
    assert refused.status_code == 404
    assert "keine Benachrichtigung" in refused.text


def test_an_expired_confirmation_link_is_said_in_german(portal: Portal) -> None:
    with portal.db.sessions() as s:
        town = s.scalars(select(Municipality.id).where(Municipality.key == "wetzlar")).one()
    long_ago = berlin("2014-05-01 10:00")
    alerts.subscribe(
        portal.db.sessions,
        town_id=town,
        email="spaet@example.org",
        consent=True,
        body_key="stvv",
        now=long_ago,
    )
    row = _row(portal, "spaet@example.org")
    assert row is not None
    page = portal.client.get(f"/wetzlar/benachrichtigungen/bestaetigen/{row.token}")
    answer = portal.client.post(
        f"/wetzlar/benachrichtigungen/bestaetigen/{row.token}", data={"csrf_token": csrf_of(page)}
    )
    assert answer.status_code == 422
    assert "abgelaufen" in answer.text
    assert portal.clock() - long_ago > alerts.CONFIRM_WITHIN + dt.timedelta(days=1)


def test_the_form_cannot_send_one_address_many_mails(portal: Portal) -> None:
    for body in ("sjs", "stvv", "kfp")[: alerts.REQUEST_LIMIT]:
        page = portal.client.get(f"/wetzlar/gremien/{body}")
        form = {"csrf_token": csrf_of(page), "abo": "gremium", "gremium": body, "email": "opfer@example.org"}
        assert (
            portal.client.post("/wetzlar/benachrichtigungen", data=form | {"zustimmung": "ja"}).status_code
            == 200
        )
    text, status = _subscribe_on_body_page(portal, "opfer@example.org")
    assert status == 429
    assert "zu viele Benachrichtigungen" in text
    assert 'id="fehler-email"' in text


def test_the_privacy_page_says_what_an_alert_stores_and_how_long(portal: Portal) -> None:
    text = portal.client.get("/wetzlar/datenschutz").text
    assert "E-Mail-Benachrichtigungen" in text
    assert f"{int(alerts.CONFIRM_WITHIN.total_seconds() // 3600)} Stunden" in text
    assert "bis Sie die Benachrichtigung abbestellen" in text


SEARCHES: tuple[dict[str, str], ...] = (
    {},
    {"q": "Stadthalle"},
    {"q": "Ankauf"},  # only a non-public paper has the word
    {"gremium": "sjs"},
    {"gremium": "magistrat", "status": "adopted"},  # decided in private: the public does not learn it
    {"status": "submitted"},
    {"art": "beschlussvorlage", "fachamt": "kbs"},
    {"von": "2014-01-01", "bis": "2014-12-31"},
)


def test_a_search_alert_finds_what_the_search_page_finds_for_the_public(portal: Portal) -> None:
    from api.paper_search import search_papers

    with portal.db.sessions() as s:
        town = s.scalars(select(Municipality).where(Municipality.key == "wetzlar")).one()
        found_any = False
        for search in SEARCHES:
            cleaned = alerts.clean_search(search)
            page, _ = search_papers(
                s,
                town,
                None,
                states=[cleaned["status"]] if "status" in cleaned else [],
                kind=cleaned.get("art"),
                body=cleaned.get("gremium"),
                department=cleaned.get("fachamt"),
                date_from=dt.date.fromisoformat(cleaned["von"]) if "von" in cleaned else None,
                date_to=dt.date.fromisoformat(cleaned["bis"]) if "bis" in cleaned else None,
                q=cleaned.get("q"),
                limit=10_000,
            )
            alerted = set(s.scalars(alerts.search_query(s, town.id, cleaned).with_only_columns(Paper.id)))
            assert alerted == {p.id for p in page}, search
            found_any = found_any or bool(alerted)
    assert found_any
