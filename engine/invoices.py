"""What a PSA invoice becomes in QuickBooks: the customer and items it needs, and the InvoiceAdd
(product-spec §6.2, §8; open questions 10-13).

Everything here is decided from the document, the PSA records it names, the connector's
mappings and naming conventions: pure functions, so the transfer step only moves the results.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from engine import naming
from engine.aggregates.mapping import Mapping
from engine.mapping import NO_CLASS
from engine.plans import CannotTransfer, Dependency, Plan, Records, unique

DEFAULT_INCOME_ACCOUNT = "Autotask Other"  # new items' income account when a code is unmapped
SALES_TAX_ITEM = "Autotask Sales Tax"  # carries the PSA's tax when taxes are transferred directly
_ADDRESS = (
    ("addr1", "Addr1"),
    ("addr2", "Addr2"),
    ("addr3", "Addr3"),
    ("city", "City"),
    ("state", "State"),
    ("postal_code", "PostalCode"),
    ("country", "Country"),
)
_ADDRESS_LIMITS = {
    "Addr1": 41,
    "Addr2": 41,
    "Addr3": 41,
    "City": 31,
    "State": 21,
    "PostalCode": 13,
    "Country": 31,
}


def plan_invoice(
    invoice: dict[str, Any],
    records: Records,
    mapping: Mapping,
    *,
    item_naming: str,
    name_overflow: str,
    taxes_directly: bool,
) -> Plan:
    """The InvoiceAdd an invoice becomes, or CannotTransfer."""
    number = invoice["number"]
    customer, needs = customer_needs(
        invoice["organization_id"], records, mapping, f"invoice {number}"
    )
    org = records("organizations", invoice["organization_id"]) or {}
    method = org.get("transmission_method") or "none"
    lines = [
        _line(line, number, records, mapping, item_naming, name_overflow, taxes_directly, needs)
        for line in invoice["lines"]
    ]
    if taxes_directly and Decimal(invoice.get("tax_amount") or "0") != 0:
        needs.append(_item(SALES_TAX_ITEM, "ItemOtherChargeAddRq", DEFAULT_INCOME_ACCOUNT))
        lines.append(
            {
                "ItemRef": {"FullName": SALES_TAX_ITEM},
                "Desc": "Sales tax calculated by the PSA",
                "Amount": Decimal(invoice["tax_amount"]),
                "SalesTaxCodeRef": {"FullName": "Non"},
            }
        )
    body: dict[str, Any] = {
        "CustomerRef": {"FullName": customer},
        "TxnDate": invoice["invoice_date"],
        "BillAddress": _address(org.get("address") or {}) or None,
        "PONumber": _po_number(invoice, number),
        "DueDate": invoice.get("due_date"),
        "IsToBePrinted": method in ("print", "print_and_email"),
        "IsToBeEmailed": method in ("email", "print_and_email"),
        "InvoiceLineAdd": lines,
    }
    return Plan(
        "Invoice",
        {k: v for k, v in body.items() if v is not None},
        entity=customer,
        txn_date=invoice["invoice_date"],
        needs=unique(needs),
        to_be_emailed=method in ("email", "print_and_email"),
    )


def _line(
    line: dict[str, Any],
    number: str,
    records: Records,
    mapping: Mapping,
    item_naming: str,
    name_overflow: str,
    taxes_directly: bool,
    needs: list[Dependency],
) -> dict[str, Any]:
    if line.get("product_id"):
        product = records("products", line["product_id"]) or {}
        name = naming.product_item_name(product.get("name") or line["product_id"])
        request = "ItemNonInventoryAddRq"
        if name.problem or name.name is None:
            raise CannotTransfer(f"invoice {number}: {name.problem}")
        needs += _with_parents("items", name.name, request, {}, DEFAULT_INCOME_ACCOUNT)
        item = name.name
    else:
        item, item_deps = item_needs(
            line.get("billing_code_id") or "",
            line.get("role"),
            records,
            mapping,
            item_naming,
            name_overflow,
            f"invoice {number}",
        )
        needs += item_deps
    out: dict[str, Any] = {"ItemRef": {"FullName": item}, "Desc": line.get("description")}
    if line.get("quantity") is not None and line.get("rate") is not None:
        out["Quantity"], out["Rate"] = Decimal(line["quantity"]), Decimal(line["rate"])
    else:
        out["Amount"] = Decimal(line["amount"])
    lob = mapping.get("lines-of-business", line.get("line_of_business_id") or "none")
    if lob is not None and lob.get("full_name") and lob.get("special") != NO_CLASS:
        out["ClassRef"] = {"FullName": lob["full_name"]}
    out["ServiceDate"] = line.get("service_date")
    if line.get("taxable") is not None:
        taxable = bool(line["taxable"]) and not taxes_directly
        out["SalesTaxCodeRef"] = {"FullName": "Tax" if taxable else "Non"}
    return {k: v for k, v in out.items() if v is not None}


def customer_needs(
    organization_id: str, records: Records, mapping: Mapping, where: str
) -> tuple[str, list[Dependency]]:
    """The customer an organization's work goes to (its mapping, else its name per the naming
    rules) and what must exist for it, parents first; CannotTransfer saying `where`."""
    org = records("organizations", organization_id)
    if org is None:
        raise CannotTransfer(f"{where}: organization {organization_id} has not been imported")
    mapped = mapping.get("organizations", organization_id)
    if mapped is not None:
        return mapped["full_name"], []
    name = naming.customer_name(org["name"])
    if name.problem or name.name is None:
        raise CannotTransfer(
            f"{where}: organization {org['name']!r}: {name.problem}; map it to an "
            "existing customer or shorten its name"
        )
    return name.name, _with_parents("customers", name.name, "CustomerAddRq", _customer_body(org))


def item_needs(
    billing_code_id: str,
    role: str | None,
    records: Records,
    mapping: Mapping,
    item_naming: str,
    name_overflow: str,
    where: str,
) -> tuple[str, list[Dependency]]:
    """The service item a billing code's work goes to (per the item naming convention) and
    what must exist for it, with the code's mapped income account; CannotTransfer."""
    code = records("billing_codes", billing_code_id)
    if code is None:
        raise CannotTransfer(f"{where}: billing code {billing_code_id} has not been imported")
    name = naming.item_name(code["name"], role or code.get("role"), item_naming, name_overflow)
    if name.problem or name.name is None:
        raise CannotTransfer(f"{where}: {name.problem}")
    account = mapping.get("billing-codes", billing_code_id)
    income = account["full_name"] if account else DEFAULT_INCOME_ACCOUNT
    return name.name, _with_parents("items", name.name, "ItemServiceAddRq", {}, income)


def _with_parents(
    list_name: str, full_name: str, request: str, body: dict[str, Any], income: str = ""
) -> list[Dependency]:
    """The record and each missing level above it, parents first (QuickBooks needs them)."""
    levels = full_name.split(":")
    out = []
    for depth in range(1, len(levels) + 1):
        name = ":".join(levels[:depth])
        last = depth == len(levels)
        if list_name == "customers":
            level_body = {**(body if last else {}), "Name": levels[depth - 1]}
            email = str(level_body.get("Email") or "") if last else ""
            out.append(Dependency(list_name, name, request, level_body, email))
        else:
            out.append(_item(name, request, income))
    return out


def _item(full_name: str, request: str, income: str) -> Dependency:
    return Dependency(
        "items",
        full_name,
        request,
        {
            "Name": full_name.rsplit(":", 1)[-1],
            "SalesOrPurchase": {"AccountRef": {"FullName": income or DEFAULT_INCOME_ACCOUNT}},
        },
    )


def _customer_body(org: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = {
        "CompanyName": (org.get("name") or "")[:41] or None,
        "BillAddress": _address(org.get("address") or {}) or None,
        "Phone": (org.get("phone") or "")[:21] or None,
        "Email": org.get("email") or None,
        "AccountNumber": org.get("account_number") or None,
    }
    return {k: v for k, v in body.items() if v is not None}


def _address(address: dict[str, Any]) -> dict[str, str]:
    """A PSA address as a QuickBooks one; each part cut to QuickBooks' length (an address
    line is not a name: cutting it merges nothing)."""
    out = {}
    for psa, qb in _ADDRESS:
        value = (address.get(psa) or "").strip()
        if value:
            out[qb] = value[: _ADDRESS_LIMITS[qb]]
    return out


def _po_number(invoice: dict[str, Any], number: str) -> str | None:
    po = (invoice.get("po_number") or "").strip()
    if len(po) > 25:
        raise CannotTransfer(
            f"invoice {number}: the PO number {po!r} is {len(po)} characters; QuickBooks allows 25"
        )
    return po or None


class InvoiceType:
    """Invoices as a transfer step's type: an InvoiceAdd per PSA invoice."""

    kind = "invoices"
    label = "invoice"

    def parts(self, document: Any) -> list[str]:
        """An invoice goes as one InvoiceAdd."""
        return [""]

    def plan(self, transfer: Any, document: Any, context: Any) -> Plan:
        """The InvoiceAdd `document` becomes through the context's connector."""
        connector = context.connector()
        return plan_invoice(
            document.data,
            context.psa_data,
            context.mapping(),
            item_naming=connector.item_naming,
            name_overflow=connector.name_overflow,
            taxes_directly=bool(connector.transfer_taxes_directly),
        )
