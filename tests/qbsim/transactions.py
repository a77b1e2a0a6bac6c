"""Transactions the simulated company accepts: invoices, bills, time, purchase orders (and
their mods), item receipts and inventory adjustments; and payments a person records."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from lxml import etree

from tests.qbsim.company import Answer, Company, QbError, handles
from tests.qbsim.model import OK, Status, decimal, money, to_data
from tests.qbsim.queries import txn_ret
from tests.qbsim.writes import invalid_reference, require, resolve_refs


def _body(company: Company, rq: etree._Element, txn_type: str, required: str) -> dict[str, Any]:
    """The body of a `<txn_type>AddRq`, with its required reference present and every
    reference resolved (status 3140 otherwise)."""
    data = to_data(rq.find(f"{txn_type}Add"))
    require(data, required, txn_type)
    resolve_refs(company, data, txn_type)
    return data


def _stored(company: Company, txn_type: str, record: dict[str, Any]) -> Answer:
    """Keep a new or changed transaction and answer with its `*Ret`."""
    company.txns[txn_type][record["TxnID"]] = record
    return Answer(OK, [txn_ret(company, txn_type, record)])


def _new_txn(company: Company, txn_type: str, data: dict[str, Any], auto_ref: bool) -> dict:
    record: dict[str, Any] = {"TxnID": company.new_txn_id()}
    company.stamp_new(record)
    record["TxnNumber"] = str(sum(len(t) for t in company.txns.values()) + 1)
    record.update(data)
    record.setdefault("TxnDate", company.clock.now.date().isoformat())
    if auto_ref and not record.get("RefNumber"):
        record["RefNumber"] = company.next_ref_number(txn_type)
    return record


def _lines(company: Company, lines: list[dict[str, Any]], *, rate_key: str = "Rate") -> list[dict]:
    out = []
    for line in lines:
        amount = line.get("Amount")
        if amount is None and "Quantity" in line and rate_key in line:
            amount = money(decimal(line["Quantity"]) * decimal(line[rate_key]))
        out.append(
            {
                "TxnLineID": company.new_txn_id(),
                **line,
                **({"Amount": amount} if amount is not None else {}),
            }
        )
    return out


def _adjust_on_hand(company: Company, item_ref: dict[str, Any], delta: Decimal) -> None:
    item = company.lists["item_inventory"].get(item_ref.get("ListID", ""))
    if item is not None:
        item["QuantityOnHand"] = str(decimal(item.get("QuantityOnHand")) + delta)
        company.stamp_modified(item)


@handles("InvoiceAddRq")
def _invoice_add(company: Company, rq: etree._Element, ctx: dict[str, Any]) -> Answer:
    data = _body(company, rq, "Invoice", "CustomerRef")
    lines = _lines(company, data.pop("InvoiceLineAdd", []))
    subtotal = sum((decimal(line.get("Amount")) for line in lines), Decimal("0"))
    record = _new_txn(company, "Invoice", data, auto_ref=True)
    record.update(
        {
            "Subtotal": money(subtotal),
            "SalesTaxTotal": "0.00",
            "BalanceRemaining": money(subtotal),
            "IsPaid": "false",
            "InvoiceLineRet": lines,
        }
    )
    for line in lines:  # invoices of inventory parts take them out of stock
        _adjust_on_hand(company, line.get("ItemRef", {}), -decimal(line.get("Quantity"), "1"))
    return _stored(company, "Invoice", record)


@handles("BillAddRq")
def _bill_add(company: Company, rq: etree._Element, ctx: dict[str, Any]) -> Answer:
    data = to_data(rq.find("BillAdd"))
    require(data, "VendorRef", "Bill")
    for line in data.get("ExpenseLineAdd", []):
        require(line, "AccountRef", "Bill")
    resolve_refs(company, data, "Bill")
    expenses = _lines(company, data.pop("ExpenseLineAdd", []))
    items = _lines(company, data.pop("ItemLineAdd", []), rate_key="Cost")
    total = sum((decimal(x.get("Amount")) for x in expenses + items), Decimal("0"))
    record = _new_txn(company, "Bill", data, auto_ref=False)
    record.update(
        {
            "AmountDue": money(total),
            "IsPaid": "false",
            "ExpenseLineRet": expenses,
            "ItemLineRet": items,
        }
    )
    return _stored(company, "Bill", record)


@handles("TimeTrackingAddRq")
def _time_add(company: Company, rq: etree._Element, ctx: dict[str, Any]) -> Answer:
    data = _body(company, rq, "TimeTracking", "EntityRef")
    record = _new_txn(company, "TimeTracking", data, auto_ref=False)
    return _stored(company, "TimeTracking", record)


@handles("PurchaseOrderAddRq")
def _po_add(company: Company, rq: etree._Element, ctx: dict[str, Any]) -> Answer:
    data = _body(company, rq, "PurchaseOrder", "VendorRef")
    lines = [
        {**line, "ReceivedQuantity": "0", "IsManuallyClosed": "false"}
        for line in _lines(company, data.pop("PurchaseOrderLineAdd", []))
    ]
    record = _new_txn(company, "PurchaseOrder", data, auto_ref=True)
    record.update(
        {
            "TotalAmount": money(sum((decimal(x.get("Amount")) for x in lines), Decimal("0"))),
            "IsFullyReceived": "false",
            "PurchaseOrderLineRet": lines,
        }
    )
    return _stored(company, "PurchaseOrder", record)


@handles("PurchaseOrderModRq")
def _po_mod(company: Company, rq: etree._Element, ctx: dict[str, Any]) -> Answer:
    data = to_data(rq.find("PurchaseOrderMod"))
    record = company.txns["PurchaseOrder"].get(data.pop("TxnID", ""))
    if record is None:
        raise QbError(Status(3120, "Object specified in the request cannot be found."))
    sequence = data.pop("EditSequence", "")
    if sequence != record["EditSequence"]:
        raise QbError(Status(3200, f'The provided edit sequence "{sequence}" is out-of-date.'))
    resolve_refs(company, data, "PurchaseOrder")
    mods = data.pop("PurchaseOrderLineMod", None)
    if mods is not None:
        # Lines left out of a Mod that sends any line are deleted, as in QuickBooks.
        existing = {line["TxnLineID"]: line for line in record["PurchaseOrderLineRet"]}
        lines = []
        for mod in mods:
            line_id = mod.pop("TxnLineID")
            if line_id == "-1":
                lines += [{**x, "ReceivedQuantity": "0"} for x in _lines(company, [mod])]
            elif line_id in existing:
                merged = {**existing[line_id], **mod}
                if "Quantity" in mod or "Rate" in mod:
                    merged["Amount"] = money(
                        decimal(merged.get("Quantity")) * decimal(merged.get("Rate"))
                    )
                lines.append(merged)
            else:
                raise QbError(
                    Status(3120, f'Object "{line_id}" specified in the request cannot be found.')
                )
        record["PurchaseOrderLineRet"] = lines
        record["TotalAmount"] = money(sum((decimal(x.get("Amount")) for x in lines), Decimal(0)))
    record.update(data)
    company.stamp_modified(record)
    return Answer(OK, [txn_ret(company, "PurchaseOrder", record)])


@handles("ItemReceiptAddRq")
def _receipt_add(company: Company, rq: etree._Element, ctx: dict[str, Any]) -> Answer:
    """Intuit's reference for ItemReceiptAdd (as restated at letsyncsolution.com/docs/
    linkedtxnret): `LinkToTxnID` links a whole purchase order, pulling in all its lines;
    `LinkToTxn` inside a line receives only that line of it."""
    data = _body(company, rq, "ItemReceipt", "VendorRef")
    links = data.pop("LinkToTxnID", [])
    links = links if isinstance(links, list) else [links]
    asked = data.pop("ItemLineAdd", [])
    for line in asked:
        if isinstance(line.get("LinkToTxn"), list):
            line["LinkToTxn"] = line["LinkToTxn"][0]
    orders = {}
    for txn_id in links + [line["LinkToTxn"]["TxnID"] for line in asked if "LinkToTxn" in line]:
        if txn_id not in company.txns["PurchaseOrder"]:
            raise QbError(
                Status(
                    3140,
                    f"There is an invalid reference to QuickBooks Purchase "
                    f'Order "{txn_id}" in the ItemReceipt.',
                )
            )
        orders[txn_id] = company.txns["PurchaseOrder"][txn_id]
    for txn_id in links:  # the whole order: what is still to receive of every line
        for po_line in orders[txn_id]["PurchaseOrderLineRet"]:
            left = decimal(po_line.get("Quantity"), "0") - decimal(po_line["ReceivedQuantity"])
            if left > 0:
                asked.append(
                    {"ItemRef": po_line["ItemRef"], "Quantity": str(left),
                     "Cost": po_line.get("Rate"),
                     "LinkToTxn": {"TxnID": txn_id, "TxnLineID": po_line["TxnLineID"]}}
                )  # fmt: skip
    items = _lines(company, asked, rate_key="Cost")
    for line in items:
        quantity = decimal(line.get("Quantity"), "1")
        _adjust_on_hand(company, line.get("ItemRef", {}), quantity)
        link = line.pop("LinkToTxn", None)
        if link is None:
            continue
        po_line = next(
            (x for x in orders[link["TxnID"]]["PurchaseOrderLineRet"]
             if x["TxnLineID"] == link.get("TxnLineID")),
            None,
        )  # fmt: skip
        if po_line is None:
            raise QbError(
                Status(3120, f'Object "{link.get("TxnLineID")}" specified in the request '
                       "cannot be found.")
            )  # fmt: skip
        po_line["ReceivedQuantity"] = str(decimal(po_line["ReceivedQuantity"]) + quantity)
    record = _new_txn(company, "ItemReceipt", data, auto_ref=False)
    record.update(
        {
            "TotalAmount": money(sum((decimal(x.get("Amount")) for x in items), Decimal(0))),
            "ItemLineRet": items,
        }
    )
    return _stored(company, "ItemReceipt", record)


@handles("InventoryAdjustmentAddRq")
def _adjustment_add(company: Company, rq: etree._Element, ctx: dict[str, Any]) -> Answer:
    if company.file_mode != "SingleUser":
        raise QbError(
            Status(
                3180,
                "There was an error when saving a Inventory Adjustment. "
                "QuickBooks error message: This function requires that the "
                "company file be open in single-user mode.",
            )
        )
    data = _body(company, rq, "InventoryAdjustment", "AccountRef")
    lines = []
    for line in data.pop("InventoryAdjustmentLineAdd", []):
        item = company.lists["item_inventory"].get(line.get("ItemRef", {}).get("ListID", ""))
        if item is None:
            raise invalid_reference(
                ["item_inventory"], line.get("ItemRef", {}), "InventoryAdjustment"
            )
        change = line.get("QuantityAdjustment", {})
        before = decimal(item.get("QuantityOnHand"))
        after = (
            decimal(change["NewQuantity"])
            if "NewQuantity" in change
            else before + decimal(change.get("QuantityDifference"))
        )
        _adjust_on_hand(company, line["ItemRef"], after - before)
        lines.append(
            {
                "TxnLineID": company.new_txn_id(),
                "ItemRef": line["ItemRef"],
                "QuantityDifference": str(after - before),
            }
        )
    record = _new_txn(company, "InventoryAdjustment", data, auto_ref=False)
    record["InventoryAdjustmentLineRet"] = lines
    return _stored(company, "InventoryAdjustment", record)


def receive_payment(
    company: Company, invoice_txn_id: str, amount: str, date: str, ref_number: str = ""
) -> dict[str, Any]:
    """A customer pays an invoice in QuickBooks (a person's action, not the engine's)."""
    invoice = company.txns["Invoice"][invoice_txn_id]
    applied = decimal(amount)
    payment = _new_txn(
        company,
        "ReceivePayment",
        {
            "CustomerRef": invoice["CustomerRef"],
            "TxnDate": date,
            "RefNumber": ref_number,
            "TotalAmount": money(applied),
        },
        auto_ref=False,
    )
    payment["_applied"] = {invoice_txn_id: money(applied)}
    company.txns["ReceivePayment"][payment["TxnID"]] = payment
    balance = decimal(invoice["BalanceRemaining"]) - applied
    invoice["BalanceRemaining"] = money(balance)
    invoice["IsPaid"] = "true" if balance <= 0 else "false"
    company.stamp_modified(invoice)
    return payment
