"""Which ready PSA documents go through which connector.

An invoice goes where its organization's work goes, a timesheet or an expense report where its
resource's work goes: the connector the organization or resource is assigned to, else the
account's default connector. Purchase orders go only through the connector that transfers
purchase orders and syncs inventory. The readiness check and the session's steps both ask here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from engine.kinds import DocumentStatus, TransferKind

# The field of each kind's document that names its party, and the party's kind.
PARTIES = {
    TransferKind.INVOICES: ("organization_id", "organizations"),
    TransferKind.TIMESHEETS: ("resource_id", "resources"),
    TransferKind.EXPENSE_REPORTS: ("resource_id", "resources"),
}

Records = Callable[[str], Mapping[str, dict[str, Any]]]  # PSA records of a kind, by psa_id


@dataclass(frozen=True)
class Routing:
    """Which connector the account sends unassigned work and purchase orders to."""

    connector_id: UUID
    default_connector_id: UUID | None
    inventory_connector_id: UUID | None

    def owns(self, party: Mapping[str, Any] | None) -> bool:
        """True when an organization's or resource's work goes to this connector."""
        assigned = (party or {}).get("connector_id")
        if assigned:
            return assigned == str(self.connector_id)
        return self.connector_id == self.default_connector_id


def ready(records: Records, kind: str) -> list[dict[str, Any]]:
    """Every document of `kind` marked Ready to Transfer, whichever connector it goes to."""
    return [r for r in records(kind).values() if r.get("status") == DocumentStatus.READY]


def ready_here(
    records: Records, kind: TransferKind, routing: Routing
) -> Iterator[tuple[dict[str, Any], dict[str, Any] | None]]:
    """(document, its organization or resource) for each ready document of `kind` that goes
    through the routing's connector (purchase orders have no party)."""
    if kind == TransferKind.PURCHASE_ORDERS:
        if routing.inventory_connector_id == routing.connector_id:
            yield from ((order, None) for order in ready(records, kind))
        return
    party_field, party_kind = PARTIES[kind]
    for document in ready(records, kind):
        party = records(party_kind).get(document["data"][party_field])
        if routing.owns(party):
            yield document, party
