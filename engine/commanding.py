"""How commands run: retried from a fresh load when another writer saved first."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from eventsourcing.persistence import IntegrityError

from engine.errors import Conflict

F = TypeVar("F", bound=Callable[..., Any])
UNCHANGED: Any = object()  # "leave this setting as it is", where None is a real value
ATTEMPTS = 6


def utcnow() -> datetime:
    """The current time in UTC (events always carry UTC)."""
    return datetime.now(UTC)


def command(func: F) -> F:
    """Run a command again from a fresh load when another writer saved first.

    eventsourcing refuses a stale save with IntegrityError and stores nothing; re-running the
    whole command reloads every aggregate, so the retry decides on current state.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        for attempt in range(ATTEMPTS):
            try:
                return func(*args, **kwargs)
            except IntegrityError:
                if attempt == ATTEMPTS - 1:
                    raise Conflict(
                        "the change clashed with concurrent changes; please try again"
                    ) from None
        raise AssertionError("unreachable")

    return wrapper  # type: ignore[return-value]
