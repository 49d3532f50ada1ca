"""What the command-line modules share: the database option and German errors instead of tracebacks."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import typer

from workflow.errors import DomainError

F = TypeVar("F", bound=Callable[..., Any])

DatabaseOption = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        envvar="GREMIENLAUF_DATABASE_URL",
        help="Datenbank (Standard: SQLite-Datei unter var/; PostgreSQL: postgresql://…)",
    ),
]


def friendly_errors(func: F) -> F:
    """Domain and configuration errors become a short German message and exit code 1, not a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except DomainError as exc:
            typer.secho(f"Fehler: {exc.german}", fg=typer.colors.RED, err=True)
            raise typer.Exit(1) from None
        except KeyboardInterrupt:
            raise typer.Exit(130) from None
        except Exception as exc:  # a database that is down or unreachable, a full disk …
            from sqlalchemy.exc import OperationalError

            if isinstance(exc, OperationalError):
                typer.secho(
                    f"Fehler: Datenbank nicht erreichbar oder nicht bereit ({exc.orig})",
                    fg=typer.colors.RED,
                    err=True,
                )
                raise typer.Exit(1) from None
            raise

    return wrapper  # type: ignore[return-value]
