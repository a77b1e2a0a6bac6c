"""How commands run: retried from a fresh load when another writer saved first."""

from __future__ import annotations

import functools
import random
import time
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


def command(func: F | None = None, *, attempts: int = ATTEMPTS) -> Any:
    """Run a command again from a fresh load when another writer saved first.

    eventsourcing refuses a stale save with IntegrityError and stores nothing; re-running the
    whole command reloads every aggregate, so the retry decides on current state. Commands that
    many callers race for (a burst of sign-ins) take more `attempts`, with a short random pause
    between them so the racers spread out.
    """

    def decorate(func: F) -> F:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            for attempt in range(attempts):
                try:
                    return func(*args, **kwargs)
                except IntegrityError:
                    if attempt == attempts - 1:
                        raise Conflict(
                            "the change clashed with concurrent changes; please try again"
                        ) from None
                    if attempts > ATTEMPTS:
                        time.sleep(random.uniform(0, 0.002 * min(attempt + 1, 10)))
            raise AssertionError("unreachable")

        return wrapper  # type: ignore[return-value]

    return decorate(func) if func is not None else decorate
