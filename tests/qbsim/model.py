"""The simulated company's vocabulary: list kinds, status codes, the clock and id shapes, and the
conversions between qbXML elements and the plain dicts records are kept in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from lxml import etree

from tests.qbsim.schema import REPEATABLE_GROUP


@dataclass(frozen=True)
class ListKind:
    """A QuickBooks list: `obj` is its qbXML object name (Customer, ItemService, ...)."""

    key: str
    obj: str
    names: str  # the uniqueness group: records in one group share one name space

    @property
    def ret(self) -> str:
        return f"{self.obj}Ret"


LIST_KINDS = {
    kind.key: kind
    for kind in (
        ListKind("account", "Account", "accounts"),
        ListKind("class", "Class", "classes"),
        # Customers, vendors, employees and other names share QuickBooks' one "names" list.
        ListKind("customer", "Customer", "names"),
        ListKind("vendor", "Vendor", "names"),
        ListKind("employee", "Employee", "names"),
        ListKind("other_name", "OtherName", "names"),
        ListKind("payroll_item_wage", "PayrollItemWage", "payroll_items"),
        # Every item type shares the one item list.
        ListKind("item_service", "ItemService", "items"),
        ListKind("item_non_inventory", "ItemNonInventory", "items"),
        ListKind("item_other_charge", "ItemOtherCharge", "items"),
        ListKind("item_inventory", "ItemInventory", "items"),
        ListKind("item_sales_tax", "ItemSalesTax", "items"),
        ListKind("standard_terms", "StandardTerms", "terms"),
        ListKind("sales_tax_code", "SalesTaxCode", "sales_tax_codes"),
        ListKind("ship_method", "ShipMethod", "ship_methods"),
    )
}
KIND_BY_OBJECT = {kind.obj: kind for kind in LIST_KINDS.values()}
ITEM_KINDS = [k for k, kind in LIST_KINDS.items() if kind.names == "items"]
NAME_KINDS = [k for k, kind in LIST_KINDS.items() if kind.names == "names"]
TXN_TYPES = (
    "Invoice",
    "Bill",
    "TimeTracking",
    "PurchaseOrder",
    "ItemReceipt",
    "InventoryAdjustment",
    "ReceivePayment",
)

# Which lists a reference element points into.
_ACCOUNT_REFS = (
    "AccountRef",
    "IncomeAccountRef",
    "ExpenseAccountRef",
    "COGSAccountRef",
    "AssetAccountRef",
    "APAccountRef",
    "ARAccountRef",
    "OverrideItemAccountRef",
    "DepositToAccountRef",
)
_TAX_CODE_REFS = (
    "SalesTaxCodeRef",
    "CustomerSalesTaxCodeRef",
    "ItemSalesTaxCodeRef",
    "PurchaseTaxCodeRef",
)
REF_KINDS: dict[str, list[str]] = {
    "CustomerRef": ["customer"],
    "VendorRef": ["vendor"],
    "PrefVendorRef": ["vendor"],
    "EmployeeRef": ["employee"],
    "EntityRef": ["employee", "vendor", "other_name", "customer"],
    "ShipToEntityRef": ["customer", "vendor", "employee", "other_name"],
    "ItemRef": ITEM_KINDS,
    "ItemServiceRef": ["item_service"],
    "ItemSalesTaxRef": ["item_sales_tax"],
    "ClassRef": ["class"],
    "TermsRef": ["standard_terms"],
    "ShipMethodRef": ["ship_method"],
    "PayrollItemWageRef": ["payroll_item_wage"],
    **{name: ["account"] for name in _ACCOUNT_REFS},
    **{name: ["sales_tax_code"] for name in _TAX_CODE_REFS},
}

# Errors QuickBooks reports with severity "Info" although nothing was done (exactly-once.md).
INFO_ERRORS = frozenset({3210})
STATUS_MESSAGES = {
    0: "Status OK",
    1: "A query request did not find a matching object in QuickBooks",
    3231: "The request has not been processed.",
    3210: "The {obj} could not be saved: a value in the request is not valid for it.",
    3170: "There was an error when modifying a {obj}. QuickBooks error message: This list has "
    "been modified by another user.",
    3175: "There was an error when modifying a {obj}. QuickBooks error message: Cannot perform "
    "this action because the record could not be locked.",
    3176: "There was an error when saving a {obj}. QuickBooks error message: Failed to acquire "
    "the lock.",
    3180: "There was an error when saving a {obj}. QuickBooks error message: This list element "
    "is in use.",
}


@dataclass(frozen=True)
class Status:
    """The statusCode / statusSeverity / statusMessage of one response."""

    code: int
    message: str

    @property
    def severity(self) -> str:
        if self.code in INFO_ERRORS:
            return "Info"
        if self.code >= 1000:
            return "Error"
        return "Warn" if self.code >= 500 else "Info"

    @classmethod
    def of(cls, code: int, **context: str) -> Status:
        return cls(code, STATUS_MESSAGES[code].format(**context))


OK = Status.of(0)
NO_MATCH = Status.of(1)


class SimClock:
    """QuickBooks' workstation clock: local time with a fixed offset, moving only when told to
    (or one second per write), so ids and timestamps are the same for the same seed."""

    def __init__(self, seed: int = 1, offset_hours: int = -8, start: datetime | None = None):
        self.tz = timezone(timedelta(hours=offset_hours))
        self.now = start or datetime(2026, 1, 5, 9, 0, 0, tzinfo=self.tz) + timedelta(
            minutes=seed % 10_000
        )

    def tick(self, seconds: int = 1) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now

    def advance(self, **delta: float) -> None:
        """Let time pass (tests use it to make changes land after a sync watermark)."""
        self.now += timedelta(**delta)

    def stamp(self, moment: datetime | None = None) -> str:
        return (moment or self.now).isoformat(timespec="seconds")

    def parse(self, text: str) -> datetime:
        """A qbXML date or date-time; naive values are in QuickBooks' local time."""
        text = text.strip().replace("Z", "+00:00")
        value = datetime.fromisoformat(text if "T" in text else text + "T00:00:00")
        return value if value.tzinfo else value.replace(tzinfo=self.tz)


def to_data(element: etree._Element) -> dict[str, Any]:
    """A request element as nested dicts: leaves are text, line groups are always lists."""
    data: dict[str, Any] = {}
    for child in element:
        if not isinstance(child.tag, str):
            continue
        value: Any = to_data(child) if len(child) else (child.text or "")
        if child.tag in data:
            if not isinstance(data[child.tag], list):
                data[child.tag] = [data[child.tag]]
            data[child.tag].append(value)
        elif REPEATABLE_GROUP.search(child.tag):
            data[child.tag] = [value]
        else:
            data[child.tag] = value
    return data


def to_element(tag: str, data: Any, parent: etree._Element | None = None) -> etree._Element:
    """A record (nested dicts and lists) as a qbXML element."""
    element = etree.Element(tag) if parent is None else etree.SubElement(parent, tag)
    if isinstance(data, dict):
        for key, value in data.items():
            if key.startswith("_") or value is None:
                continue
            for item in value if isinstance(value, list) else [value]:
                to_element(key, item, element)
    elif isinstance(data, bool):
        element.text = "true" if data else "false"
    else:
        element.text = str(data)
    return element


def money(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.01")))


def decimal(text: Any, default: str = "0") -> Decimal:
    return Decimal(str(text)) if text not in (None, "") else Decimal(default)


def is_true(text: Any) -> bool:
    return str(text).strip().lower() in ("true", "1")
