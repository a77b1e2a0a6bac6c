"""Plain values for the outside world: what queries return instead of aggregates."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from engine.aggregates import Account, Registration, User, WebConnector
from engine.aggregates.quickbooks_lists import LIST_NAMES, QuickBooksLists
from engine.kinds import TransferKind
from engine.qwc import braced


def account_view(account: Account) -> dict[str, Any]:
    """The account's status and password policy."""
    return {
        "status": account.status,
        "password_expiry_days": account.password_expiry_days,
        "strong_passwords": account.strong_passwords,
        "lockout_attempts": account.lockout_attempts,
        "owner_id": braced(account.owner_id),
        "default_connector_id": text_or_none(account.default_connector_id),
        "public_url": account.public_url,
    }


def user_view(user: User, account: Account, now: datetime) -> dict[str, Any]:
    """A user, without any password material."""
    return {
        "username": user.username,
        "display_name": user.display_name,
        "security_level": user.security_level,
        "tracking_id": user.tracking_id,
        "status": user.status,
        "has_password": user.password_hash is not None,
        "password_set_at": iso(user.password_set_at),
        "password_expired": user.password_has_expired(now, account.password_expiry_days),
        "failed_attempts": user.failed_attempts,
        "created_at": iso(user.created_at),
    }


def connector_view(
    connector: WebConnector,
    account: Account,
    last_session: dict[str, Any] | None = None,
    last_inventory_sync: datetime | None = None,
) -> dict[str, Any]:
    """A connector, its settings and its company file."""
    company = connector.company_file or {}
    return {
        "id": str(connector.id),
        "name": connector.name,
        "is_default": connector.is_default,
        "api_user": connector.api_username,
        "file_id": braced(connector.file_id),
        "app_name": connector.app_name,
        "created_at": iso(connector.created_at),
        "transfer_invoices": connector.transfers[TransferKind.INVOICES],
        "transfer_timesheets": connector.transfers[TransferKind.TIMESHEETS],
        "transfer_expense_reports": connector.transfers[TransferKind.EXPENSE_REPORTS],
        "transfer_purchase_orders": connector.transfers[TransferKind.PURCHASE_ORDERS],
        "sync_inventory_on_next_run": connector.sync_inventory_requested,
        "last_inventory_sync": iso(last_inventory_sync),
        "income_account": connector.income_account,
        "emails": list(connector.emails),
        "transfer_taxes_directly": connector.transfer_taxes_directly,
        "auto_run_minutes": connector.auto_run_minutes,
        "item_naming": connector.item_naming,
        "name_overflow": connector.name_overflow,
        "transfer_cash_advances": connector.transfer_cash_advances,
        "registrations": len(connector.registrations),
        "company_file_location": company.get("path"),
        "company_file_id": company.get("file_id"),
        "company_name": company.get("company_name"),
        "quickbooks_product": company.get("product"),
        "quickbooks_country": company.get("country"),
        "qbxml_version": company.get("qbxml_version"),
        "last_session": last_session,
        "version": connector.version,
    }


def list_refresh_view(connector: WebConnector, lists: QuickBooksLists) -> dict[str, Any]:
    """Where a connector's list syncs stand: when each list was last pulled, and what an
    on-demand refresh still waits for."""
    return {
        "connector_id": str(connector.id),
        "connector": connector.name,
        "refresh_pending": lists.refresh_pending,
        "full": lists.refresh_is_full,
        "deletion_sync_due": lists.deletions_due,
        "deletions_synced_at": lists.deletions_synced_at,
        "lists": {name: lists.synced_at.get(name) for name in LIST_NAMES},
        "note": (
            "the next QBWC run pulls the lists first"
            + (" (every record again)" if lists.refresh_is_full else " (what changed)")
            if lists.refresh_pending
            else "lists are pulled at every QBWC run that has work, and at least hourly"
        ),
    }


def registration_view(registration: Registration) -> dict[str, Any]:
    """A downloaded .qwc."""
    return {
        "id": str(registration.id),
        "connector_id": str(registration.connector_id),
        "username": registration.username,
        "app_name": registration.app_name,
        "app_url": registration.app_url,
        "issued_by": registration.issued_by,
        "issued_at": iso(registration.issued_at),
        "revoked": registration.is_revoked,
        "revoked_at": iso(registration.revoked_at),
        "revoked_reason": registration.revoked_reason,
    }


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def text_or_none(value: object) -> str | None:
    return str(value) if value is not None else None
