"""Loading an aggregate by an id that came from outside: it must exist and be of the kind asked
for (a connector id given where a registration id belongs is "no such registration", not an
AttributeError deep inside a command)."""

from __future__ import annotations

from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

T = TypeVar("T")


def load(repository: Any, aggregate_id: UUID | str, kind: type[T]) -> T | None:
    """The aggregate `aggregate_id` when it exists and is a `kind`, else None."""
    try:
        found = repository.get(
            aggregate_id if isinstance(aggregate_id, UUID) else UUID(aggregate_id)
        )
    except (AggregateNotFoundError, ValueError):
        return None
    return found if isinstance(found, kind) else None
