"""E-mail alerts of the portal: the subscription form (on a body's page, the search page and its own page),
the confirmation link's page and the unsubscribe link. The rules are in ``workflow.alerts``; these routes
only translate.

A visitor has no session, so the forms carry the double-submit secret of the login form (a short-lived cookie
and the same value in the form's ``csrf_token`` field); a logged-in person's forms carry the session's. The
unsubscribe link works with one click (GET), and mail programs may unsubscribe with one POST (RFC 8058): its
secret is the token in the address, so that POST needs no form secret.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from api.deps import Now, ReadSession, Sessions, Town
from api.web import links
from api.web.context import page
from api.web.session import PageCaller, check_csrf, login_form_secret, set_login_cookie
from api.web.templating import render
from workflow import alerts
from workflow.errors import NotFound
from workflow.models import Body, Municipality
from workflow.store import by_key
from workflow.web_sessions import ActiveSession

router = APIRouter(include_in_schema=False, dependencies=[Depends(check_csrf)])
one_click = APIRouter(include_in_schema=False)


def alert_form(
    request: Request,
    me: ActiveSession | None,
    town: Municipality,
    *,
    body: Body | None = None,
    search: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """What the form macro ``portal/alert_form.html`` needs, for a body or for a search's filters."""
    hidden = {"abo": "gremium", "gremium": body.key} if body is not None else {"abo": "suche"}
    if body is None:
        hidden |= {name: v for name, v in (search or {}).items() if name in alerts.SEARCH_FIELDS and v}
    return {
        "action": links.alerts(town.key),
        "csrf": me.csrf_token if me is not None else login_form_secret(request),
        "hidden": hidden,
        "privacy_url": links.privacy(town.key),
    }


def alert_storage() -> dict[str, int]:
    """How long the Datenschutz page says what is kept (the numbers of ``workflow.alerts``)."""
    return {
        "confirm_hours": int(alerts.CONFIRM_WITHIN.total_seconds() // 3600),
        "request_hours": int(alerts.REQUEST_WINDOW.total_seconds() // 3600),
    }


def remember_form(
    request: Request, me: ActiveSession | None, response: Response, form: dict[str, Any]
) -> Response:
    """A visitor's form secret goes into the cookie the CSRF check compares it with."""
    if me is None:
        set_login_cookie(request, response, form["csrf"])
    return response


def _form_page(
    request: Request,
    me: ActiveSession | None,
    town: Municipality,
    session: ReadSession,
    values: dict[str, str],
    *,
    errors: dict[str, str] | None = None,
    email: str = "",
    status: int = 200,
) -> Response:
    body = None
    if values.get("abo") == "gremium":
        body = by_key(session, Body, town.id, values.get("gremium", ""))
    search = {name: values.get(name, "") for name in alerts.SEARCH_FIELDS}
    form = alert_form(request, me, town, body=body, search=search)
    if body is not None:
        what = f"Gremium {body.name}: neue öffentliche Vorlagen und Ergebnisse"
    else:
        shown = {name: value for name, value in search.items() if value}
        what = (
            "Vorlagensuche"
            + (f" „{shown.pop('q')}“" if "q" in shown else "")
            + (" (" + ", ".join(f"{name}: {value}" for name, value in shown.items()) + ")" if shown else "")
        )
    response = render(
        request,
        "portal/alert_page.html",
        page(me, town, "alerts", form=form, what=what, errors=errors or {}, email=email),
        status=status,
    )
    return remember_form(request, me, response, form)


def _message(
    request: Request,
    me: ActiveSession | None,
    town: Municipality,
    title: str,
    paragraphs: list[str],
    *,
    button: dict[str, Any] | None = None,
) -> Response:
    response = render(
        request,
        "portal/alert_message.html",
        page(me, town, "alerts", title=title, paragraphs=paragraphs, button=button),
    )
    return remember_form(request, me, response, button) if button is not None else response


@router.get("/{municipality}/benachrichtigungen", response_class=HTMLResponse)
def form_page(request: Request, town: Town, me: PageCaller, session: ReadSession) -> Response:
    """The form alone: ``?abo=gremium&gremium=stvv`` or ``?abo=suche&q=…`` with the search's filters."""
    values = {name: str(value)[:200] for name, value in request.query_params.items()}
    return _form_page(request, me, town, session, values)


@router.post("/{municipality}/benachrichtigungen", response_class=HTMLResponse)
async def subscribe(
    request: Request, town: Town, me: PageCaller, session: ReadSession, sessions: Sessions, now: Now
) -> Response:
    form = await request.form()
    values = {name: str(value)[:300] for name, value in form.items() if isinstance(value, str)}
    email = values.get("email", "")
    try:
        alerts.subscribe(
            sessions,
            town_id=town.id,
            email=email,
            consent=values.get("zustimmung") == "ja",
            body_key=values.get("gremium", "") if values.get("abo") == "gremium" else None,
            search=None if values.get("abo") == "gremium" else values,
            now=now,
        )
    except (alerts.AlertInputInvalid, alerts.TooManyAlertRequests) as exc:
        status = 429 if isinstance(exc, alerts.TooManyAlertRequests) else 422
        field = exc.field if exc.field in ("email", "zustimmung") else "_form"
        return _form_page(
            request, me, town, session, values, errors={field: exc.german}, email=email, status=status
        )
    hours = int(alerts.CONFIRM_WITHIN.total_seconds() // 3600)
    return _message(
        request,
        me,
        town,
        "Bitte bestätigen Sie Ihre E-Mail-Adresse",
        [
            f"Wir haben eine E-Mail an {alerts.normalise_email(email)} geschickt. Bitte öffnen Sie den Link "
            f"darin innerhalb von {hours} Stunden; erst dann erhalten Sie Benachrichtigungen.",
            "Ohne Bestätigung wird Ihre Adresse gelöscht. Haben Sie diese Benachrichtigung schon bestellt, "
            "schicken wir keine weitere E-Mail.",
        ],
    )


@router.get("/{municipality}/benachrichtigungen/bestaetigen/{token}", response_class=HTMLResponse)
def confirm_page(request: Request, town: Town, me: PageCaller, token: str) -> Response:
    """A page with one button: a link scanner that opens the mail's link confirms nothing."""
    csrf = me.csrf_token if me is not None else login_form_secret(request)
    return _message(
        request,
        me,
        town,
        "Benachrichtigung bestätigen",
        ["Bitte bestätigen Sie, dass Sie die Benachrichtigung an diese E-Mail-Adresse erhalten möchten."],
        button={"action": links.alert_confirm(town.key, token), "csrf": csrf, "label": "Jetzt bestätigen"},
    )


@router.post("/{municipality}/benachrichtigungen/bestaetigen/{token}", response_class=HTMLResponse)
def confirm(
    request: Request, town: Town, me: PageCaller, sessions: Sessions, now: Now, token: str
) -> Response:
    subscription = alerts.confirm(sessions, token=token, now=now)
    return _message(
        request,
        me,
        town,
        "Benachrichtigung bestätigt",
        [
            f"Ab jetzt erhält {subscription.email} eine E-Mail, wenn es Neues gibt: {subscription.title}.",
            "Jede Benachrichtigung enthält einen Link, mit dem Sie sie mit einem Klick abbestellen.",
        ],
    )


def _unsubscribed(
    request: Request, me: ActiveSession | None, town: Municipality, sessions: Any, token: str
) -> Response:
    try:
        subscription = alerts.unsubscribe(sessions, token=token)
    except alerts.AlertLinkInvalid:
        raise NotFound(
            "no alert subscription for this link",
            german=(
                "Zu diesem Link gibt es keine Benachrichtigung (mehr). Sie ist abbestellt, und Ihre "
                "E-Mail-Adresse ist dafür nicht gespeichert"
            ),
        ) from None
    return _message(
        request,
        me,
        town,
        "Benachrichtigung abbestellt",
        [
            f"Die Benachrichtigung „{subscription.title}“ ist abbestellt. Ihre E-Mail-Adresse "
            f"{subscription.email} ist dafür gelöscht.",
        ],
    )


@router.get("/{municipality}/benachrichtigungen/abmelden/{token}", response_class=HTMLResponse)
def unsubscribe(request: Request, town: Town, me: PageCaller, sessions: Sessions, token: str) -> Response:
    """The link in every alert: one click, no login."""
    return _unsubscribed(request, me, town, sessions, token)


@one_click.post("/{municipality}/benachrichtigungen/abmelden/{token}", response_class=HTMLResponse)
def unsubscribe_one_click(
    request: Request, town: Town, me: PageCaller, sessions: Sessions, token: str
) -> Response:
    """List-Unsubscribe-Post (RFC 8058): the mail program unsubscribes with one POST."""
    return _unsubscribed(request, me, town, sessions, token)
