"""Domain errors. Each carries a machine-readable ``code`` and a message a secretary understands.

The API maps them to HTTP in one place (issue 3): NotFound → 404, TransitionNotAllowed and Conflict → 409,
VersionConflict → 412, the validation errors → 422.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base class; ``code`` is stable, ``message`` is for people, ``details`` for programs."""

    code = "domain_error"

    def __init__(self, message: str, *, german: str | None = None, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        #: The same in German, for office staff (command line, documents); falls back to ``message``.
        self.german = german or message
        self.details = details

    def __str__(self) -> str:
        return self.message


class NotFound(DomainError):
    code = "not_found"


class TransitionNotAllowed(DomainError):
    """A trigger that the object's current state does not allow."""

    code = "transition_not_allowed"


class RuleViolation(DomainError):
    """Input that breaks a rule of the domain or of the municipal constitution."""

    code = "rule_violation"


class VoteInconsistent(RuleViolation):
    code = "vote_inconsistent"


class QuorumNotMet(RuleViolation):
    code = "quorum_not_met"


class NoticePeriodViolation(RuleViolation):
    code = "notice_period_violation"


class PlanInvalid(RuleViolation):
    code = "plan_invalid"


class Conflict(DomainError):
    """Someone else changed or recorded the same thing first."""

    code = "conflict"


class VersionConflict(Conflict):
    """The caller's version of an object is stale (HTTP 412)."""

    code = "version_conflict"


class ConfigurationError(DomainError):
    """A profile or municipality file is broken; the message names file, line or key and what is wrong."""

    code = "configuration_error"
