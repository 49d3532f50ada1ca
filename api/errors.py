"""One JSON error shape for every failure: ``{"error": code, "message": …, "details": …}``.

Domain errors map to HTTP here and only here; nothing reaches the client as a traceback.
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from workflow.access import Forbidden, Unauthenticated
from workflow.errors import (
    ConfigurationError,
    Conflict,
    DomainError,
    NotFound,
    RuleViolation,
    TransitionNotAllowed,
    VersionConflict,
)
from workflow.login_throttle import TooManyLoginAttempts

log = logging.getLogger("gremienlauf.api")


class PreconditionRequired(DomainError):
    """An edit without ``If-Match`` (HTTP 428)."""

    code = "precondition_required"


class IdempotencyKeyReused(DomainError):
    code = "idempotency_key_reused"


class InvalidIdempotencyKey(DomainError):
    code = "invalid_idempotency_key"


#: Most specific first: VersionConflict is a Conflict, QuorumNotMet a RuleViolation, …
STATUS_OF: tuple[tuple[type[DomainError], int], ...] = (
    (Unauthenticated, 401),
    (Forbidden, 403),
    (NotFound, 404),
    (VersionConflict, 412),
    (PreconditionRequired, 428),
    (Conflict, 409),
    (TransitionNotAllowed, 409),
    (IdempotencyKeyReused, 422),
    (InvalidIdempotencyKey, 422),
    (RuleViolation, 422),
    (ConfigurationError, 422),
    (TooManyLoginAttempts, 429),
    (DomainError, 422),
)


def status_of(exc: DomainError) -> int:
    return next(status for kind, status in STATUS_OF if isinstance(exc, kind))


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    return {"error": code, "message": message, "details": jsonable_encoder(details or {})}


def domain_error_response(exc: DomainError) -> JSONResponse:
    details = dict(exc.details)
    if exc.german != exc.message:
        details["german"] = exc.german
    headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, Unauthenticated) else None
    if isinstance(exc, TooManyLoginAttempts):
        headers = {"Retry-After": str(exc.retry_after)}
    return JSONResponse(
        error_body(exc.code, exc.message, details), status_code=status_of(exc), headers=headers
    )


def _validation_details(exc: RequestValidationError) -> list[dict[str, Any]]:
    return [
        {
            "location": [str(part) for part in err.get("loc", ())],
            "message": err.get("msg", ""),
            "type": err.get("type", ""),
        }
        for err in exc.errors()
    ]


class PageErrors(Protocol):
    """How the web pages answer an error (``api.web.errors``): wired by the app factory."""

    def is_page(self, request: Request) -> bool: ...

    def error_page(self, request: Request, status: int, german: str | None = None) -> Response: ...


def install(app: FastAPI, pages: PageErrors) -> None:
    """Map errors to answers in one place; pages (``pages.is_page``) get the same status as a German page
    instead of the JSON body."""
    is_page, error_page = pages.is_page, pages.error_page

    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> Response:
        if is_page(request):
            return error_page(request, status_of(exc), exc.german)
        return domain_error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        if is_page(request):
            return error_page(request, 400, "Die Adresse oder das Formular enthält ungültige Angaben.")
        details = _validation_details(exc)
        first = details[0] if details else {"location": [], "message": "invalid request"}
        where = ".".join(first["location"])
        return JSONResponse(
            error_body(
                "validation_error", f"Invalid request: {where}: {first['message']}", {"errors": details}
            ),
            status_code=422,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if is_page(request):
            return error_page(request, exc.status_code)
        codes = {404: "not_found", 405: "method_not_allowed", 401: "unauthenticated", 403: "forbidden"}
        return JSONResponse(
            error_body(codes.get(exc.status_code, "http_error"), str(exc.detail)),
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(PoolTimeout)
    async def _busy(request: Request, _exc: PoolTimeout) -> Response:
        if is_page(request):
            return error_page(request, 503)
        # Every database connection stayed busy for the pool's whole timeout: overload, not a bug.
        return JSONResponse(
            error_body("busy", "The server is busy; please try again in a moment"),
            status_code=503,
            headers={"Retry-After": "5"},
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        if is_page(request):
            return error_page(request, 500)
        return JSONResponse(
            error_body("internal_error", "Something went wrong on our side; the error has been logged."),
            status_code=500,
        )
