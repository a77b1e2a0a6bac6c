"""What a PSA purchase order becomes in QuickBooks: a PurchaseOrderAdd to its vendor, with
the inventory parts its products need (product-spec §4.8, §6.6; open questions 2 and 12).

The vendor is matched by name, else created; so is the ship-to organization's customer (none:
QuickBooks ships to the company's own address). A product is its `products` mapping, else an
inventory part of its name cut at 31 characters, created when missing with the connector's
income account (default "Autotask Income from PO", itself created when missing: the one
account the engine ever creates), "Cost of Goods Sold" and "Inventory Asset". A record of
that name of another item type blocks the line: QuickBooks names are unique.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from engine import naming
from engine.aggregates.mapping import Mapping
from engine.aggregates.transfer import transfer_id
from engine.invoices import customer_needs
from engine.plans import (
    CannotTransfer,
    Dependency,
    Fetched,
    Find,
    Gone,
    Plan,
    Records,
    Waiting,
    unique,
)

INCOME_FROM_PO = "Autotask Income from PO"
COGS_ACCOUNT = "Cost of Goods Sold"
ASSET_ACCOUNT = "Inventory Asset"
_LIMITS = {"VendorMsg": 99, "FOB": 13, "ManufacturerPartNumber": 31, "ShipMethod": 15}
VENDOR_NAME_LIMIT = 41


def inventory_item(
    product_id: str, records: Records, mapping: Mapping, income_account: str | None, where: str
) -> tuple[str, list[Dependency]]:
    """The inventory part a product is bought as, and what must exist for it."""
    mapped = mapping.get("products", product_id)
    if mapped is not None and mapped.get("full_name"):
        return mapped["full_name"], []
    product = records("products", product_id)
    if product is None:
        raise CannotTransfer(f"{where}: product {product_id} has not been imported")
    name = naming.product_item_name(product.get("name") or product_id)
    if name.problem or name.name is None:
        raise CannotTransfer(f"{where}: {name.problem}")
    if ":" in name.name:  # a sub-item would need inventory parents nobody asked for
        raise CannotTransfer(
            f"{where}: product {product.get('name')!r} names a sub-item ({name.name}); map "
            "it to an existing inventory part"
        )
    income = income_account or INCOME_FROM_PO
    needs = []
    if income == INCOME_FROM_PO:  # open question 2: only this fallback is ever created
        needs.append(
            Dependency(
                "accounts", income, "AccountAddRq", {"Name": income, "AccountType": "Income"}
            )
        )
    body: dict[str, Any] = {
        "Name": name.name,
        "ManufacturerPartNumber": _cut(product.get("manufacturer_part_number"), 31),
        "SalesDesc": product.get("description") or None,
        "SalesPrice": _money(product.get("unit_price")),
        "IncomeAccountRef": {"FullName": income},
        "PurchaseDesc": product.get("description") or None,
        "PurchaseCost": _money(product.get("unit_cost")),
        "COGSAccountRef": {"FullName": COGS_ACCOUNT},
        "AssetAccountRef": {"FullName": ASSET_ACCOUNT},
    }
    needs.append(
        Dependency(
            "items",
            name.name,
            "ItemInventoryAddRq",
            {k: v for k, v in body.items() if v is not None},
            record_types=("ItemInventory",),
        )
    )
    return name.name, needs


def plan_purchase_order(
    order: dict[str, Any],
    records: Records,
    mapping: Mapping,
    find: Find,
    *,
    income_account: str | None,
) -> Plan:
    """The PurchaseOrderAdd a purchase order becomes, or CannotTransfer."""
    where = f"purchase order {order.get('number') or order['id']}"
    if order.get("status") == "canceled":
        raise CannotTransfer(f"{where} is canceled")
    vendor = (order.get("vendor_name") or "").strip()
    if len(vendor) > VENDOR_NAME_LIMIT:
        raise CannotTransfer(
            f"{where}: the vendor name {vendor!r} is {len(vendor)} characters; QuickBooks "
            f"allows {VENDOR_NAME_LIMIT}"
        )
    needs = [Dependency("vendors", vendor, "VendorAddRq", {"Name": vendor})]
    body: dict[str, Any] = {"VendorRef": {"FullName": vendor}}
    if order.get("ship_to_organization_id"):
        customer, customer_deps = customer_needs(
            order["ship_to_organization_id"], records, mapping, where
        )
        body["ShipToEntityRef"] = {"FullName": customer}
        needs += customer_deps
    body["TxnDate"] = order["order_date"]
    ship = (order.get("shipping_type") or "").strip()
    if ship and find("ship_methods", ship) is not None:  # else blank, as documented
        body["ShipMethodRef"] = {"FullName": ship}
    body["FOB"] = _cut(order.get("freight"), _LIMITS["FOB"])
    body["Memo"] = f"PSA purchase order {order.get('number') or order['id']}"
    body["VendorMsg"] = _cut(order.get("memo"), _LIMITS["VendorMsg"])
    lines = []
    for index, line in enumerate(order.get("lines") or []):
        item, item_deps = inventory_item(
            line["product_id"], records, mapping, income_account, f"{where}, line {index + 1}"
        )
        needs += item_deps
        product = records("products", line["product_id"]) or {}
        lines.append(
            {
                "ItemRef": {"FullName": item},
                "ManufacturerPartNumber": _cut(product.get("manufacturer_part_number"), 31),
                "Desc": line.get("description") or product.get("description") or None,
                "Quantity": Decimal(str(line["quantity"])),
                "Rate": _money(line.get("unit_cost") or product.get("unit_cost")),
            }
        )
    body["PurchaseOrderLineAdd"] = [{k: v for k, v in x.items() if v is not None} for x in lines]
    return Plan(
        "PurchaseOrder",
        {k: v for k, v in body.items() if v is not None},
        entity=vendor,
        txn_date=order["order_date"],
        needs=unique(needs),
    )


def receipt_parts(order: dict[str, Any]) -> list[str]:
    """A part key per receipt the PSA recorded (`receipt|date|product|n`): each becomes one
    ItemReceiptAdd, once."""
    seen: dict[str, int] = {}
    out = []
    for received in order.get("received") or []:
        if Decimal(str(received.get("quantity") or "0")) <= 0:
            continue
        base = f"receipt|{received['date']}|{received['product_id']}"
        seen[base] = seen.get(base, 0) + 1
        out.append(f"{base}|{seen[base]}")
    return out


def plan_modification(add: Plan, txn_id: str) -> Plan:
    """The PurchaseOrderMod that makes QuickBooks' order `txn_id` what the PSA holds now
    (the PSA is the source; changes made in QuickBooks are overwritten, never read back).
    Lines keep their TxnLineIDs by item, new ones are added, the rest QuickBooks deletes."""
    lines = add.body["PurchaseOrderLineAdd"]
    header = {k: v for k, v in add.body.items() if k != "PurchaseOrderLineAdd"}

    def finish(body: dict[str, Any], fetched: Fetched) -> dict[str, Any]:
        free = list(fetched.lines)
        mods = []
        for line in lines:
            name = line["ItemRef"]["FullName"].casefold()
            match = next((x for x in free if x[1].casefold() == name), None)
            if match is not None:
                free.remove(match)
            mods.append({"TxnLineID": match[0] if match else "-1", **line})
        return {
            "TxnID": fetched.txn_id,
            "EditSequence": fetched.edit_sequence,
            **body,
            "PurchaseOrderLineMod": mods,
        }

    return Plan(
        "PurchaseOrder", header, entity=add.entity, txn_date=add.txn_date, needs=add.needs,
        action="mod", fetch=txn_id, finish=finish,
    )  # fmt: skip


def plan_receipt(order: dict[str, Any], key: str, po_txn_id: str, item: str) -> Plan:
    """The ItemReceiptAdd of one receipt, linked to the purchase order's line of its item."""
    _, day, product_id, nth = key.split("|")
    matching = [
        r for r in order.get("received") or []
        if r["date"] == day and r["product_id"] == product_id
        and Decimal(str(r.get("quantity") or "0")) > 0
    ]  # fmt: skip
    if len(matching) < int(nth):
        raise Gone(f"purchase order {order.get('number')} no longer has this receipt")
    quantity = Decimal(str(matching[int(nth) - 1]["quantity"]))
    vendor = (order.get("vendor_name") or "").strip()

    def finish(body: dict[str, Any], fetched: Fetched) -> dict[str, Any]:
        line = dict(body["ItemLineAdd"][0])
        match = next((x for x in fetched.lines if x[1].casefold() == item.casefold()), None)
        if match is not None:
            line["LinkToTxn"] = {"TxnID": fetched.txn_id, "TxnLineID": match[0]}
        return {**body, "ItemLineAdd": [line]}

    body = {
        "VendorRef": {"FullName": vendor},
        "TxnDate": day,
        "Memo": f"Received against PSA purchase order {order.get('number')}",
        "ItemLineAdd": [{"ItemRef": {"FullName": item}, "Quantity": quantity}],
    }
    return Plan("ItemReceipt", body, entity=vendor, txn_date=day, fetch=po_txn_id, finish=finish)


def _cut(value: Any, limit: int) -> str | None:
    """Free text (not a name: cutting it merges nothing) within QuickBooks' length."""
    text = str(value or "").strip()
    return text[:limit] or None


def _money(value: Any) -> Decimal | None:
    return None if value in (None, "") else Decimal(str(value)).quantize(Decimal("0.01"))


class PurchaseOrderType:
    """Purchase orders as a transfer step's type: a PurchaseOrderAdd per PSA purchase order,
    on the one connector that transfers them."""

    kind = "purchase_orders"
    label = "purchase order"

    def parts(self, document: Any) -> list[str]:
        """The order is transferred once its PurchaseOrderAdd is in (receipts follow it)."""
        return [""]

    def plan(self, transfer: Any, document: Any, context: Any) -> Plan:
        """The PurchaseOrderAdd (or, changed after transfer, the Mod) of the order, or one
        of its receipts; Waiting while the order itself is not in QuickBooks yet."""
        order = {**document.data, "id": document.psa_id}
        income = context.connector().income_account
        if transfer.part.startswith("receipt|"):
            placed = context.load_transfer(
                transfer_id(transfer.connector_id, transfer.kind, transfer.psa_id)
            )
            if placed is None or not placed.is_done or placed.action == "mod":
                raise Waiting(transfer.part)
            if not placed.txn_id:
                raise CannotTransfer(
                    f"purchase order {order.get('number')} was marked transferred by hand; "
                    "its receipts need its QuickBooks TxnID, so enter them in QuickBooks"
                )
            product_id = transfer.part.split("|")[2]
            item, _ = inventory_item(
                product_id, context.psa_data, context.mapping(), income, "a receipt"
            )
            return plan_receipt(order, transfer.part, placed.txn_id, item)
        add = plan_purchase_order(
            order, context.psa_data, context.mapping(), context.find_applied, income_account=income
        )
        if transfer.action == "mod" and transfer.txn_id:
            return plan_modification(add, transfer.txn_id)
        return add
