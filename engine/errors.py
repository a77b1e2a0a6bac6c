"""The engine's refusals.

Every way in (command line, JSON API, SOAP) maps these to its own answer: exit code 2 and one
line on stderr, a 4xx with `{"error", "detail"}`, or the SOAP method's in-band error value.
A refusal is raised before anything is recorded, so it never changes state.
"""

from __future__ import annotations


class DomainError(Exception):
    """A request the engine refuses; `code` is a stable machine-readable reason."""

    code = "refused"
    status = 422

    def __init__(self, message: str, **context: object) -> None:
        super().__init__(message)
        self.message = message
        self.context = context


class NotFound(DomainError):
    """The request names something that does not exist."""

    code = "not_found"
    status = 404


class Conflict(DomainError):
    """The request clashes with something that already exists."""

    code = "conflict"
    status = 409


class InvalidValue(DomainError):
    """A value is malformed or out of range."""

    code = "invalid"
    status = 400


class ConfigurationError(DomainError):
    """The environment the engine runs in is wrong (DATABASE_URL, PUBLIC_URL, ...)."""

    code = "configuration"
    status = 500
