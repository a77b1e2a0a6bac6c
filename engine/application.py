"""The TransferEngine: every command the outside world may give, in one eventsourcing Application.

Each public method takes ids and plain values, loads the aggregates it needs, calls their verbs
and saves them together, so a command is recorded whole or not at all. Queries return plain
values (dicts, lists), never aggregates. A refusal raises a `DomainError` before anything is
saved; a lost optimistic-concurrency race is retried from a fresh load.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.application import (
    AggregateNotFoundError,
    Application,
    ProcessingEvent,
    Repository,
)
from eventsourcing.domain import Aggregate, DomainEventProtocol
from eventsourcing.persistence import Recording, Transcoder
from eventsourcing.utils import EnvType

from engine import passwords, views
from engine.aggregates import Account, User, WebConnector
from engine.aggregates.inventory_sync import InventorySync
from engine.aggregates.mapping import Mapping
from engine.aggregates.quickbooks_lists import QuickBooksLists
from engine.aggregates.session import QbwcSession
from engine.aggregates.slot import UpdateSlot
from engine.aggregates.user import user_id
from engine.commanding import UNCHANGED, command, utcnow
from engine.connectors import ConnectorCommands
from engine.errors import NotFound
from engine.housekeeping import Housekeeping
from engine.mapping_commands import MappingCommands
from engine.notices import NoticeCommands
from engine.ports import PsaCatalog, QuickBooksDirectory, TransferQueue
from engine.psa_commands import PsaCommands
from engine.qbwc.authentication import Authentication
from engine.qbwc.conversation import Conversation
from engine.sessions import SessionQueries
from engine.settings import APPLICATION_NAME
from engine.signin import AdminSignIn
from engine.steps.pipeline import SessionWorkTranscoding
from engine.text import check_text, excerpt
from engine.tokens import TokenCommands
from engine.transcoding import StorableJSONTranscoder
from engine.working_sets import WorkingSets

log = logging.getLogger(__name__)
# Told, after a command's events are stored, which aggregates it saved and the events.
Observer = Callable[[dict[UUID, Aggregate], list[DomainEventProtocol[UUID]]], None]


class TransferEngine(
    ConnectorCommands,
    PsaCommands,
    MappingCommands,
    TokenCommands,
    AdminSignIn,
    Authentication,
    Conversation,
    Housekeeping,
    NoticeCommands,
    SessionQueries,
    Application,
):
    """The engine: the account, users, web connectors, the PSA's records and mappings, and the
    QBWC conversation. Each mixin holds one area's commands; they share this one Application,
    so every event lands in one notification log."""

    name = APPLICATION_NAME
    # Long-lived aggregates are loaded on every QBWC call; snapshots keep that cheap. The lists
    # aggregate's events carry whole pages of records while its state is small, so it is
    # snapshotted at every save and loading it never replays a page.
    snapshotting_intervals = {
        Account: 100,
        WebConnector: 100,
        UpdateSlot: 100,
        QuickBooksLists: 1,
        QbwcSession: 20,
        Mapping: 100,
        InventorySync: 20,
    }

    def __init__(
        self,
        env: EnvType | None = None,
        clock: Callable[[], datetime] = utcnow,
        *,
        directory: QuickBooksDirectory | None = None,
        catalog: PsaCatalog | None = None,
        queue: TransferQueue | None = None,
    ) -> None:
        super().__init__(env)
        self.clock = clock
        # Read models the commands and the session's steps read (web.bootstrap wires them).
        self.directory = directory
        self.catalog = catalog
        self.queue = queue
        # Kinds never snapshotted (transfers, documents, PSA records) are loaded by the
        # transfer steps without a look in the snapshot store, and kept from one call of a
        # session to the next in its working set (engine.working_sets), which is brought up
        # to date from the notification log: no cache of the library's is needed besides.
        self.unsnapshotted: Repository[UUID] = Repository(self.events)
        self.working_sets = WorkingSets(self.recorder)
        # Told of what each command saved, once it is stored (logs and metrics: web.telemetry).
        self.observers: list[Observer] = []
        # QBWC signs in with its saved password at every poll (authenticate).
        self.recently_verified = passwords.RecentlyVerified()

    def save(self, *objs: Any, **kwargs: Any) -> list[Recording[UUID]]:
        """Store the aggregates' new events, then tell the observers (whose failure must not
        undo, or look like the failure of, a command that has already happened)."""
        recordings = super().save(*objs, **kwargs)
        if self.observers and recordings:
            saved = {obj.id: obj for obj in objs if isinstance(obj, Aggregate)}
            events = [recording.domain_event for recording in recordings]
            for observer in self.observers:
                try:
                    observer(saved, events)
                except Exception:
                    log.exception("an observer of saved events failed")
        return recordings

    def close(self) -> None:
        """Close the event store and whatever the ports hold open."""
        for port in (self.directory, self.catalog, self.queue):
            closing = getattr(port, "close", None)
            if closing is not None:
                closing()
        super().close()

    def construct_transcoder(self) -> Transcoder:
        """The library's JSON transcoder, guarded: see `engine.transcoding`."""
        transcoder = StorableJSONTranscoder()
        self.register_transcodings(transcoder)
        transcoder.register(SessionWorkTranscoding())
        return transcoder

    def _take_snapshots(self, processing_event: ProcessingEvent[UUID]) -> None:
        """Snapshot just-saved aggregates from memory. The library would first rebuild each one
        from the store, decoding the page of records it has just written. Overrides a private
        method of eventsourcing 9.5: re-check it on upgrades."""
        if self.snapshots is None:
            return
        for aggregate_id, aggregate in processing_event.aggregates.items():
            interval = self.snapshotting_intervals.get(type(aggregate))
            if interval is None or not any(
                e.originator_version % interval == 0
                for e in processing_event.events
                if e.originator_id == aggregate_id
            ):
                continue
            snapshot_class = getattr(type(aggregate), "Snapshot", None) or self.snapshot_class
            assert snapshot_class is not None  # snapshotting is on (self.snapshots exists)
            self.snapshots.put([snapshot_class.take(aggregate)])

    # -- loading ---------------------------------------------------------------------------

    def _account(self) -> Account:
        """The account, opened (not yet saved) on first use."""
        try:
            return self.repository.get(Account.create_id())
        except AggregateNotFoundError:
            return Account(owner_id=uuid4(), opened_at=self.clock())

    def _get(self, aggregate_id: UUID) -> Any:
        """An aggregate, or None when there is none with that id."""
        try:
            return self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None

    def _user(self, username: str) -> User:
        try:
            return self.repository.get(user_id(username))
        except AggregateNotFoundError:
            raise NotFound(f"no user named {excerpt(username)}") from None

    # -- account ---------------------------------------------------------------------------

    @command
    def change_account(
        self,
        *,
        status: str | None = None,
        strong_passwords: bool | None = None,
        password_expiry_days: int | None = UNCHANGED,
        lockout_attempts: int | None = None,
        public_url: str | None = UNCHANGED,
        changed_by: str = "api",
    ) -> dict[str, Any]:
        """Change the account's status, password policy or stored public URL ('' or None
        forgets the URL)."""
        account = self._account()
        if public_url is not UNCHANGED:
            account.set_public_url(public_url, check_text(changed_by, "who"), self.clock())
        if status is not None:
            account.change_status(status)
        account.change_password_policy(
            expiry_days=account.password_expiry_days
            if password_expiry_days is UNCHANGED
            else password_expiry_days,
            strong_passwords=account.strong_passwords
            if strong_passwords is None
            else strong_passwords,
            lockout_attempts=account.lockout_attempts
            if lockout_attempts is None
            else lockout_attempts,
        )
        self.save(account)
        return views.account_view(account)

    def get_account(self) -> dict[str, Any]:
        """The account's status and policy."""
        return views.account_view(self._account())

    def stored_public_url(self) -> str | None:
        """The public URL stored with `account set --public-url`, if any."""
        try:
            account: Account = self.repository.get(Account.create_id())
        except AggregateNotFoundError:
            return None
        return account.public_url

    # -- users -----------------------------------------------------------------------------

    @command
    def create_user(
        self,
        username: str,
        *,
        security_level: str,
        tracking_id: str | None = None,
        display_name: str | None = None,
        password: str | None = None,
    ) -> dict[str, Any]:
        """Create an admin or API-only user, optionally with a password."""
        now = self.clock()
        account = self._account()
        user = User.create(
            username,
            security_level=security_level,
            tracking_id=tracking_id,
            display_name=display_name,
            now=now,
        )
        account.register_user(username)
        if password is not None:
            passwords.check_password_rules(password, strong=account.strong_passwords)
            user.set_password(passwords.hash_password(password), now)
        self.save(account, user)
        return views.user_view(user, account, now)

    @command
    def change_user(
        self,
        username: str,
        *,
        status: str | None = None,
        password: str | None = None,
        expire_password: bool = False,
    ) -> dict[str, Any]:
        """Change a user's status or password, or force a new password."""
        now = self.clock()
        account = self._account()
        user = self._user(username)
        if password is not None:
            passwords.check_password_rules(password, strong=account.strong_passwords)
            user.set_password(passwords.hash_password(password), now)
        if status is not None:
            user.change_status(status)
        if expire_password:
            user.expire_password()
        self.save(user)
        return views.user_view(user, account, now)

    def get_user(self, username: str) -> dict[str, Any]:
        """One user, without any password material."""
        return views.user_view(self._user(username), self._account(), self.clock())

    def list_users(self) -> list[dict[str, Any]]:
        """Every user, in the order they were created."""
        account = self._account()
        now = self.clock()
        return [
            views.user_view(self._user(name), account, now) for name in account.usernames.values()
        ]
