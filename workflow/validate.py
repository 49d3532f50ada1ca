"""Checks at the use-case boundary: whatever a caller passes, bad input becomes a RuleViolation, never a
ValueError, TypeError or a database error."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable
from typing import Any, TypeVar

from workflow.errors import RuleViolation

E = TypeVar("E", bound=enum.Enum)

MAX_ID = 2_147_483_647  # PostgreSQL integer
MAX_COUNT = 100_000


def choice(kind: type[E], value: Any, what: str) -> E:
    """``value`` as a member of ``kind``, or a RuleViolation listing the allowed values."""
    try:
        return kind(value)
    except (ValueError, TypeError):
        allowed = ", ".join(str(m.value) for m in kind)
        raise RuleViolation(
            f"Invalid {what} {value!r}; allowed: {allowed}",
            german=f"Ungültige Angabe für {what}: {value!r}; erlaubt: {allowed}",
        ) from None


def whole_number(value: Any, what: str, *, low: int = 0, high: int = MAX_COUNT) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise RuleViolation(
            f"{what} must be a whole number, not {value!r}",
            german=f"{what} muss eine ganze Zahl sein, nicht {value!r}",
        )
    if not low <= value <= high:
        raise RuleViolation(
            f"{what} must lie between {low} and {high}, not {value}",
            german=f"{what} muss zwischen {low} und {high} liegen, nicht {value}",
        )
    return value


def ident(value: Any, what: str) -> int:
    return whole_number(value, f"{what} id", low=1, high=MAX_ID)


def idents(values: Iterable[Any], what: str) -> list[int]:
    return [ident(v, what) for v in values]


def aware(value: Any, what: str) -> dt.datetime:
    if not isinstance(value, dt.datetime):
        raise RuleViolation(f"{what} must be a date and time, not {value!r}")
    if value.tzinfo is None:
        raise RuleViolation(
            f"{what} needs a time zone (e.g. 2013-09-30T17:00:00+02:00)",
            german=f"{what} braucht eine Zeitzone (z. B. 2013-09-30T17:00:00+02:00)",
        )
    return value


def day(value: Any, what: str) -> dt.date:
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
        raise RuleViolation(f"{what} must be a date (without time), not {value!r}")
    return value


def text(value: Any, what: str, *, required: bool = True, max_length: int = 200_000) -> str:
    if not isinstance(value, str):
        raise RuleViolation(f"{what} must be text, not {value!r}")
    if "\x00" in value:
        raise RuleViolation(f"{what} must not contain NUL characters")
    if len(value) > max_length:
        raise RuleViolation(f"{what} is longer than {max_length} characters")
    if required and not value.strip():
        raise RuleViolation(f"{what} must not be empty", german=f"{what} darf nicht leer sein")
    return value


def actor(value: Any) -> str:
    return text(value, "The actor (who does this)", max_length=200).strip()
