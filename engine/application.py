"""The TransferEngine: every command the outside world may give, in one eventsourcing Application.

Each public method takes ids and plain values, loads the aggregates it needs, calls their verbs
and saves them together, so a command is recorded whole or not at all. Queries return plain
values (dicts, lists), never aggregates. A refusal raises a `DomainError` before anything is
saved; a lost optimistic-concurrency race is retried from a fresh load.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError
from eventsourcing.utils import EnvType

from engine import passwords
from engine.aggregates import Account, ApiToken, Registration, User, WebConnector
from engine.aggregates.connector import TRANSFER_KINDS, check_connector_name, parse_emails
from engine.aggregates.token import token_id
from engine.aggregates.user import user_id
from engine.errors import Conflict, InvalidValue, NotFound
from engine.qwc import QwcSpec, braced, build_qwc, check_app_url
from engine.settings import APPLICATION_NAME

F = TypeVar("F", bound=Callable[..., Any])
UNCHANGED: Any = object()
APP_DESCRIPTION = "Transfers PSA invoices, time and expenses into QuickBooks"


def utcnow() -> datetime:
    """The current time in UTC (events always carry UTC)."""
    return datetime.now(UTC)


def command(func: F) -> F:
    """Run a command again from a fresh load when another writer saved first."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        for attempt in range(6):
            try:
                return func(*args, **kwargs)
            except IntegrityError:
                if attempt == 5:
                    raise Conflict(
                        "the change clashed with concurrent changes; please try again"
                    ) from None
        raise AssertionError("unreachable")

    return wrapper  # type: ignore[return-value]


class TransferEngine(Application):
    """The engine: users, the account, web connectors and their .qwc registrations."""

    name = APPLICATION_NAME

    def __init__(self, env: EnvType | None = None, clock: Callable[[], datetime] = utcnow) -> None:
        super().__init__(env)
        self.clock = clock

    # -- loading ---------------------------------------------------------------------------

    def _account(self) -> Account:
        """The account, opened (not yet saved) on first use."""
        try:
            return self.repository.get(Account.create_id())
        except AggregateNotFoundError:
            return Account(owner_id=uuid4(), opened_at=self.clock())

    def _user(self, username: str) -> User:
        try:
            return self.repository.get(user_id(username))
        except AggregateNotFoundError:
            raise NotFound(f"no user named {username!r}") from None

    def _connector(self, ref: str | UUID, account: Account | None = None) -> WebConnector:
        """A connector by id, or by name as a convenience for people typing commands."""
        account = account or self._account()
        wanted = str(ref).strip()
        for connector_id, name in account.connectors.items():
            if wanted in (connector_id, connector_id.replace("-", "")) or (
                wanted.casefold() == name.casefold()
            ):
                return self.repository.get(UUID(connector_id))
        raise NotFound(f"no web connector {wanted!r}")

    def _registration(self, registration_id: str | UUID) -> Registration:
        try:
            return self.repository.get(UUID(str(registration_id)))
        except (AggregateNotFoundError, ValueError):
            raise NotFound(f"no registration {registration_id!r}") from None

    # -- account ---------------------------------------------------------------------------

    @command
    def change_account(
        self,
        *,
        status: str | None = None,
        strong_passwords: bool | None = None,
        password_expiry_days: int | None = UNCHANGED,
        lockout_attempts: int | None = None,
    ) -> dict[str, Any]:
        """Change the account's status and password policy."""
        account = self._account()
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
        return _account_view(account)

    def get_account(self) -> dict[str, Any]:
        """The account's status and policy."""
        return _account_view(self._account())

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
        return _user_view(user, account, now)

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
        return _user_view(user, account, now)

    def get_user(self, username: str) -> dict[str, Any]:
        """One user, without any password material."""
        return _user_view(self._user(username), self._account(), self.clock())

    def list_users(self) -> list[dict[str, Any]]:
        """Every user, in the order they were created."""
        account = self._account()
        now = self.clock()
        return [_user_view(self._user(name), account, now) for name in account.usernames.values()]

    # -- connectors ------------------------------------------------------------------------

    def _check_api_user(self, username: str) -> User:
        try:
            user = self._user(username)
        except NotFound:
            raise InvalidValue(
                f"no user named {username!r}; QBWC must communicate with QuickBooks as an "
                "existing API-only user"
            ) from None
        reason = user.can_talk_to_quickbooks()
        if reason:
            raise InvalidValue(
                f"{reason}; QBWC must communicate with QuickBooks as an active API-only user "
                "with a tracking identifier"
            )
        return user

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
        return _connector_view(connector, account)

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
            raise InvalidValue(f"unknown transfer kind {sorted(unknown)[0]!r}")
        if transfers.get("purchase_orders") is True:
            account.claim_inventory(connector.id)
        elif transfers.get("purchase_orders") is False:
            account.release_inventory(connector.id)
        connector.change_transfers(transfers)
        if sync_inventory_now:
            connector.request_inventory_sync()
        if emails is not None:
            connector.change_emails(parse_emails(emails))
        if auto_run_minutes is not None:
            connector.change_auto_run_minutes(auto_run_minutes)
        if income_account is not UNCHANGED:
            connector.change_income_account(income_account)
        if transfer_taxes_directly is not None:
            connector.change_transfer_taxes_directly(transfer_taxes_directly)
        self.save(account, connector)
        return _connector_view(connector, account)

    def get_connector(self, ref: str | UUID) -> dict[str, Any]:
        """One connector with its settings and registrations."""
        account = self._account()
        return _connector_view(self._connector(ref, account), account)

    def list_connectors(self) -> list[dict[str, Any]]:
        """Every connector, the default first (it was created first)."""
        account = self._account()
        return [
            _connector_view(self.repository.get(UUID(cid)), account) for cid in account.connectors
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
        return _registration_view(registration)

    def get_registration(self, registration_id: str | UUID) -> dict[str, Any]:
        """One registration."""
        return _registration_view(self._registration(registration_id))

    def list_registrations(self, ref: str | UUID) -> list[dict[str, Any]]:
        """Every .qwc ever issued for a connector, oldest first."""
        connector = self._connector(ref)
        return [_registration_view(self._registration(r["id"])) for r in connector.registrations]

    # -- API tokens --------------------------------------------------------------------------

    @command
    def create_token(self, name: str) -> dict[str, Any]:
        """A new admin API token; the token text is returned here once and never again."""
        now = self.clock()
        account = self._account()
        token = passwords.new_token()
        api_token = ApiToken.issue(name, passwords.token_digest(token), now)
        account.register_token(api_token.id)
        self.save(account, api_token)
        return {
            "id": str(api_token.id),
            "name": api_token.name,
            "token": token,
            "created_at": now.isoformat(),
        }

    def authenticate_token(self, token: str) -> str | None:
        """The name of the live token `token`, or None."""
        digest = passwords.token_digest(token)
        try:
            api_token: ApiToken = self.repository.get(token_id(digest))
        except AggregateNotFoundError:
            return None
        if api_token.revoked_at is not None or not passwords.same_digest(api_token.digest, digest):
            return None
        return api_token.name


# -- views: plain values for the outside world ---------------------------------------------


def _account_view(account: Account) -> dict[str, Any]:
    return {
        "status": account.status,
        "password_expiry_days": account.password_expiry_days,
        "strong_passwords": account.strong_passwords,
        "lockout_attempts": account.lockout_attempts,
        "owner_id": braced(account.owner_id),
        "default_connector_id": _str(account.default_connector_id),
    }


def _user_view(user: User, account: Account, now: datetime) -> dict[str, Any]:
    return {
        "username": user.username,
        "display_name": user.display_name,
        "security_level": user.security_level,
        "tracking_id": user.tracking_id,
        "status": user.status,
        "has_password": user.password_hash is not None,
        "password_set_at": _iso(user.password_set_at),
        "password_expired": user.password_has_expired(now, account.password_expiry_days),
        "failed_attempts": user.failed_attempts,
        "created_at": _iso(user.created_at),
    }


def _connector_view(connector: WebConnector, account: Account) -> dict[str, Any]:
    return {
        "id": str(connector.id),
        "name": connector.name,
        "is_default": connector.is_default,
        "api_user": connector.api_username,
        "file_id": braced(connector.file_id),
        "app_name": connector.app_name,
        "created_at": _iso(connector.created_at),
        "transfer_invoices": connector.transfers["invoices"],
        "transfer_timesheets": connector.transfers["timesheets"],
        "transfer_expense_reports": connector.transfers["expense_reports"],
        "transfer_purchase_orders": connector.transfers["purchase_orders"],
        "sync_inventory_on_next_run": connector.sync_inventory_requested,
        "income_account": connector.income_account,
        "emails": list(connector.emails),
        "transfer_taxes_directly": connector.transfer_taxes_directly,
        "auto_run_minutes": connector.auto_run_minutes,
        "registrations": len(connector.registrations),
        "version": connector.version,
    }


def _registration_view(registration: Registration) -> dict[str, Any]:
    return {
        "id": str(registration.id),
        "connector_id": str(registration.connector_id),
        "username": registration.username,
        "app_name": registration.app_name,
        "app_url": registration.app_url,
        "issued_by": registration.issued_by,
        "issued_at": _iso(registration.issued_at),
        "revoked": registration.is_revoked,
        "revoked_at": _iso(registration.revoked_at),
        "revoked_reason": registration.revoked_reason,
    }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _str(value: object) -> str | None:
    return str(value) if value is not None else None
