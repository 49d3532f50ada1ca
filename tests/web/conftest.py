"""Fixtures of the web page tests: the e2e fixtures (app over HTTP, demo logins, fake clock) and a browser-like
client that logs in through the login form."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from httpx import Response

from gremienlauf.demo_users import DEMO_PASSWORD
from tests.e2e.conftest import (  # noqa: F401  (fixtures used by the tests of this folder)
    _cheap_password_hashing,
    api,
    clock,
    module_api,
    module_db,
    postgres_template,
    sqlite_template,
)
from tests.web.portal import portal  # noqa: F401  (the published portal world, once per module)

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(response: Response) -> str:
    match = CSRF.search(response.text)
    assert match, "the page has no form with a CSRF field"
    return match[1]


def page_login(client: TestClient, username: str, password: str = DEMO_PASSWORD) -> Response:
    """Log in through the login form, as a browser would (the cookies stay with the client)."""
    form = client.get("/anmelden")
    response: Response = client.post(
        "/anmelden",
        data={"benutzername": username, "passwort": password, "csrf_token": csrf_of(form)},
        follow_redirects=False,
    )
    return response


def page_logout(client: TestClient) -> None:
    client.cookies.clear()
