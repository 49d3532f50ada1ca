"""Who is looking at a page (the session cookie), and the CSRF check of every form.

The session lives in the database (``workflow.web_sessions``); the cookie only names it: HttpOnly, SameSite
Lax, Secure when the page is served over HTTPS. Every form carries the session's CSRF secret in a hidden
field ``csrf_token``; the login form, sent before there is a session, carries the value of a short-lived
cookie of its own instead (double submit), so a foreign site can log nobody in either.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated

from fastapi import Depends, Request, Response

from api.deps import Now, ReadSession
from workflow.access import Forbidden, Unauthenticated
from workflow.web_sessions import SESSION_LIFETIME, ActiveSession, active_session

SESSION_COOKIE = "gl_sitzung"
LOGIN_COOKIE = "gl_anmeldung"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class CsrfRefused(Forbidden):
    """A form without the right CSRF secret (HTTP 403)."""

    code = "csrf_refused"


def page_session(request: Request, session: ReadSession, now: Now) -> ActiveSession | None:
    """The logged-in person, or None for a visitor (also when the cookie is stale: the page says so)."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    try:
        return active_session(session, token, now)
    except Unauthenticated:
        request.state.session_expired = True
        return None


PageCaller = Annotated[ActiveSession | None, Depends(page_session)]


def require_login(me: PageCaller) -> ActiveSession:
    """For pages only for staff and members; the visitor is sent to the login page (see api/web/errors.py)."""
    if me is None:
        raise Unauthenticated("Log in first", german="Bitte melden Sie sich an.")
    return me


LoggedIn = Annotated[ActiveSession, Depends(require_login)]


async def check_csrf(request: Request, me: PageCaller) -> None:
    """Every POST of a page must send the CSRF secret of its session (or of the login form) back."""
    if request.method in SAFE_METHODS:
        return
    form = await request.form()
    sent = form.get(CSRF_FIELD)
    expected = me.csrf_token if me is not None else request.cookies.get(LOGIN_COOKIE)
    if not isinstance(sent, str) or not expected or not hmac.compare_digest(sent, expected):
        raise CsrfRefused(
            "The form's CSRF token is missing or wrong",
            german=(
                "Das Formular ist abgelaufen oder kam nicht von dieser Seite. Bitte laden Sie die Seite neu "
                "und senden Sie es noch einmal."
            ),
        )


def secure(request: Request) -> bool:
    return request.url.scheme == "https"


def login_form_secret(request: Request) -> str:
    """The double-submit secret of the login form: the cookie's, or a new one (set it with the answer)."""
    return request.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(32)


def set_login_cookie(request: Request, response: Response, token: str) -> None:
    response.set_cookie(
        LOGIN_COOKIE, token, max_age=3600, httponly=True, samesite="lax", secure=secure(request), path="/"
    )


def set_session_cookie(request: Request, response: Response, token: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(SESSION_LIFETIME.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=secure(request),
        path="/",
    )
    response.delete_cookie(LOGIN_COOKIE, path="/")


def clear_session_cookie(request: Request, response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=secure(request))
