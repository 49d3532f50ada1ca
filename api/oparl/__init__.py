"""OParl 1.1 publication under ``/oparl/v1`` (see docs/oparl.md): ``install(app, public_url)`` mounts it."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.oparl.format import PREFIX, Urls, error_response
from api.oparl.lists import OparlError
from api.oparl.routes import router

log = logging.getLogger("gremienlauf.oparl")

ALLOWED_METHODS = "GET, HEAD, OPTIONS"


class OparlEdge:
    """ASGI middleware for ``/oparl``: CORS on every response (errors included), preflight answers, 405 for
    writing methods, and the Error object instead of a bare 500 should anything fail."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope["path"] if scope["type"] == "http" else ""
        if not (path == PREFIX or path.startswith(PREFIX + "/")):  # /oparl/v1foo is no OParl address
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        if method == "OPTIONS":
            await self._plain(scope, receive, send, 204)
            return
        if method not in ("GET", "HEAD"):
            response = error_response(
                405, "Die OParl-Schnittstelle kann nur gelesen werden", f"method {method} not allowed"
            )
            response.headers["Allow"] = ALLOWED_METHODS
            await response(scope, receive, send)
            return
        started = False
        head = method == "HEAD"
        if head:  # answered like GET, without the body (Content-Length stays that of the GET)
            scope = {**scope, "method": "GET"}

        async def send_with_cors(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = [
                    (k, v)
                    for k, v in message.get("headers", [])
                    if k.lower() != b"access-control-allow-origin"
                ]
                headers.append((b"access-control-allow-origin", b"*"))
                message = {**message, "headers": headers}
            elif message["type"] == "http.response.body" and head:
                message = {**message, "body": b""}
            await send(message)

        try:
            await self.app(scope, receive, send_with_cors)
        except Exception:
            log.exception("unexpected error on %s %s", method, scope["path"])
            if started:
                raise
            await error_response(
                500,
                "Ein interner Fehler ist aufgetreten; er wurde protokolliert",
                "internal error (logged on the server)",
            )(scope, receive, send)

    @staticmethod
    async def _plain(scope: Scope, receive: Receive, send: Send, status: int) -> None:
        from starlette.responses import Response

        await Response(
            status_code=status,
            headers={
                "Access-Control-Allow-Origin": "*",
                "Access-Control-Allow-Methods": ALLOWED_METHODS,
                "Access-Control-Allow-Headers": "*",
                "Access-Control-Max-Age": "86400",
            },
        )(scope, receive, send)


def install(app: FastAPI, public_url: str) -> None:
    """Mount OParl on ``app``; object ids start with ``public_url``."""
    app.state.oparl_urls = Urls(public_url)

    @app.exception_handler(OparlError)
    async def _oparl_error(_request: Request, exc: OparlError) -> Any:
        return error_response(exc.status, exc.message, exc.debug)

    app.include_router(router)
    app.add_middleware(OparlEdge)
