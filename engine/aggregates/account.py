"""The account: the tenant this installation serves.

There is one account per installation. Besides its status and password policy it keeps the
installation-wide rules that span several aggregates: usernames and connector names are unique,
the first connector is the default forever, and only one connector may transfer purchase
orders and sync inventory. Commands that touch those rules save the account together with the
aggregate they change, so optimistic concurrency on the account serialises them.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from engine.errors import Conflict, InvalidValue
from engine.qwc import check_app_url
from engine.text import excerpt

ACCOUNT_STATUSES = ("active", "inactive", "suspended")
DEFAULT_LOCKOUT_ATTEMPTS = 10
MAX_LOCKOUT_ATTEMPTS = 99  # the 905NN code has two digits for the attempts left


def check_public_url(url: str) -> str:
    """`url` as a public URL (without a trailing slash), or why QBWC could not use it."""
    url = url.strip().rstrip("/")
    parts = urlsplit(url)
    if parts.username or parts.password:
        raise InvalidValue("the public URL must not carry a user name or password")
    if parts.query or parts.fragment:
        raise InvalidValue(
            f"the public URL {excerpt(url)} must be scheme, host, port and path only "
            "(no query or fragment)"
        )
    problems = check_app_url(url)
    if problems:
        raise InvalidValue(problems[0].replace("set PUBLIC_URL to", "use"))
    return url


class Account(Aggregate):
    """The tenant: status, password policy and the directory of users and connectors."""

    # -- events ------------------------------------------------------------------------

    class Opened(Aggregate.Created):
        owner_id: UUID
        opened_at: datetime

    class StatusChanged(Aggregate.Event):
        status: str

    class PasswordPolicyChanged(Aggregate.Event):
        expiry_days: int | None
        strong_passwords: bool
        lockout_attempts: int

    class UserRegistered(Aggregate.Event):
        username: str

    class ConnectorRegistered(Aggregate.Event):
        connector_id: UUID
        name: str

    class ConnectorRenamed(Aggregate.Event):
        connector_id: UUID
        name: str

    class InventoryClaimed(Aggregate.Event):
        connector_id: UUID

    class InventoryReleased(Aggregate.Event):
        connector_id: UUID

    class TokenRegistered(Aggregate.Event):
        token_id: UUID

    class PublicUrlSet(Aggregate.Event):
        public_url: str | None
        set_by: str
        at: datetime

    @staticmethod
    def create_id() -> UUID:
        return uuid5(NAMESPACE_URL, "qbtransfer:/account")

    @event(Opened)
    def __init__(self, owner_id: UUID, opened_at: datetime) -> None:
        self.owner_id = owner_id  # the .qwc OwnerID: one per installation, never changes
        self.opened_at = opened_at
        self.status = "active"
        self.password_expiry_days: int | None = None
        self.strong_passwords = False
        self.lockout_attempts = DEFAULT_LOCKOUT_ATTEMPTS
        self.usernames: dict[str, str] = {}  # casefolded -> as written
        self.connectors: dict[str, str] = {}  # connector id (str) -> name, in creation order
        self.default_connector_id: UUID | None = None
        self.inventory_connector_id: UUID | None = None
        self.token_ids: list[UUID] = []

    # -- status and policy -------------------------------------------------------------

    def change_status(self, status: str) -> None:
        """Make the account active, inactive or suspended."""
        if status not in ACCOUNT_STATUSES:
            raise InvalidValue(
                f"account status must be one of {', '.join(ACCOUNT_STATUSES)}, "
                f"not {excerpt(status)}"
            )
        if status != self.status:
            self._status_changed(status=status)

    @event(StatusChanged)
    def _status_changed(self, status: str) -> None:
        self.status = status

    def change_password_policy(
        self, *, expiry_days: int | None, strong_passwords: bool, lockout_attempts: int
    ) -> None:
        """Replace the password rules; an expiry of None (or 0) means passwords never expire."""
        expiry_days = expiry_days or None
        if expiry_days is not None and not 1 <= expiry_days <= 3650:
            raise InvalidValue("password expiry must be between 1 and 3650 days, or 0 for none")
        if not 1 <= lockout_attempts <= MAX_LOCKOUT_ATTEMPTS:
            raise InvalidValue(f"lockout attempts must be between 1 and {MAX_LOCKOUT_ATTEMPTS}")
        if (expiry_days, strong_passwords, lockout_attempts) != (
            self.password_expiry_days,
            self.strong_passwords,
            self.lockout_attempts,
        ):
            self._password_policy_changed(
                expiry_days=expiry_days,
                strong_passwords=strong_passwords,
                lockout_attempts=lockout_attempts,
            )

    @event(PasswordPolicyChanged)
    def _password_policy_changed(
        self, expiry_days: int | None, strong_passwords: bool, lockout_attempts: int
    ) -> None:
        self.password_expiry_days = expiry_days
        self.strong_passwords = strong_passwords
        self.lockout_attempts = lockout_attempts

    @property
    def public_url(self) -> str | None:
        """The address QBWC and browsers reach this server at, as an admin stored it."""
        return getattr(self, "stored_public_url", None)

    def set_public_url(self, url: str | None, set_by: str, at: datetime) -> None:
        """Store the public URL every .qwc points at (None forgets it)."""
        url = check_public_url(url) if url else None
        if url != self.public_url:
            self._public_url_set(public_url=url, set_by=set_by, at=at)

    @event(PublicUrlSet)
    def _public_url_set(self, public_url: str | None, set_by: str, at: datetime) -> None:
        self.stored_public_url = public_url

    # -- users ---------------------------------------------------------------------------

    def check_username_free(self, username: str) -> None:
        """Refuse a username that is taken, ignoring case."""
        if username.casefold() in self.usernames:
            raise Conflict(f"a user named {self.usernames[username.casefold()]!r} already exists")

    def register_user(self, username: str) -> None:
        """Add a username to the directory."""
        self.check_username_free(username)
        self._user_registered(username=username)

    @event(UserRegistered)
    def _user_registered(self, username: str) -> None:
        self.usernames[username.casefold()] = username

    # -- connectors ----------------------------------------------------------------------

    def check_connector_name_free(self, name: str, *, except_id: UUID | None = None) -> None:
        """Refuse a connector name that another connector has, ignoring case and spaces."""
        wanted = " ".join(name.split()).casefold()
        for connector_id, existing in self.connectors.items():
            if " ".join(existing.split()).casefold() == wanted and (
                except_id is None or connector_id != str(except_id)
            ):
                raise Conflict(f"a web connector named {existing!r} already exists")

    def register_connector(self, connector_id: UUID, name: str) -> bool:
        """Add a connector to the directory; returns True when it became the default."""
        self.check_connector_name_free(name)
        self._connector_registered(connector_id=connector_id, name=name)
        return self.default_connector_id == connector_id

    @event(ConnectorRegistered)
    def _connector_registered(self, connector_id: UUID, name: str) -> None:
        self.connectors[str(connector_id)] = name
        if self.default_connector_id is None:
            # The first connector is the default forever: nothing ever changes this field again.
            self.default_connector_id = connector_id

    def rename_connector(self, connector_id: UUID, name: str) -> None:
        """Record a connector's new name in the directory."""
        self.check_connector_name_free(name, except_id=connector_id)
        self._connector_renamed(connector_id=connector_id, name=name)

    @event(ConnectorRenamed)
    def _connector_renamed(self, connector_id: UUID, name: str) -> None:
        self.connectors[str(connector_id)] = name

    def claim_inventory(self, connector_id: UUID) -> None:
        """Let `connector_id` transfer purchase orders and sync inventory, if no other does."""
        holder = self.inventory_connector_id
        if holder == connector_id:
            return
        if holder is not None:
            raise Conflict(
                "purchase order transfer and inventory sync are already enabled on web connector "
                f"{self.connectors.get(str(holder), str(holder))!r}; the same inventory cannot "
                "feed two company files, so turn it off there first"
            )
        self._inventory_claimed(connector_id=connector_id)

    @event(InventoryClaimed)
    def _inventory_claimed(self, connector_id: UUID) -> None:
        self.inventory_connector_id = connector_id

    def release_inventory(self, connector_id: UUID) -> None:
        """Free the purchase-order/inventory role if `connector_id` holds it."""
        if self.inventory_connector_id == connector_id:
            self._inventory_released(connector_id=connector_id)

    @event(InventoryReleased)
    def _inventory_released(self, connector_id: UUID) -> None:
        self.inventory_connector_id = None

    # -- API tokens ----------------------------------------------------------------------

    def register_token(self, token_id: UUID) -> None:
        """Remember an API token so it can be listed and revoked."""
        self._token_registered(token_id=token_id)

    @event(TokenRegistered)
    def _token_registered(self, token_id: UUID) -> None:
        self.token_ids.append(token_id)
