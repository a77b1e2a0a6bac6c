"""What an approved PSA expense report becomes in QuickBooks: a bill payable to the resource's
vendor (product-spec §4.5, §4.6, §6.5; open questions 12 and 18).

The vendor is the resource's mapping, else a vendor of exactly the person's name, else a new
vendor `v-Lastname, Firstname`, created in the same session before the bill. Only reimbursable
items become lines (the company owes nothing for the others), each to the expense account its
category maps to for billable or non-billable use; a cash advance, when the connector
transfers them, is a negative line. A report with nothing to pay is skipped, never sent.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from engine import naming
from engine.aggregates.mapping import Mapping
from engine.invoices import customer_needs
from engine.mapping import NO_CLASS
from engine.plans import CannotTransfer, Dependency, Find, Plan, Records, Skipped, unique

REF_NUMBER_LIMIT = 20


def vendor_for(
    resource_id: str,
    resource: dict[str, Any] | None,
    mapping: Mapping,
    find: Find,
    name_overflow: str = "fail",
) -> tuple[str, list[Dependency]]:
    """The vendor a resource's expenses are paid to, and the vendor to create when it is
    new; CannotTransfer when even the new name does not fit QuickBooks (and the connector
    does not cut names)."""
    mapped = mapping.get("resources-expenses", resource_id)
    if mapped is not None and mapped.get("full_name"):
        return mapped["full_name"], []
    if resource is None:
        raise CannotTransfer(f"resource {resource_id} has not been imported")
    first, last = resource.get("first_name"), resource.get("last_name") or ""
    for name in naming.person_names(first, last)[:2]:  # a bare last name is no match
        if find("vendors", name) is not None:
            return name, []
    new = naming.expense_vendor_name(first, last, name_overflow)
    if new.problem or new.name is None:
        raise CannotTransfer(f"{new.problem}: map the resource to an existing vendor")
    return new.name, [Dependency("vendors", new.name, "VendorAddRq", {"Name": new.name})]


def plan_expense_report(
    report: dict[str, Any],
    records: Records,
    mapping: Mapping,
    find: Find,
    *,
    cash_advances: bool,
    name_overflow: str = "fail",
) -> Plan:
    """The BillAdd an expense report becomes; Skipped when it leaves nothing to pay,
    CannotTransfer when a line cannot be made."""
    report_id = report["id"]
    where = f"expense report {report_id}"
    if report.get("status") != "approved":
        raise CannotTransfer(f"{where} is not approved")
    resource_id = report["resource_id"]
    vendor, needs = vendor_for(
        resource_id, records("resources", resource_id), mapping, find, name_overflow
    )
    lines, total = [], Decimal(0)
    for index, item in enumerate(report.get("items") or []):
        if item.get("reimbursable") is False:
            continue  # paid by the company directly: nothing is owed to the resource
        line, line_needs = _line(item, f"{where}, item {index + 1}", records, mapping)
        lines.append(line)
        needs += line_needs
        total += line["Amount"]
    advance = _amount(report.get("cash_advance") or "0", where)
    if cash_advances and advance > 0:
        account = mapping.get("cash-advance", "account")
        if account is None or not account.get("full_name"):
            raise CannotTransfer(
                f"{where}: it has a cash advance of {advance}, and the connector transfers "
                "cash advances, but no cash-advance account is mapped"
            )
        lines.append(
            {"AccountRef": {"FullName": account["full_name"]}, "Amount": -advance,
             "Memo": "Cash advance"}
        )  # fmt: skip
        total -= advance
    if total <= 0:
        raise Skipped(
            f"{where}: the reimbursable total is {total.quantize(Decimal('0.01'))}, so "
            "nothing is owed and no bill is made"
        )
    name = (report.get("name") or "").strip()
    body: dict[str, Any] = {
        "VendorRef": {"FullName": vendor},
        "TxnDate": report["period_end"],
        "RefNumber": report_id if len(report_id) <= REF_NUMBER_LIMIT else None,
        "Memo": f"Expense report {report_id}" + (f": {name}" if name else ""),
        "ExpenseLineAdd": lines,
    }
    return Plan(
        "Bill",
        {k: v for k, v in body.items() if v is not None},
        entity=vendor,
        txn_date=report["period_end"],
        needs=unique(needs),
    )


def _line(
    item: dict[str, Any], where: str, records: Records, mapping: Mapping
) -> tuple[dict[str, Any], list[Dependency]]:
    billable = bool(item.get("billable"))
    category_id = item["expense_category_id"]
    page = "expense-billable" if billable else "expense-reimbursable"
    account = mapping.get(page, category_id)
    if account is None or not account.get("full_name"):
        category = records("expense_categories", category_id) or {}
        use = "billable" if billable else "non-billable/reimbursable"
        raise CannotTransfer(
            f"{where}: expense category {category.get('name') or category_id} is mapped to no "
            f"expense account for {use} use; map it (accounts are never created)"
        )
    line: dict[str, Any] = {
        "AccountRef": {"FullName": account["full_name"]},
        "Amount": _amount(item["amount"], where),
        "Memo": item.get("description") or None,
    }
    needs: list[Dependency] = []
    if billable and item.get("organization_id"):
        customer, needs = customer_needs(item["organization_id"], records, mapping, where)
        line["CustomerRef"] = {"FullName": customer}
    lob = mapping.get("lines-of-business", "none")
    if lob is not None and lob.get("full_name") and lob.get("special") != NO_CLASS:
        line["ClassRef"] = {"FullName": lob["full_name"]}
    if "CustomerRef" in line:
        # The PSA bills the customer for it on its invoice: QuickBooks must not bill it again.
        line["BillableStatus"] = "NotBillable"
    return {k: v for k, v in line.items() if v is not None}, needs


def _amount(value: Any, where: str) -> Decimal:
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise CannotTransfer(f"{where}: {value!r} is not an amount") from None
    if not amount.is_finite():
        raise CannotTransfer(f"{where}: {value!r} is not an amount")
    return amount.quantize(Decimal("0.01"))


class ExpenseReportType:
    """Expense reports as a transfer step's type: a BillAdd per report."""

    kind = "expense_reports"
    label = "expense report"

    def parts(self, document: Any) -> list[str]:
        """A report goes as one bill."""
        return [""]

    def plan(self, transfer: Any, document: Any, context: Any) -> Plan:
        """The BillAdd of the report through the context's connector."""
        return plan_expense_report(
            {**document.data, "id": document.psa_id},
            context.psa_data,
            context.mapping(),
            context.find_applied,
            cash_advances=bool(context.connector().transfer_cash_advances),
            name_overflow=context.connector().name_overflow,
        )
