"""The readiness check: per transfer type, what would make a connector's next transfers fail.

It looks at the company file's lists (accounts the product relies on, existing customers,
employees and vendors), the connector's mappings and naming conventions, and the documents
queued for the connector, and says in words what blocks each type (blockers) and what will
happen without a person's say (notes)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from engine import naming, queue
from engine.aggregates import WebConnector
from engine.aggregates.mapping import Mapping
from engine.kinds import TransferKind
from engine.mapping import CATEGORIES, DO_NOT_TRANSFER, target_exists
from engine.ports import PsaCatalog, QuickBooksDirectory
from engine.queue import Routing

INVENTORY_SYNC = "inventory_sync"  # reported beside the transfer kinds, with purchase orders
TYPES = (*TransferKind, INVENTORY_SYNC)
_I, _T, _E, _P = (
    TransferKind.INVOICES,
    TransferKind.TIMESHEETS,
    TransferKind.EXPENSE_REPORTS,
    TransferKind.PURCHASE_ORDERS,
)
# The transfer types each mapping category serves.
USED_BY: dict[str, tuple[str, ...]] = {
    "billing-codes": (_I, _T),
    "lines-of-business": (_I, _T),
    "expense-billable": (_E,),
    "expense-reimbursable": (_E,),
    "cash-advance": (_E,),
    "resources-payroll": (_T,),
    "resources-expenses": (_E,),
    "payroll-categories": (_T,),
    "organizations": (_I, _T, _E),
    "products": (_I, _P, INVENTORY_SYNC),
}
COGS, ASSET, INCOME = "CostOfGoodsSold", "OtherCurrentAsset", "Income"
REQUIRED_ACCOUNTS = {
    TransferKind.INVOICES: [("Autotask Other", INCOME), ("Inventory Adjustment", COGS)],
    TransferKind.TIMESHEETS: [("Autotask Other", INCOME)],
    TransferKind.EXPENSE_REPORTS: [("Autotask Other", INCOME)],
    TransferKind.PURCHASE_ORDERS: [
        ("Autotask Other", INCOME),
        ("Cost of Goods Sold", COGS),
        ("Inventory Asset", ASSET),
    ],
    INVENTORY_SYNC: [
        ("Cost of Goods Sold", COGS),
        ("Inventory Adjustment", COGS),
        ("Inventory Asset", ASSET),
    ],
}
PO_INCOME_ACCOUNT = "Autotask Income from PO"


@dataclass
class TypeReport:
    enabled: bool
    documents_ready: int = 0
    blockers: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def block(self, text: str) -> None:
        if text not in self.blockers:
            self.blockers.append(text)

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)


@dataclass
class Context:
    """Everything the check reads, in one place."""

    connector: WebConnector
    routing: Routing
    mapping: Mapping
    directory: QuickBooksDirectory
    catalog: PsaCatalog
    psa: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)

    def records(self, kind: str) -> dict[str, dict[str, Any]]:
        if kind not in self.psa:
            self.psa[kind] = {r["psa_id"]: r for r in self.catalog.records_of(kind)}
        return self.psa[kind]

    def find(self, list_name: str, name: str) -> dict[str, Any] | None:
        return self.directory.find(self.connector.id, list_name, name)

    def mapped(self, category: str, psa_id: str) -> dict[str, Any] | None:
        return self.mapping.get(category, psa_id)

    def stale(self, target: dict[str, Any]) -> bool:
        return not target_exists(target, self.connector.id, self.directory)


def check(ctx: Context) -> dict[str, Any]:
    """The readiness report of one connector."""
    c = ctx.connector
    enabled = {
        TransferKind.INVOICES: c.transfers[TransferKind.INVOICES],
        TransferKind.TIMESHEETS: c.transfers[TransferKind.TIMESHEETS],
        TransferKind.EXPENSE_REPORTS: c.transfers[TransferKind.EXPENSE_REPORTS],
        TransferKind.PURCHASE_ORDERS: c.transfers[TransferKind.PURCHASE_ORDERS],
        INVENTORY_SYNC: c.transfers[TransferKind.PURCHASE_ORDERS],
    }
    reports = {t: TypeReport(enabled[t]) for t in TYPES}
    linked = c.company_file is not None
    for kind, report in reports.items():
        if not report.enabled:
            report.note(f"transfer of {kind.replace('_', ' ')} is off for this connector")
        if not linked:
            report.block(
                "no company file is linked yet: run the Web Connector once (Update "
                "Selected) so the company file and its lists are known"
            )
        else:
            _accounts(ctx, kind, report)
    if linked:
        _deleted_targets(ctx, reports)
    _invoices(ctx, reports[TransferKind.INVOICES], linked)
    _timesheets(ctx, reports[TransferKind.TIMESHEETS], linked)
    _expense_reports(ctx, reports[TransferKind.EXPENSE_REPORTS], linked)
    _purchase_orders(ctx, reports[TransferKind.PURCHASE_ORDERS], linked)
    if c.sync_inventory_requested:
        reports[INVENTORY_SYNC].note(
            "a full inventory sync runs at the next QBWC run; "
            "QuickBooks must be in single-user mode"
        )
    return {
        "connector_id": str(c.id),
        "name": c.name,
        "company_file_linked": linked,
        "ready": not any(r.blockers for r in reports.values() if r.enabled),
        "types": {t: vars(r) for t, r in reports.items()},
    }


def _deleted_targets(ctx: Context, reports: dict[str, TypeReport]) -> None:
    """A mapping whose QuickBooks record was deleted (a deletion sync saw it) blocks every
    transfer type that uses its category, whether or not a document needs it today."""
    for name, entries in sorted(ctx.mapping.entries.items()):
        for psa_id, target in sorted(entries.items()):
            if not ctx.stale(target):
                continue
            what = CATEGORIES[name].label if name in CATEGORIES else name
            for kind in USED_BY.get(name, ()):
                reports[kind].block(
                    f"mapping {name} {psa_id} points at {what} {target.get('full_name')!r}, "
                    "which QuickBooks no longer has: map it again or clear it"
                )


def _accounts(ctx: Context, kind: str, report: TypeReport) -> None:
    for name, account_type in REQUIRED_ACCOUNTS[kind]:
        account = ctx.find("accounts", name)
        actual = ((account or {}).get("details") or {}).get("AccountType")
        if account is None:
            report.block(
                f"QuickBooks has no {account_type} account {name!r}; create it in "
                "QuickBooks (the integration never creates it)"
            )
        elif actual != account_type:
            report.block(f"QuickBooks account {name!r} is of type {actual}, not {account_type}")
    if kind in (TransferKind.PURCHASE_ORDERS, INVENTORY_SYNC):
        income = ctx.connector.income_account
        if income and ctx.find("accounts", income) is None:
            report.block(
                f"the income account for new inventory items, {income!r}, is not in QuickBooks"
            )
        elif not income and ctx.find("accounts", PO_INCOME_ACCOUNT) is None:
            report.note(
                f"the Income account {PO_INCOME_ACCOUNT!r} will be created for new inventory items"
            )


def _queued_here(
    ctx: Context, report: TypeReport, kind: TransferKind
) -> Iterator[tuple[dict[str, Any], dict[str, Any], Any]]:
    """(document, its data, its organization or resource) for each ready document that goes
    through this connector; counts them in the report."""
    for document, party in queue.ready_here(ctx.records, kind, ctx.routing):
        report.documents_ready += 1
        yield document, document["data"], party


def _customer(
    ctx: Context, report: TypeReport, org_id: str | None, where: str, linked: bool
) -> dict[str, Any] | None:
    """Check the QuickBooks customer an organization becomes; returns it when it exists."""
    if not org_id:
        return None
    org = ctx.records("organizations").get(org_id)
    if org is None:
        report.block(f"{where}: organization {org_id} has not been imported")
        return None
    target = ctx.mapped("organizations", org_id)
    if target is not None:
        if linked and ctx.stale(target):
            report.block(
                f"{where}: organization {org_id} is mapped to customer "
                f"{target['full_name']!r}, which QuickBooks no longer has"
            )
            return None
        return ctx.find("customers", target["list_id"]) if linked else None
    name = naming.customer_name(org["name"])
    if name.problem:
        report.block(
            f"{where}: organization {org_id}: {name.problem}; map it to an existing customer"
        )
        return None
    if not linked:
        return None
    existing = ctx.find("customers", name.name or "")
    if existing is None:
        for other in ("vendors", "employees"):
            if ctx.find(other, name.name or ""):
                report.block(
                    f"{where}: QuickBooks has a {other[:-1]} named {name.name!r} and "
                    "names are shared with customers; map the organization to a "
                    "customer"
                )
                return None
        report.note(f"customer {name.name!r} will be created for organization {org_id}")
    return existing


def _invoices(ctx: Context, report: TypeReport, linked: bool) -> None:
    convention, overflow = ctx.connector.item_naming, ctx.connector.name_overflow
    codes = ctx.records("billing_codes")
    for _invoice, data, org in _queued_here(ctx, report, TransferKind.INVOICES):
        where = f"invoice {data['number']}"
        customer = _customer(ctx, report, data["organization_id"], where, linked)
        org_data = (org or {}).get("data", {})
        if org_data.get("transmission_method") in ("email", "print_and_email") and not (
            org_data.get("email") or ((customer or {}).get("details") or {}).get("Email")
        ):
            report.block(
                f"{where} is to be e-mailed, but organization {data['organization_id']} "
                "has no e-mail address"
            )
        for line in data["lines"]:
            code = codes.get(line.get("billing_code_id") or "")
            if code is not None:
                role = line.get("role") or code["data"].get("role")
                item = naming.item_name(code["data"]["name"], role, convention, overflow)
                if item.problem:
                    report.block(f"{where}: billing code {code['psa_id']}: {item.problem}")
                elif item.truncated:
                    report.note(f"item name {item.name!r} was cut to fit QuickBooks")
                if ctx.mapped("billing-codes", code["psa_id"]) is None:
                    report.note(
                        f"billing code {code['psa_id']} is not mapped: new items use "
                        "the 'Autotask Other' account"
                    )
            lob = line.get("line_of_business_id") or "none"
            target = ctx.mapped("lines-of-business", lob)
            if target is None:
                report.note(f"line of business {lob} is not mapped: lines go without a class")
            elif linked and ctx.stale(target):
                report.block(
                    f"{where}: line of business {lob} is mapped to class "
                    f"{target.get('full_name')!r}, which QuickBooks no longer has"
                )


def _person(
    ctx: Context,
    category: str,
    resource_id: str,
    lists: tuple[str, ...],
) -> tuple[dict[str, Any] | None, str | None]:
    """(the employee or vendor a resource maps to, the list it is in)."""
    target = ctx.mapped(category, resource_id)
    if target is not None:
        return (None, None) if ctx.stale(target) else (target, target["list"])
    resource = ctx.records("resources").get(resource_id) or {"data": {}}
    for list_name in lists:
        for name in naming.person_names(
            resource["data"].get("first_name"), resource["data"].get("last_name", "")
        ):
            found = ctx.find(list_name, name)
            if found is not None:
                return found, list_name
    return None, None


def _timesheets(ctx: Context, report: TypeReport, linked: bool) -> None:
    payroll = ctx.records("payroll_categories")
    for sheet, data, resource in _queued_here(ctx, report, TransferKind.TIMESHEETS):
        where = f"timesheet {sheet['psa_id']}"
        if not linked:
            continue
        person, list_name = _person(
            ctx, "resources-payroll", data["resource_id"], ("employees", "vendors")
        )
        if person is None:
            report.block(
                f"{where}: resource {data['resource_id']} ({resource['name']}) has no "
                "QuickBooks employee or vendor (map it under resources-payroll)"
            )
        for entry in data["entries"]:
            category = entry["payroll_category_id"]
            target = ctx.mapped("payroll-categories", category)
            name = (payroll.get(category) or {}).get("name", "?")
            if target is None and list_name != "vendors":
                report.block(
                    f"{where}: payroll category {category} ({name}) is not mapped to "
                    f"a payroll wage item or {DO_NOT_TRANSFER}"
                )
            elif target is not None and ctx.stale(target):
                report.block(
                    f"{where}: payroll category {category} is mapped to a payroll "
                    "item QuickBooks no longer has"
                )
            _customer(ctx, report, entry.get("organization_id"), where, linked)


def _expense_reports(ctx: Context, report: TypeReport, linked: bool) -> None:
    categories = ctx.records("expense_categories")
    for expense, data, resource in _queued_here(ctx, report, TransferKind.EXPENSE_REPORTS):
        where = f"expense report {expense['psa_id']}"
        reimbursable = sum(
            (Decimal(i["amount"]) for i in data["items"] if i.get("reimbursable", True)), Decimal(0)
        )
        if reimbursable <= 0:
            report.note(f"{where} has nothing reimbursable and will be skipped")
        for item in data["items"]:
            category = item["expense_category_id"]
            use = "expense-billable" if item.get("billable") else "expense-reimbursable"
            if ctx.mapped(use, category) is None:
                name = (categories.get(category) or {}).get("name", "?")
                report.block(
                    f"{where}: expense category {category} ({name}) has no "
                    f"account for {use.split('-')[1]} use (map it under {use})"
                )
            _customer(ctx, report, item.get("organization_id"), where, linked)
        if (
            ctx.connector.transfer_cash_advances
            and Decimal(data.get("cash_advance", "0")) > 0
            and ctx.mapped("cash-advance", "account") is None
        ):
            report.block(f"{where} has a cash advance, and no cash-advance account is mapped")
        if linked:
            vendor, _ = _person(ctx, "resources-expenses", data["resource_id"], ("vendors",))
            if vendor is None:
                first = resource["data"].get("first_name")
                name = naming.expense_vendor_name(
                    first, resource["data"].get("last_name", ""), ctx.connector.name_overflow
                )
                if name.problem:
                    report.block(f"{where}: {name.problem}")
                else:
                    report.note(
                        f"vendor {name.name!r} will be created for resource {data['resource_id']}"
                    )


def _purchase_orders(ctx: Context, report: TypeReport, linked: bool) -> None:
    if ctx.routing.inventory_connector_id != ctx.connector.id:
        report.note(
            "purchase orders are transferred only by the connector that has "
            '"transfer purchase orders & sync inventory" on'
        )
        return
    products = ctx.records("products")
    for _order, data, _ in _queued_here(ctx, report, TransferKind.PURCHASE_ORDERS):
        where = f"purchase order {data['number']}"
        if len(data["vendor_name"]) > naming.VENDOR_NAME:
            text = (
                f"{where}: the vendor name {data['vendor_name']!r} is longer than "
                f"QuickBooks' {naming.VENDOR_NAME} characters"
            )
            if ctx.connector.name_overflow == "truncate":
                report.note(text + "; it will be cut")
            else:
                report.block(text)
        for line in data["lines"]:
            product = products.get(line["product_id"])
            if product is not None:
                item = naming.product_item_name(product["data"]["name"])
                if item.truncated:
                    report.note(
                        f"product {line['product_id']} becomes item {item.name!r} "
                        "(cut to 31 characters, as documented)"
                    )
        _customer(ctx, report, data.get("ship_to_organization_id"), where, linked)
