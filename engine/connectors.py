"""Connector commands: web connectors, their settings, their .qwc registrations and their
company file, mixed into the TransferEngine."""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError

from engine import views
from engine.aggregates import Account, Registration, User, WebConnector
from engine.aggregates.connector import TRANSFER_KINDS, check_connector_name, parse_emails
from engine.aggregates.inventory_sync import InventorySync
from engine.aggregates.quickbooks_lists import QuickBooksLists
from engine.aggregates.slot import UpdateSlot
from engine.commanding import UNCHANGED, command
from engine.errors import InvalidValue, NotFound
from engine.ids import looks_like_prefix, match_id
from engine.kinds import TransferKind
from engine.loading import load
from engine.mapping import Category, choices, resolve_target
from engine.ports import QuickBooksDirectory
from engine.purchase_orders import INCOME_FROM_PO
from engine.qwc import QwcSpec, build_qwc, check_app_url
from engine.text import check_text, excerpt
from engine.transfers import TransferCommands

APP_DESCRIPTION = "Transfers PSA invoices, time and expenses into QuickBooks"


INCOME_ACCOUNT = Category(
    name="income_account",
    psa_kind=None,
    lists=("accounts",),
    label="Income account for new inventory items",
    account_types=("Income",),
)


class ConnectorCommands(TransferCommands):
    """Everything an admin does to a web connector."""

    def _connector(self, ref: str | UUID, account: Account | None = None) -> WebConnector:
        """A connector by id, or by name as a convenience for people typing commands."""
        account = account or self._account()
        wanted = str(ref).strip()
        for connector_id, name in account.connectors.items():
            if wanted.casefold() == name.casefold():
                return self.repository.get(UUID(connector_id))
        found = match_id(wanted, account.connectors, "web connector")
        if found is None:
            raise NotFound(f"no web connector {excerpt(wanted)}")
        return self.repository.get(UUID(found))

    def _registration(self, registration_id: str | UUID) -> Registration:
        registration = load(self.repository, str(registration_id), Registration)
        if registration is None and looks_like_prefix(str(registration_id)):
            connectors: list[WebConnector] = [
                self.repository.get(UUID(connector_id))
                for connector_id in self._account().connectors
            ]
            issued = [str(r["id"]) for c in connectors for r in c.registrations]
            found = match_id(str(registration_id), issued, "registration")
            registration = load(self.repository, found, Registration) if found else None
        if registration is None:
            raise NotFound(f"no registration {excerpt(registration_id)}")
        return registration

    def _connector_view(self, connector: WebConnector, account: Account) -> dict[str, Any]:
        try:
            slot: UpdateSlot = self.repository.get(UpdateSlot.create_id(connector.id))
            last_session = slot.last_session
        except AggregateNotFoundError:
            last_session = None
        sync = self._get(InventorySync.create_id(connector.id))
        last_sync = sync.last_sync_at if isinstance(sync, InventorySync) else None
        return views.connector_view(connector, account, last_session, last_sync)

    def inventory_history(self, ref: str | UUID) -> dict[str, Any]:
        """The connector's Inventory Synchronization History: each run, newest first, with
        what it set and every item it skipped, and when the last one succeeded."""
        connector = self._connector(ref)
        sync = self._get(InventorySync.create_id(connector.id))
        runs = list(reversed(sync.runs)) if isinstance(sync, InventorySync) else []
        last = sync.last_sync_at if isinstance(sync, InventorySync) else None
        return {
            "connector_id": str(connector.id),
            "sync_inventory_on_next_run": connector.sync_inventory_requested,
            "last_inventory_sync": views.iso(last),
            "in_doubt": bool(isinstance(sync, InventorySync) and sync.in_flight),
            "runs": runs,
        }

    def _check_api_user(self, username: str) -> User:
        try:
            user = self._user(username)
        except NotFound:
            raise InvalidValue(
                f"no user named {excerpt(username)}; QBWC must communicate with QuickBooks as an "
                "existing API-only user"
            ) from None
        reason = user.can_talk_to_quickbooks()
        if reason:
            raise InvalidValue(
                f"{reason}; QBWC must communicate with QuickBooks as an active API-only user "
                "with a tracking identifier"
            )
        return user

    def eligible_api_users(self) -> list[str]:
        """The users a connector may communicate with QuickBooks as ("Communicate with
        QuickBooks As"): active API-only users with a tracking identifier."""
        account = self._account()
        users = (self._user(name) for name in account.usernames.values())
        return [user.username for user in users if user.can_talk_to_quickbooks() is None]

    @command
    def create_connector(self, *, name: str, api_username: str) -> dict[str, Any]:
        """Create a web connector; the first one becomes the default forever."""
        now = self.clock()
        name = check_connector_name(name)
        account = self._account()
        account.check_connector_name_free(name)
        user = self._check_api_user(api_username)
        connector = WebConnector(
            name=name,
            api_username=user.username,
            is_default=account.default_connector_id is None,
            file_id=uuid4(),
            created_at=now,
        )
        account.register_connector(connector.id, name)
        self.save(account, connector)
        return self._connector_view(connector, account)

    @command
    def change_connector(
        self,
        ref: str | UUID,
        *,
        name: str | None = None,
        api_username: str | None = None,
        transfers: dict[str, bool] | None = None,
        sync_inventory_now: bool = False,
        emails: str | None = None,
        auto_run_minutes: int | None = None,
        income_account: str | None = UNCHANGED,
        transfer_taxes_directly: bool | None = None,
        item_naming: str | None = None,
        name_overflow: str | None = None,
        transfer_cash_advances: bool | None = None,
    ) -> dict[str, Any]:
        """Change a connector's name, API user or settings; each change is its own event."""
        account = self._account()
        connector = self._connector(ref, account)
        if name is not None:
            name = check_connector_name(name)
            if name != connector.name:
                account.rename_connector(connector.id, name)
                connector.rename(name)
        if api_username is not None and api_username != connector.api_username:
            connector.assign_api_user(self._check_api_user(api_username).username)
        transfers = dict(transfers or {})
        unknown = set(transfers) - set(TRANSFER_KINDS)
        if unknown:
            raise InvalidValue(f"unknown transfer kind {excerpt(sorted(unknown)[0])}")
        if transfers.get(TransferKind.PURCHASE_ORDERS) is True:
            account.claim_inventory(connector.id)
        elif transfers.get(TransferKind.PURCHASE_ORDERS) is False:
            account.release_inventory(connector.id)
        switched_on = [k for k, on in transfers.items() if on and not connector.transfers[k]]
        connector.change_transfers(transfers)
        if sync_inventory_now:
            connector.request_inventory_sync()
        if emails is not None:
            connector.change_emails(parse_emails(emails))
        if auto_run_minutes is not None:
            connector.change_auto_run_minutes(auto_run_minutes)
        if income_account is not UNCHANGED:
            connector.change_income_account(self._income_account(connector, income_account))
        if transfer_taxes_directly is not None:
            connector.change_transfer_taxes_directly(transfer_taxes_directly)
        if item_naming is not None or name_overflow is not None:
            connector.change_naming(item_naming, name_overflow)
        if transfer_cash_advances is not None:
            connector.change_cash_advances(transfer_cash_advances)
        queued = self._queue_connector(connector, account, switched_on, self.clock())
        self.save(account, connector, *queued)
        return self._connector_view(connector, account)

    def get_connector(self, ref: str | UUID) -> dict[str, Any]:
        """One connector with its settings and registrations."""
        account = self._account()
        return self._connector_view(self._connector(ref, account), account)

    def list_connectors(self) -> list[dict[str, Any]]:
        """Every connector, the default first (it was created first)."""
        account = self._account()
        return [
            self._connector_view(self.repository.get(UUID(cid)), account)
            for cid in account.connectors
        ]

    # -- .qwc registrations ----------------------------------------------------------------

    @command
    def issue_qwc(
        self,
        ref: str | UUID,
        *,
        public_url: str,
        issued_by: str,
        username: str | None = None,
    ) -> dict[str, Any]:
        """Write a new .qwc for a connector: a new registration with its own AppURL."""
        now = self.clock()
        account = self._account()
        connector = self._connector(ref, account)
        username = username or connector.api_username
        user = self._check_api_user(username)
        if user.username.casefold() != connector.api_username.casefold():
            raise InvalidValue(
                f"user {user.username!r} is not web connector {connector.name!r}'s API user "
                f"({connector.api_username!r}); QBWC would be refused with code 90303"
            )
        public_url = public_url.rstrip("/")
        registration_id = uuid4()
        app_url = f"{public_url}/qbwc/{registration_id}"
        problems = check_app_url(app_url)
        if problems:
            raise InvalidValue(problems[0])
        text = build_qwc(
            QwcSpec(
                app_name=connector.app_name,
                app_url=app_url,
                app_support=f"{public_url}/support",
                app_description=APP_DESCRIPTION,
                username=user.username,
                owner_id=account.owner_id,
                file_id=connector.file_id,
                run_every_minutes=connector.auto_run_minutes,
            )
        )
        registration = Registration(
            id=registration_id,
            connector_id=connector.id,
            username=user.username,
            app_name=connector.app_name,
            app_url=app_url,
            issued_by=issued_by,
            issued_at=now,
        )
        connector.record_qwc_issued(registration_id, user.username, issued_by, now)
        self.save(connector, registration)
        return {
            "registration_id": str(registration_id),
            "connector_id": str(connector.id),
            "username": user.username,
            "app_url": app_url,
            "filename": "qbtransfer.qwc",
            "qwc": text,
        }

    @command
    def revoke_registration(
        self, registration_id: str | UUID, *, reason: str, revoked_by: str
    ) -> dict[str, Any]:
        """Stop a downloaded .qwc from working (QBWC then sees code 90101)."""
        registration = self._registration(registration_id)
        registration.revoke(reason or "revoked by an administrator", revoked_by, self.clock())
        self.save(registration)
        return views.registration_view(registration)

    def get_registration(self, registration_id: str | UUID) -> dict[str, Any]:
        """One registration."""
        return views.registration_view(self._registration(registration_id))

    def list_registrations(self, ref: str | UUID) -> list[dict[str, Any]]:
        """Every .qwc ever issued for a connector, oldest first."""
        connector = self._connector(ref)
        return [
            views.registration_view(self._registration(r["id"])) for r in connector.registrations
        ]

    # -- the company file --------------------------------------------------------------------

    @command
    def clear_company_file(self, ref: str | UUID, *, cleared_by: str) -> dict[str, Any]:
        """Unlink the connector's company file: its QuickBooks lists and its mappings are
        forgotten and every .qwc issued so far stops working (90101)."""
        now = self.clock()
        account = self._account()
        connector = self._connector(ref, account)
        if connector.company_file is None:
            raise InvalidValue(f"web connector {connector.name!r} has no company file linked")
        connector.clear_company_file(cleared_by, now)
        to_save: list[Any] = [connector]
        for issued in connector.registrations:
            registration = self._registration(issued["id"])
            if not registration.is_revoked:
                registration.revoke(
                    "superseded: the company file link was cleared", cleared_by, now
                )
                to_save.append(registration)
        lists = self._lists_of(connector.id)
        lists.reset("company file cleared", now)
        mapping = self._mapping(connector.id)
        mapping.clear_all("the company file link was cleared", cleared_by, now)
        self.save(*to_save, lists, mapping)
        return self._connector_view(connector, account)

    @command
    def request_deletion_sync(self, ref: str | UUID) -> dict[str, Any]:
        """Look for records deleted in QuickBooks during the connector's next run."""
        now = self.clock()
        account = self._account()
        connector = self._connector(ref, account)
        lists = self._lists_of(connector.id)
        if not lists.deletions_due:
            lists.request_deletion_sync(now)
            self.save(lists)
        return self._connector_view(connector, account)

    def income_account_choices(
        self, ref: str | UUID, *, directory: QuickBooksDirectory
    ) -> list[str]:
        """The accounts new inventory items' income may go to: the synced income accounts,
        and the one the integration creates itself."""
        connector = self._connector(ref)
        found = choices(INCOME_ACCOUNT, connector.id, directory)
        return found if INCOME_FROM_PO in found else [*found, INCOME_FROM_PO]

    def _income_account(self, connector: WebConnector, name: str | None) -> str | None:
        """The income account for new inventory items, checked against the synced accounts as
        a mapping is (the fallback is the one account the integration creates itself)."""
        name = (name or "").strip() or None
        if name is None or name.casefold() == INCOME_FROM_PO.casefold() or self.directory is None:
            return name
        if "accounts" in self._lists_of(connector.id).never_synced():
            raise InvalidValue(
                f"cannot check the income account {excerpt(name)} yet: {connector.name}'s "
                "QuickBooks accounts have not been synced; run the Web Connector once, then "
                "set it"
            )
        return str(resolve_target(INCOME_ACCOUNT, connector.id, name, self.directory)["full_name"])

    @command
    def request_list_refresh(
        self, ref: str | UUID, full: bool = False, requested_by: str = "api"
    ) -> dict[str, Any]:
        """Pull the QuickBooks lists at the connector's next run, even if they were synced
        within the hour: what changed since the last sync, or with `full` every record."""
        now = self.clock()
        connector = self._connector(ref)
        lists = self._lists_of(connector.id)
        lists.request_refresh(full, check_text(requested_by, "the requester"), now)
        self.save(lists)
        return views.list_refresh_view(connector, lists)

    def list_sync_status(self, ref: str | UUID) -> dict[str, Any]:
        """When each QuickBooks list was last pulled, and any refresh still waiting."""
        connector = self._connector(ref)
        return views.list_refresh_view(connector, self._lists_of(connector.id))

    def _lists_of(self, connector_id: UUID) -> QuickBooksLists:
        try:
            return self.repository.get(QuickBooksLists.create_id(connector_id))
        except AggregateNotFoundError:
            return QuickBooksLists(connector_id)
