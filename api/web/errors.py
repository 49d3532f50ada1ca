"""Errors on pages: the same mapping as the API (``api.errors.status_of``), answered as a German page.

A visitor who must log in is sent to the login page and comes back afterwards.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from api.web import links
from api.web.templating import render

#: Paths that are not pages: the JSON API, OParl, the API docs and the vendored files.
NOT_PAGES = ("/api/", "/oparl", "/openapi.json", "/docs", "/static/")

TITLES = {
    400: "Ungültige Anfrage",
    403: "Keine Berechtigung",
    404: "Nicht gefunden",
    405: "Nicht möglich",
    409: "Nicht möglich",
    412: "Inzwischen geändert",
    422: "Bitte Angaben prüfen",
    429: "Zu viele Versuche",
    500: "Fehler",
    503: "Überlastet",
}
DEFAULT_MESSAGES = {
    404: "Diese Seite gibt es nicht, oder Sie dürfen sie nicht sehen.",
    405: "Diese Seite kann so nicht aufgerufen werden.",
    500: "Auf unserer Seite ist etwas schiefgegangen; der Fehler wurde protokolliert. Bitte versuchen Sie es später erneut.",
    503: "Der Server ist gerade ausgelastet. Bitte versuchen Sie es in einem Moment erneut.",
}


def is_page(request: Request) -> bool:
    return not request.url.path.startswith(NOT_PAGES)


def error_page(request: Request, status: int, german: str | None = None) -> Response:
    """The page for an error; 401 becomes a redirect to the login page."""
    if status == 401:
        here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(links.login(here), status_code=303)
    message = german if german and status not in (404, 500) else DEFAULT_MESSAGES.get(status, german or "")
    if status == 404 and german:
        message = german if german.endswith(".") else german + "."
    return render(
        request,
        "error.html",
        {
            "me": None,
            "town": None,
            "title": TITLES.get(status, "Fehler"),
            "message": message,
            "back_url": "/",
            "back_text": "Zur Startseite",
        },
        status=status,
    )
