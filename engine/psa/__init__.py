"""The PSA's side: the kinds of record the import format carries, how they refer to each other,
and the JSON Schema of the `qbtransfer-psa/1` format (shipped beside this module)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from engine.errors import InvalidValue
from engine.kinds import TransferKind
from engine.text import excerpt

SCHEMA_PATH = Path(__file__).with_name("schema.json")
FORMAT = "qbtransfer-psa/1"


@dataclass(frozen=True)
class Kind:
    """One list of the import format."""

    key: str  # as in the file: "billing_codes"
    singular: str  # for people: "billing code"
    document: bool = False  # documents are transferred; the rest is reference data


KINDS = {
    kind.key: kind
    for kind in (
        Kind("organizations", "organization"),
        Kind("resources", "resource"),
        Kind("lines_of_business", "line of business"),
        Kind("billing_codes", "billing code"),
        Kind("expense_categories", "expense category"),
        Kind("payroll_categories", "payroll category"),
        Kind("products", "product"),
        Kind(TransferKind.INVOICES, "invoice", document=True),
        Kind(TransferKind.TIMESHEETS, "timesheet", document=True),
        Kind(TransferKind.EXPENSE_REPORTS, "expense report", document=True),
        Kind(TransferKind.PURCHASE_ORDERS, "purchase order", document=True),
    )
}
DOCUMENT_KINDS = tuple(k for k, kind in KINDS.items() if kind.document)

# Which fields point at which kind. "lines[]" means every element of the list "lines".
REFERENCES: dict[str, list[tuple[str, str]]] = {
    "organizations": [("parent_organization_id", "organizations")],
    TransferKind.INVOICES: [
        ("organization_id", "organizations"),
        ("lines[].billing_code_id", "billing_codes"),
        ("lines[].line_of_business_id", "lines_of_business"),
        ("lines[].product_id", "products"),
    ],
    TransferKind.TIMESHEETS: [
        ("resource_id", "resources"),
        ("entries[].organization_id", "organizations"),
        ("entries[].billing_code_id", "billing_codes"),
        ("entries[].payroll_category_id", "payroll_categories"),
    ],
    TransferKind.EXPENSE_REPORTS: [
        ("resource_id", "resources"),
        ("items[].expense_category_id", "expense_categories"),
        ("items[].organization_id", "organizations"),
    ],
    TransferKind.PURCHASE_ORDERS: [
        ("ship_to_organization_id", "organizations"),
        ("lines[].product_id", "products"),
        ("received[].product_id", "products"),
    ],
}

# Decimal strings are compared (and stored) in a canonical form, so "1.50" and "1.5" are one
# value and re-importing a file that only reformats numbers changes nothing.
DECIMAL_FIELDS = frozenset(
    {
        "quantity",
        "rate",
        "amount",
        "tax_amount",
        "hours",
        "unit_cost",
        "unit_price",
        "on_hand",
        "cash_advance",
    }
)

# Document types as people type them on the command line.
DOCUMENT_TYPES = {
    "invoice": "invoices",
    "invoices": "invoices",
    "timesheet": "timesheets",
    "timesheets": "timesheets",
    "expense-report": "expense_reports",
    "expense-reports": "expense_reports",
    "expense_report": "expense_reports",
    "expense_reports": "expense_reports",
    "purchase-order": "purchase_orders",
    "purchase-orders": "purchase_orders",
    "purchase_order": "purchase_orders",
    "purchase_orders": "purchase_orders",
}


def record_id(kind: str, psa_id: str) -> UUID:
    """The aggregate id of a PSA record: the same PSA id always lands on the same aggregate."""
    return uuid5(NAMESPACE_URL, f"qbtransfer:/psa/{kind}/{psa_id}")


@cache
def schema() -> dict[str, Any]:
    """The JSON Schema of the import format."""
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def display_name(kind: str, data: dict[str, Any]) -> str:
    """How people recognise a record: its name, number or person."""
    if kind == "resources":
        return ", ".join(p for p in (data.get("last_name"), data.get("first_name")) if p)
    if kind in (TransferKind.INVOICES, TransferKind.PURCHASE_ORDERS):
        return str(data.get("number", ""))
    if kind == TransferKind.TIMESHEETS:
        period = f"{data.get('period_start', '')}..{data.get('period_end', '')}"
        return f"{data.get('resource_id', '')} {period}"
    if kind == "lines_of_business" and data.get("division"):
        return f"{data['division']} / {data['name']}"
    return str(data.get("name", ""))


def document_kind(document_type: str) -> str:
    """'invoice', 'expense-report', ... -> the import format's list name."""
    try:
        return DOCUMENT_TYPES[document_type.strip().lower()]
    except KeyError:
        raise InvalidValue(
            f"unknown document type {excerpt(document_type)}; use invoice, timesheet, "
            "expense-report or purchase-order"
        ) from None
