"""The mapping categories: which PSA codes map to which QuickBooks lists, and how a typed
QuickBooks name or ListID becomes a mapping target."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from engine.errors import InvalidValue, NotFound
from engine.ports import QuickBooksDirectory
from engine.text import check_text, excerpt

NO_CLASS = "[no class]"
DO_NOT_TRANSFER = "[do not transfer]"
INCOME_TYPES = ("Income", "OtherIncome")
EXPENSE_TYPES = ("Expense", "OtherExpense", "CostOfGoodsSold")


@dataclass(frozen=True)
class Category:
    """One mapping page: PSA records of `psa_kind` -> records of QuickBooks `lists`."""

    name: str
    psa_kind: str | None  # None: the category has only its fixed PSA ids
    lists: tuple[str, ...]
    label: str
    account_types: tuple[str, ...] = ()  # allowed AccountType values, when lists are accounts
    record_types: tuple[str, ...] = ()  # allowed record types (ItemInventory, ...)
    specials: tuple[str, ...] = ()  # choices that are not QuickBooks records
    fixed_ids: tuple[str, ...] = ()  # PSA ids that are not imported records
    default: str | None = None  # what an unmapped code means at transfer time


CATEGORIES = {
    c.name: c
    for c in (
        Category(
            "billing-codes",
            "billing_codes",
            ("accounts",),
            "income account",
            account_types=INCOME_TYPES,
            default='the "Autotask Other" account (used when a new item is created)',
        ),
        Category(
            "lines-of-business",
            "lines_of_business",
            ("classes",),
            "class",
            specials=(NO_CLASS,),
            fixed_ids=("none",),
            default=NO_CLASS,
        ),
        Category(
            "expense-billable",
            "expense_categories",
            ("accounts",),
            "expense account for billable use",
            account_types=EXPENSE_TYPES,
        ),
        Category(
            "expense-reimbursable",
            "expense_categories",
            ("accounts",),
            "expense account for non-billable/reimbursable use",
            account_types=EXPENSE_TYPES,
        ),
        Category(
            "cash-advance", None, ("accounts",), "cash-advance account", fixed_ids=("account",)
        ),
        Category(
            "resources-payroll",
            "resources",
            ("employees", "vendors"),
            "employee or vendor (for timesheets)",
            default="an employee or vendor with the same name, else the timesheet fails",
        ),
        Category(
            "resources-expenses",
            "resources",
            ("vendors",),
            "vendor (for expenses)",
            default="a vendor with the same name, else a new vendor v-Lastname, Firstname",
        ),
        Category(
            "payroll-categories",
            "payroll_categories",
            ("payroll_items",),
            "payroll wage item",
            specials=(DO_NOT_TRANSFER,),
        ),
        Category(
            "organizations",
            "organizations",
            ("customers",),
            "customer",
            default="a customer with the same name, else a new customer",
        ),
        Category(
            "products",
            "products",
            ("items",),
            "inventory item",
            record_types=("ItemInventory",),
            default="an inventory item with the same name, else a new one",
        ),
    )
}


def category(name: str) -> Category:
    """A category by its command-line name, or a refusal listing the valid ones."""
    try:
        return CATEGORIES[name]
    except KeyError:
        raise InvalidValue(
            f"unknown mapping category {excerpt(name)}; the categories are {', '.join(CATEGORIES)}"
        ) from None


def resolve_target(
    cat: Category, connector_id: UUID, ref: str, directory: QuickBooksDirectory
) -> dict[str, Any]:
    """The QuickBooks record (or special choice) `ref` names, checked against the category."""
    ref = check_text((ref or "").strip(), f"the {cat.label}")
    for special in cat.specials:
        if ref.casefold() == special.casefold():
            return {"special": special}
    for list_name in cat.lists:
        record = directory.find(connector_id, list_name, ref)
        if record is None:
            continue
        problem = _unsuitable(cat, record)
        if problem:
            raise InvalidValue(f"{record['full_name']!r} {problem}; a {cat.label} is needed")
        return {
            "list": list_name,
            "list_id": record["list_id"],
            "full_name": record["full_name"],
            "type": record["type"],
        }
    lists = " or ".join(name.replace("_", " ") for name in cat.lists)
    raise NotFound(
        f"QuickBooks has no {lists} named {excerpt(ref)} (ListID or full name, as synced "
        "from the company file; if it was added since, run `qbtransfer connectors refresh-lists` "
        "and then the Web Connector)"
    )


def choices(cat: Category, connector_id: UUID, directory: QuickBooksDirectory) -> list[str]:
    """What a PSA code of `cat` may be mapped to: its special choices, then the full names of
    the synced records that suit it (active, of the right type), in name order."""
    names = {
        record["full_name"]
        for list_name in cat.lists
        for record in directory.records(connector_id, list_name, active_only=True)
        if _unsuitable(cat, record) is None
    }
    return [*cat.specials, *sorted(names, key=str.casefold)]


def _unsuitable(cat: Category, record: dict[str, Any]) -> str | None:
    account_type = (record.get("details") or {}).get("AccountType")
    if cat.account_types and account_type not in cat.account_types:
        return f"is a {account_type or 'untyped'} account"
    if cat.record_types and record.get("type") not in cat.record_types:
        return f"is a {record.get('type')} item"
    if not record.get("is_active", True):
        return "is inactive in QuickBooks"
    return None


def target_exists(
    target: dict[str, Any], connector_id: UUID, directory: QuickBooksDirectory
) -> bool:
    """False when QuickBooks deleted the record a mapping points at."""
    if "special" in target:
        return True
    return directory.find(connector_id, target["list"], target["list_id"]) is not None
