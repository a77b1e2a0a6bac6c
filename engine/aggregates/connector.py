"""Web connectors: one per QuickBooks company file, each with its own transfer settings."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from engine.errors import InvalidValue
from engine.kinds import TransferKind
from engine.naming import ITEM_NAMING, OVERFLOW_POLICIES
from engine.text import excerpt

NAME_MAX = 80
MIN_AUTO_RUN_MINUTES = 15  # QBWC's own floor for Auto-Run
MAX_AUTO_RUN_MINUTES = 10080  # a week; anything above reads like an error code in QBWC
DEFAULT_AUTO_RUN_MINUTES = 15
INCOME_ACCOUNT_MAX = 159  # an AccountRef FullName
EMAIL_PATTERN = re.compile(
    r"^[^@\s;,<>\"]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$"
)

# The transfer kinds a connector can switch on, in the order the edit page shows them.
TRANSFER_KINDS = tuple(TransferKind)


def check_connector_name(name: str) -> str:
    """The name as stored (trimmed), or a refusal saying what is wrong with it."""
    name = (name or "").strip()
    if not name:
        raise InvalidValue("a web connector needs a name")
    if len(name) > NAME_MAX:
        raise InvalidValue(f"the web connector name is longer than {NAME_MAX} characters")
    if any(ord(ch) < 32 for ch in name):
        raise InvalidValue("the web connector name contains a control character")
    return name


def parse_emails(text: str) -> list[str]:
    """Split a `;`-separated list of e-mail addresses, refusing the first that is not valid."""
    emails: list[str] = []
    for raw in (text or "").split(";"):
        address = raw.strip()
        if not address:
            continue
        if len(address) > 254 or not EMAIL_PATTERN.match(address):
            raise InvalidValue(f"{excerpt(address)} is not a valid e-mail address")
        if address.casefold() not in (e.casefold() for e in emails):
            emails.append(address)
    return emails


class WebConnector(Aggregate):
    """A link between this PSA and one QuickBooks company file."""

    # -- events ------------------------------------------------------------------------

    class Created(Aggregate.Created):
        name: str
        api_username: str
        is_default: bool
        file_id: UUID
        created_at: datetime

    class Renamed(Aggregate.Event):
        name: str

    class ApiUserAssigned(Aggregate.Event):
        username: str

    class TransferOptionsChanged(Aggregate.Event):
        changes: dict[str, bool]

    class InventorySyncRequested(Aggregate.Event):
        pass

    class InventorySyncDone(Aggregate.Event):
        outcome: str
        at: datetime

    class IncomeAccountChanged(Aggregate.Event):
        account: str | None

    class EmailsChanged(Aggregate.Event):
        emails: list[str]

    class TaxesDirectlyChanged(Aggregate.Event):
        enabled: bool

    class AutoRunIntervalChanged(Aggregate.Event):
        minutes: int

    class NamingConventionsChanged(Aggregate.Event):
        item_naming: str
        name_overflow: str

    class CashAdvancesChanged(Aggregate.Event):
        enabled: bool

    class QwcIssued(Aggregate.Event):
        registration_id: UUID
        username: str
        issued_by: str
        issued_at: datetime

    class CompanyFileLinked(Aggregate.Event):
        path: str
        file_id: str | None
        company_name: str
        country: str
        product: str
        qbxml_version: str
        at: datetime

    class QbxmlVersionChanged(Aggregate.Event):
        qbxml_version: str
        product: str
        at: datetime

    class CompanyFileCleared(Aggregate.Event):
        cleared_by: str
        at: datetime

    @event(Created)
    def __init__(
        self, name: str, api_username: str, is_default: bool, file_id: UUID, created_at: datetime
    ) -> None:
        self.name = name
        self.api_username = api_username
        self.is_default = is_default
        self.file_id = file_id  # the .qwc FileID: stable for the life of the connector
        self.created_at = created_at
        # Synchronisation starts disabled so mappings can be finished first.
        self.transfers: dict[str, bool] = dict.fromkeys(TRANSFER_KINDS, False)
        self.sync_inventory_requested = False
        self.income_account: str | None = None
        self.emails: list[str] = []
        self.transfer_taxes_directly = False
        self.auto_run_minutes = DEFAULT_AUTO_RUN_MINUTES
        self.registrations: list[dict[str, Any]] = []
        self.company_file: dict[str, object] | None = None
        self.item_naming = "billing-code"
        self.name_overflow = "fail"
        self.transfer_cash_advances = False

    @property
    def app_name(self) -> str:
        """The .qwc AppName. QBWC keys applications by it, so each connector has its own."""
        return f"qbtransfer - {self.name}"

    # -- identity --------------------------------------------------------------------------

    @event(Renamed)
    def rename(self, name: str) -> None:
        """Give the connector a new name (already checked for uniqueness by the account)."""
        self.name = name

    @event(ApiUserAssigned)
    def assign_api_user(self, username: str) -> None:
        """Make `username` the user QBWC communicates with QuickBooks as."""
        self.api_username = username

    # -- transfer settings -------------------------------------------------------------------

    def change_transfers(self, changes: dict[str, bool]) -> None:
        """Switch transfer kinds on or off; records only what actually changes."""
        for kind in changes:
            if kind not in TRANSFER_KINDS:
                raise InvalidValue(f"unknown transfer kind {excerpt(kind)}")
        effective = {k: v for k, v in changes.items() if self.transfers[k] != v}
        if effective:
            self._transfer_options_changed(changes=effective)

    @event(TransferOptionsChanged)
    def _transfer_options_changed(self, changes: dict[str, bool]) -> None:
        self.transfers.update(changes)
        if not self.transfers[TransferKind.PURCHASE_ORDERS]:
            self.sync_inventory_requested = False

    def request_inventory_sync(self) -> None:
        """Ask for a full inventory sync during the next QuickBooks-initiated communication."""
        if not self.transfers[TransferKind.PURCHASE_ORDERS]:
            raise InvalidValue(
                f"web connector {self.name!r} does not transfer purchase orders & sync "
                "inventory; turn that on before asking for an inventory sync"
            )
        if not self.sync_inventory_requested:
            self._inventory_sync_requested()

    @event(InventorySyncRequested)
    def _inventory_sync_requested(self) -> None:
        self.sync_inventory_requested = True

    @event(InventorySyncDone)
    def clear_inventory_sync(self, outcome: str, at: datetime) -> None:
        """The requested sync ran (`outcome`: succeeded or failed): the one-shot box clears
        either way, as the product documents."""
        self.sync_inventory_requested = False

    def change_income_account(self, account: str | None) -> None:
        """Set the QuickBooks income account for new inventory items (None: the default)."""
        account = (account or "").strip() or None
        if account is not None and len(account) > INCOME_ACCOUNT_MAX:
            raise InvalidValue(
                f"the income account name is longer than {INCOME_ACCOUNT_MAX} characters"
            )
        if account != self.income_account:
            self._income_account_changed(account=account)

    @event(IncomeAccountChanged)
    def _income_account_changed(self, account: str | None) -> None:
        self.income_account = account

    def change_emails(self, emails: list[str]) -> None:
        """Set who is told about transfer errors."""
        if emails != self.emails:
            self._emails_changed(emails=emails)

    @event(EmailsChanged)
    def _emails_changed(self, emails: list[str]) -> None:
        self.emails = list(emails)

    def change_transfer_taxes_directly(self, enabled: bool) -> None:
        """Turn the legacy "send the PSA's tax as an invoice line" option on or off."""
        country = (self.company_file or {}).get("country")
        if enabled and country and country != "US":
            raise InvalidValue(
                f"transfer taxes directly is for US QuickBooks only; web connector "
                f"{self.name!r} is linked to a {country} company file"
            )
        if enabled != self.transfer_taxes_directly:
            self._taxes_directly_changed(enabled=enabled)

    @event(TaxesDirectlyChanged)
    def _taxes_directly_changed(self, enabled: bool) -> None:
        self.transfer_taxes_directly = enabled

    def change_auto_run_minutes(self, minutes: int) -> None:
        """Set how often QBWC should run this connector on its own."""
        if not MIN_AUTO_RUN_MINUTES <= minutes <= MAX_AUTO_RUN_MINUTES:
            raise InvalidValue(
                f"the auto-run interval must be between {MIN_AUTO_RUN_MINUTES} and "
                f"{MAX_AUTO_RUN_MINUTES} minutes (QBWC's minimum is {MIN_AUTO_RUN_MINUTES})"
            )
        if minutes != self.auto_run_minutes:
            self._auto_run_interval_changed(minutes=minutes)

    @event(AutoRunIntervalChanged)
    def _auto_run_interval_changed(self, minutes: int) -> None:
        self.auto_run_minutes = minutes

    def change_naming(self, item_naming: str | None, name_overflow: str | None) -> None:
        """Choose how billing items become QuickBooks item names, and what happens to a name
        longer than QuickBooks allows."""
        item_naming = item_naming or self.item_naming
        name_overflow = name_overflow or self.name_overflow
        if item_naming not in ITEM_NAMING:
            raise InvalidValue(f"item naming must be one of {', '.join(ITEM_NAMING)}")
        if name_overflow not in OVERFLOW_POLICIES:
            raise InvalidValue(f"name overflow must be one of {', '.join(OVERFLOW_POLICIES)}")
        if (item_naming, name_overflow) != (self.item_naming, self.name_overflow):
            self._naming_changed(item_naming=item_naming, name_overflow=name_overflow)

    @event(NamingConventionsChanged)
    def _naming_changed(self, item_naming: str, name_overflow: str) -> None:
        self.item_naming, self.name_overflow = item_naming, name_overflow

    def change_cash_advances(self, enabled: bool) -> None:
        """Send cash advances as a negative line reducing an expense report's bill."""
        if enabled != self.transfer_cash_advances:
            self._cash_advances_changed(enabled=enabled)

    @event(CashAdvancesChanged)
    def _cash_advances_changed(self, enabled: bool) -> None:
        self.transfer_cash_advances = enabled

    # -- .qwc files ----------------------------------------------------------------------------

    @event(QwcIssued)
    def record_qwc_issued(
        self, registration_id: UUID, username: str, issued_by: str, issued_at: datetime
    ) -> None:
        """Remember a downloaded .qwc, so the connector knows every registration it has."""
        self.registrations.append(
            {
                "id": registration_id,
                "username": username,
                "issued_by": issued_by,
                "issued_at": issued_at,
            }
        )

    # -- the company file ----------------------------------------------------------------------

    @event(CompanyFileLinked)
    def link_company_file(
        self,
        path: str,
        file_id: str | None,
        company_name: str,
        country: str,
        product: str,
        qbxml_version: str,
        at: datetime,
    ) -> None:
        """The first QBWC session tells which company file this connector belongs to."""
        self.company_file = {
            "path": path,
            "file_id": file_id,
            "company_name": company_name,
            "country": country,
            "product": product,
            "qbxml_version": qbxml_version,
            "linked_at": at.isoformat(),
        }

    @event(QbxmlVersionChanged)
    def change_qbxml_version(self, qbxml_version: str, product: str, at: datetime) -> None:
        """QuickBooks was upgraded (or downgraded): later messages use this version."""
        if self.company_file is not None:
            self.company_file = {
                **self.company_file,
                "qbxml_version": qbxml_version,
                "product": product,
            }

    @event(CompanyFileCleared)
    def clear_company_file(self, cleared_by: str, at: datetime) -> None:
        """Unlink the company file, so the next session links whatever file it opens."""
        self.company_file = None
