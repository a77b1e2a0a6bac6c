"""What the engine's command mixins need from the Application they are mixed into.

Each area's commands (connectors, PSA data, mappings, tokens, the QBWC conversation, session
queries) is a mixin of the one `TransferEngine`. `EngineCore` says what they may rely on: the
clock, eventsourcing's repository, event store and `save`, the ports, and the few loaders every
area shares. A mixin names it as its base for the type checker only (`Needs`), so nothing of
the Protocol is in the way of the Application at run time."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol
from uuid import UUID

from eventsourcing.application import Repository
from eventsourcing.persistence import EventStore

if TYPE_CHECKING:
    from engine.aggregates import Account, User, WebConnector
    from engine.aggregates.mapping import Mapping
    from engine.passwords import RecentlyVerified
    from engine.ports import PsaCatalog, QuickBooksDirectory, TransferQueue
    from engine.working_sets import WorkingSets


class EngineCore(Protocol):
    """The Application's services and the loaders shared between areas."""

    clock: Callable[[], datetime]
    repository: Repository[UUID]
    events: EventStore[UUID]
    directory: QuickBooksDirectory | None
    catalog: PsaCatalog | None
    queue: TransferQueue | None
    unsnapshotted: Repository[UUID]
    working_sets: WorkingSets
    recently_verified: RecentlyVerified

    def save(self, *objs: Any, **kwargs: Any) -> Any:
        """Record every given aggregate's new events together (eventsourcing)."""
        ...

    def _get(self, aggregate_id: UUID) -> Any:
        """An aggregate, or None when there is none with that id."""
        ...

    def _account(self) -> Account:
        """The account (opened, not yet saved, on first use)."""
        ...

    def _user(self, username: str) -> User:
        """A user by name, or NotFound."""
        ...

    def _connector(self, ref: str | UUID, account: Account | None = None) -> WebConnector:
        """A web connector by id or name, or NotFound."""
        ...

    def _mapping(self, connector_id: UUID) -> Mapping:
        """A connector's mappings (empty when none was set)."""
        ...


if TYPE_CHECKING:
    Needs = EngineCore
else:
    Needs = object
