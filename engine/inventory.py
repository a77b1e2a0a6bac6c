"""The full inventory sync (product-spec §6.7): QuickBooks' quantity on hand of every item made
equal to the PSA's total over all its locations, by one inventory adjustment ("Inventory
Adjustment" account) that sets each item's `NewQuantity`.

Missing items are created first (as a purchase order's are). An item received in the PSA
against a purchase order already in QuickBooks is skipped, and logged: its receipts reach
QuickBooks with that order, and setting its count too would count them twice. Pure functions:
the step (`engine.steps.inventory`) only moves what they decide.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from engine.aggregates.mapping import Mapping
from engine.kinds import DocumentStatus
from engine.plans import CannotTransfer, Dependency, Plan, Records, unique
from engine.purchase_orders import inventory_item

ADJUSTMENT_ACCOUNT = "Inventory Adjustment"


@dataclass(frozen=True)
class InventoryPlan:
    """The adjustment's lines (item, new quantity), what they need, and the items skipped."""

    lines: list[tuple[str, Decimal]]
    needs: list[Dependency] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)
    # Which item each dependency key is for, so a failed creation skips only its item.
    needs_of: dict[str, list[str]] = field(default_factory=dict)

    def as_plan(self, txn_date: str) -> Plan:
        """The dependencies as a plan, for the step's lookup and creation."""
        return Plan("InventoryAdjustment", {}, entity="", txn_date=txn_date, needs=self.needs)


def received_in_quickbooks(orders: Iterable[dict[str, Any]]) -> dict[str, str]:
    """product id -> the number of a purchase order in QuickBooks it was received against."""
    out: dict[str, str] = {}
    for order in orders:
        if order.get("status") != DocumentStatus.TRANSFERRED:
            continue
        data = order.get("data") or {}
        for received in data.get("received") or []:
            out.setdefault(str(received.get("product_id")), str(data.get("number") or ""))
    return out


def plan_inventory(
    products: Iterable[dict[str, Any]],
    orders: Iterable[dict[str, Any]],
    records: Records,
    mapping: Mapping,
    *,
    income_account: str | None,
) -> InventoryPlan:
    """What the sync sets, creates and skips, from the PSA's products (catalog rows) and
    purchase orders."""
    received = received_in_quickbooks(orders)
    lines, needs, skipped = [], [], []
    needs_of: dict[str, list[str]] = {}
    for row in sorted(products, key=lambda r: str(r.get("psa_id"))):
        product_id, data = str(row.get("psa_id")), row.get("data") or {}
        label = data.get("name") or product_id
        if data.get("on_hand") in (None, ""):
            continue  # the PSA does not count it
        if product_id in received:
            skipped.append(
                {
                    "item": label,
                    "reason": f"received against purchase order {received[product_id]}, which "
                    "is in QuickBooks: its receipts go with that order (transfer orders that "
                    "need a resync first)",
                }
            )
            continue
        try:
            quantity = Decimal(str(data["on_hand"]))
            item, item_needs = inventory_item(
                product_id, records, mapping, income_account, f"product {label}"
            )
        except (CannotTransfer, InvalidOperation) as exc:
            skipped.append({"item": label, "reason": str(exc) or "its quantity is not a number"})
            continue
        if quantity < 0:
            skipped.append({"item": label, "reason": f"its quantity on hand is {quantity}"})
            continue
        lines.append((item, quantity))
        needs += item_needs
        for need in item_needs:
            needs_of.setdefault(need.key, []).append(item)
    return InventoryPlan(lines, unique(needs), skipped, needs_of)


def adjustment_body(
    lines: list[tuple[str, Decimal]], txn_date: str, external_guid: str
) -> dict[str, Any]:
    """The InventoryAdjustmentAdd that sets every line's quantity on hand."""
    return {
        "AccountRef": {"FullName": ADJUSTMENT_ACCOUNT},
        "TxnDate": txn_date,
        "Memo": "Full inventory sync from the PSA",
        "ExternalGUID": external_guid,
        "InventoryAdjustmentLineAdd": [
            {"ItemRef": {"FullName": item}, "QuantityAdjustment": {"NewQuantity": quantity}}
            for item, quantity in lines
        ],
    }
