"""Login and logout of the web pages."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from api.deps import Now, ReadSession, Sessions, release
from api.web import links
from api.web.session import (
    SESSION_COOKIE,
    PageCaller,
    check_csrf,
    clear_session_cookie,
    login_form_secret,
    set_login_cookie,
    set_session_cookie,
)
from api.web.templating import render
from workflow.access import Unauthenticated
from workflow.login_throttle import TooManyLoginAttempts, throttled_login
from workflow.models import Municipality
from workflow.web_sessions import close_session, open_session

router = APIRouter(include_in_schema=False, dependencies=[Depends(check_csrf)])


def _safe_next(path: str | None) -> str | None:
    """Only a path of this site (no ``//host`` or scheme): an open redirect would help phishing."""
    if path and path.startswith("/") and not path.startswith("//") and "\\" not in path:
        return path
    return None


def _home(session: ReadSession, municipality_id: int) -> str:
    key = session.scalars(select(Municipality.key).where(Municipality.id == municipality_id)).one()
    return links.start(key)


def _login_page(
    request: Request,
    *,
    errors: dict[str, str],
    username: str = "",
    next_path: str | None = None,
    status: int = 200,
) -> Response:
    token = login_form_secret(request)
    response = render(
        request,
        "login.html",
        {
            "me": None,
            "town": None,
            "hide_login_link": True,
            "errors": errors,
            "username": username,
            "next_path": next_path,
            "expired": getattr(request.state, "session_expired", False),
            "csrf_token": token,
        },
        status=status,
    )
    set_login_cookie(request, response, token)
    return response


@router.get("/")
def root(me: PageCaller, session: ReadSession) -> RedirectResponse:
    if me is None:
        return RedirectResponse(links.LOGIN, status_code=303)
    return RedirectResponse(_home(session, me.principal.municipality_id), status_code=303)


@router.get(links.LOGIN)
def login_page(request: Request, me: PageCaller, session: ReadSession, weiter: str | None = None) -> Response:
    if me is not None:
        return RedirectResponse(
            _safe_next(weiter) or _home(session, me.principal.municipality_id), status_code=303
        )
    return _login_page(request, errors={}, next_path=_safe_next(weiter))


@router.post(links.LOGIN)
def login(
    request: Request,
    sessions: Sessions,
    session: ReadSession,
    now: Now,
    benutzername: Annotated[str, Form(max_length=100)] = "",
    passwort: Annotated[str, Form(max_length=200)] = "",
    weiter: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    next_path = _safe_next(weiter)
    errors: dict[str, str] = {}
    if not benutzername.strip():
        errors["benutzername"] = "Bitte geben Sie Ihren Benutzernamen ein."
    if not passwort:
        errors["passwort"] = "Bitte geben Sie Ihr Passwort ein."
    if errors:
        return _login_page(request, errors=errors, username=benutzername, next_path=next_path, status=422)
    release(session)
    try:
        opened = throttled_login(
            sessions,
            username=benutzername.strip(),
            address=request.client.host if request.client else None,
            attempt=lambda: open_session(sessions, username=benutzername.strip(), password=passwort, now=now),
            now=now,
        )
    except TooManyLoginAttempts as exc:
        return _login_page(
            request, errors={"_form": exc.german}, username=benutzername, next_path=next_path, status=429
        )
    except Unauthenticated as exc:
        return _login_page(
            request,
            errors={"passwort": exc.german + "."},
            username=benutzername,
            next_path=next_path,
            status=422,
        )
    response = RedirectResponse(next_path or _home(session, opened.municipality_id), status_code=303)
    set_session_cookie(request, response, opened.token)
    return response


@router.post(links.LOGOUT)
def logout(request: Request, sessions: Sessions, me: PageCaller) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        close_session(sessions, token)
    response = RedirectResponse(links.LOGIN, status_code=303)
    clear_session_cookie(request, response)
    return response
