"""What an approved PSA timesheet becomes in QuickBooks: TimeTrackingAdds, one per day,
customer, service item and payroll category (product-spec §4.6, §4.7, §6.4; open questions 16
and 17).

A timesheet's period may be a week, two or half a month; QuickBooks' weekly timesheet is made
of per-day entries, so one add per day lands each in its own QuickBooks week whatever the
period. The entity is the resource's mapping, else an employee or vendor of exactly the
person's name; there is none to create, so without one the timesheet cannot go. Pure
functions, like `engine.invoices`: the transfer step only moves what they decide.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from engine import naming
from engine.aggregates.mapping import Mapping
from engine.invoices import customer_needs, item_needs
from engine.mapping import DO_NOT_TRANSFER, NO_CLASS
from engine.plans import CannotTransfer, Dependency, Find, Gone, Plan, Records, Skipped, unique


@dataclass(frozen=True)
class Entity:
    """Who the hours are for in QuickBooks: an employee (paid through a wage item) or a vendor."""

    list_name: str  # "employees" or "vendors"
    full_name: str


@dataclass(frozen=True)
class TimePart:
    """One TimeTrackingAdd of a timesheet, or the hours skipped by `[do not transfer]`."""

    key: str  # date|organization|billing code|payroll category: stable across imports
    txn_date: str
    minutes: int
    body: dict[str, Any] = field(default_factory=dict)
    needs: list[Dependency] = field(default_factory=list)
    skipped: str | None = None  # why these hours stay out of QuickBooks


def part_key(entry: dict[str, Any]) -> str:
    """Which add an entry's hours are summed into."""
    return "|".join(
        str(entry.get(name) or "")
        for name in ("date", "organization_id", "billing_code_id", "payroll_category_id")
    )


def parts(timesheet: dict[str, Any]) -> list[str]:
    """The part keys of a timesheet's hours, each its own transfer, in date order."""
    return sorted({part_key(entry) for entry in timesheet.get("entries") or []})


def part_label(number: str, key: str) -> str:
    """A part as people read it in the queues and the history: `TS-301 2026-11-02`."""
    day = key.split("|", 1)[0]
    return f"{number} {day}" if day else number


def duration(minutes: int) -> str:
    """qbXML's TIMEINTERVALTYPE for a number of minutes: `PT6H30M`."""
    return f"PT{minutes // 60}H{minutes % 60}M"


def minutes_of(hours: Any, where: str) -> int:
    """PSA hours (a decimal string) as whole minutes, or CannotTransfer."""
    try:
        value = Decimal(str(hours))
    except InvalidOperation:
        raise CannotTransfer(f"{where}: {hours!r} is not a number of hours") from None
    if not value.is_finite() or value < 0 or value > 24:
        raise CannotTransfer(f"{where}: {hours} hours is not a day's time")
    return int((value * 60).to_integral_value(rounding=ROUND_HALF_UP))


def entity_for(
    resource_id: str, resource: dict[str, Any] | None, mapping: Mapping, find: Find
) -> Entity:
    """The employee or vendor a resource's hours go to, or CannotTransfer (never created)."""
    mapped = mapping.get("resources-payroll", resource_id)
    if mapped is not None and mapped.get("full_name"):
        return Entity(mapped["list"], mapped["full_name"])
    if resource is None:
        raise CannotTransfer(f"resource {resource_id} has not been imported")
    names = naming.person_names(resource.get("first_name"), resource.get("last_name") or "")
    for list_name in ("employees", "vendors"):
        for name in names[:2]:  # "First Last", "Last, First": a bare last name is no match
            if find(list_name, name) is not None:
                return Entity(list_name, name)
    person = names[0] if names else resource_id
    raise CannotTransfer(
        f"resource {person!r} is mapped to no employee or vendor, and QuickBooks has none of "
        "that name; map the resource (an employee or vendor is never created for a timesheet)"
    )


def plan_timesheet(
    timesheet: dict[str, Any],
    records: Records,
    mapping: Mapping,
    find: Find,
    *,
    item_naming: str,
    name_overflow: str,
) -> dict[str, TimePart]:
    """Every add an approved timesheet becomes, by part key; CannotTransfer for the whole
    timesheet when one of them cannot be made (QuickBooks would get half a week)."""
    sheet = timesheet["id"]
    if timesheet.get("status") != "approved":
        raise CannotTransfer(f"timesheet {sheet} is not approved")
    resource_id = timesheet["resource_id"]
    entity = entity_for(resource_id, records("resources", resource_id), mapping, find)
    groups: dict[str, list[dict[str, Any]]] = {}
    for entry in timesheet.get("entries") or []:
        groups.setdefault(part_key(entry), []).append(entry)
    parts = {}
    for key, entries in groups.items():
        minutes = sum(
            minutes_of(e.get("hours"), f"timesheet {sheet}, {e.get('date')}") for e in entries
        )
        if minutes:
            parts[key] = _part(
                sheet, key, entries, minutes, entity, records, mapping, item_naming, name_overflow
            )
    if not parts:
        raise CannotTransfer(f"timesheet {sheet} has no hours to transfer")
    return parts


def _part(
    sheet: str,
    key: str,
    entries: list[dict[str, Any]],
    minutes: int,
    entity: Entity,
    records: Records,
    mapping: Mapping,
    item_naming: str,
    name_overflow: str,
) -> TimePart:
    first = entries[0]
    day, where = first["date"], f"timesheet {sheet}, {first['date']}"
    category_id = first.get("payroll_category_id") or ""
    wage = mapping.get("payroll-categories", category_id) if category_id else None
    if wage is not None and wage.get("special") == DO_NOT_TRANSFER:
        category = records("payroll_categories", category_id) or {}
        return TimePart(
            key, day, minutes,
            skipped=f"{where}: {duration(minutes)} of {category.get('name') or category_id} "
            f"mapped to {DO_NOT_TRANSFER}",
        )  # fmt: skip
    needs: list[Dependency] = []
    body: dict[str, Any] = {"TxnDate": day, "EntityRef": {"FullName": entity.full_name}}
    if first.get("organization_id"):
        customer, customer_deps = customer_needs(first["organization_id"], records, mapping, where)
        body["CustomerRef"] = {"FullName": customer}
        needs += customer_deps
    if first.get("billing_code_id"):
        item, item_deps = item_needs(
            first["billing_code_id"], None, records, mapping, item_naming, name_overflow, where
        )
        body["ItemServiceRef"] = {"FullName": item}
        needs += item_deps
    body["Duration"] = duration(minutes)
    lob = mapping.get("lines-of-business", first.get("line_of_business_id") or "none")
    if lob is not None and lob.get("full_name") and lob.get("special") != NO_CLASS:
        body["ClassRef"] = {"FullName": lob["full_name"]}
    if entity.list_name == "employees":
        if wage is None or not wage.get("full_name"):
            category = records("payroll_categories", category_id) or {}
            raise CannotTransfer(
                f"{where}: payroll category {category.get('name') or category_id or '(none)'} "
                f"is mapped to no payroll wage item; map it, or to {DO_NOT_TRANSFER}"
            )
        body["PayrollItemWageRef"] = {"FullName": wage["full_name"]}
    notes = "; ".join(e["notes"] for e in entries if e.get("notes"))
    body["Notes"] = f"Timesheet {sheet}" + (f": {notes}" if notes else "")
    # Billing goes through the PSA's invoices: QuickBooks must not bill these hours again.
    body["BillableStatus"] = "NotBillable"
    return TimePart(key, day, minutes, body, needs)


class TimesheetType:
    """Timesheets as a transfer step's type: each part of a timesheet (a day's hours for one
    customer, service item and payroll item) is a transfer of its own, one TimeTrackingAdd."""

    kind = "timesheets"
    label = "timesheet"

    def parts(self, document: Any) -> list[str]:
        """The timesheet's part keys."""
        return parts(document.data) or [""]

    def plan(self, transfer: Any, document: Any, context: Any) -> Plan:
        """The TimeTrackingAdd of the transfer's part; Skipped for hours mapped to
        `[do not transfer]`, Gone when a re-import took the part's hours away."""
        connector = context.connector()
        planned = plan_timesheet(
            {**document.data, "id": document.psa_id},
            context.psa_data,
            context.mapping(),
            context.find_applied,
            item_naming=connector.item_naming,
            name_overflow=connector.name_overflow,
        )
        part = planned.get(transfer.part)
        if part is None:
            raise Gone(f"timesheet {document.psa_id} no longer has these hours")
        if part.skipped:
            raise Skipped(part.skipped)
        return Plan(
            "TimeTracking",
            part.body,
            entity=part.body["EntityRef"]["FullName"],
            txn_date=part.txn_date,
            needs=unique(part.needs),
        )
