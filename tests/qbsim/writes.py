"""List adds and mods the simulated company accepts, and the reference checks every write
shares (status 3140 for a reference to nothing)."""

from __future__ import annotations

from typing import Any

from lxml import etree

from tests.qbsim.company import Answer, Company, QbError, handles, list_ret
from tests.qbsim.model import (
    ITEM_KINDS,
    KIND_BY_OBJECT,
    LIST_KINDS,
    OK,
    REF_KINDS,
    Status,
    to_data,
)

_REF_LABELS = {
    "customer": "Customer",
    "vendor": "Vendor",
    "employee": "Employee",
    "other_name": "Other Name",
    "account": "Account",
    "class": "Class",
    "standard_terms": "Terms",
    "sales_tax_code": "Sales Tax Code",
    "ship_method": "Ship Method",
    "payroll_item_wage": "Payroll Item",
}


def invalid_reference(kinds: list[str], ref: dict[str, Any], obj: str) -> QbError:
    label = "Item" if kinds == ITEM_KINDS else _REF_LABELS.get(kinds[0], kinds[0])
    value = ref.get("FullName") or ref.get("ListID") or ""
    return QbError(
        Status(
            3140,
            f'There is an invalid reference to QuickBooks {label} "{value}" '
            f"in the {obj}. QuickBooks error message: Invalid argument. The "
            "specified record does not exist in the list.",
        )
    )


def resolve_refs(company: Company, data: Any, obj: str) -> None:
    """Check every `*Ref` in a request body and complete it with ListID and FullName."""
    if isinstance(data, list):
        for item in data:
            resolve_refs(company, item, obj)
        return
    if not isinstance(data, dict):
        return
    for key, value in data.items():
        kinds = REF_KINDS.get(key)
        if kinds and isinstance(value, dict) and ("ListID" in value or "FullName" in value):
            record = company.find(kinds, value)
            if record is None:
                raise invalid_reference(kinds, value, obj)
            data[key] = {"ListID": record["ListID"], "FullName": record["FullName"]}
        else:
            resolve_refs(company, value, obj)


def require(data: dict[str, Any], key: str, obj: str) -> None:
    if key not in data:
        raise QbError(
            Status(3140, f'There is a missing element: "{key}" is required in the {obj}.')
        )


# -- lists ---------------------------------------------------------------------------------


def add_list_record(company: Company, kind: str, data: dict[str, Any]) -> dict[str, Any]:
    """Add a list record from an *Add body (also used to seed companies from JSON)."""
    obj = LIST_KINDS[kind].obj
    name = data.pop("Name", None)
    if kind == "employee" and not name:
        name = " ".join(p for p in (data.get("FirstName"), data.get("LastName")) if p)
    if not name:
        raise QbError(Status(3000, f"The {obj} has no name."))
    parent_ref = data.pop("ParentRef", None)
    parent = None
    if parent_ref:
        family = ITEM_KINDS if kind in ITEM_KINDS else [kind]
        parent = company.find(family, parent_ref)
        if parent is None:
            raise invalid_reference(family, parent_ref, obj)
    full_name = f"{parent['FullName']}:{name}" if parent else name
    if company.name_taken(kind, full_name) is not None:
        raise QbError(
            Status(3100, f'The name "{full_name}" of the list element is already in use.')
        )
    resolve_refs(company, data, obj)
    if kind == "item_inventory":
        for key in ("IncomeAccountRef", "COGSAccountRef", "AssetAccountRef"):
            require(data, key, obj)
        data.setdefault("QuantityOnHand", data.pop("QuantityOnHand", "0"))
    record: dict[str, Any] = {"ListID": company.new_list_id()}
    company.stamp_new(record)
    record.update({"Name": name, "FullName": full_name, "IsActive": data.pop("IsActive", "true")})
    if parent is not None:
        record["ParentRef"] = {"ListID": parent["ListID"], "FullName": parent["FullName"]}
        record["Sublevel"] = str(int(parent.get("Sublevel", "0")) + 1)
    else:
        record["Sublevel"] = "0"
    record.update(data)
    company.lists[kind][record["ListID"]] = record
    company.index_name(kind, record)
    return record


def _list_add(kind: str):
    def handler(company: Company, rq: etree._Element, ctx: dict[str, Any]) -> Answer:
        body = rq.find(f"{LIST_KINDS[kind].obj}Add")
        record = add_list_record(company, kind, to_data(body))
        return Answer(OK, [list_ret(kind, record)])

    return handler


def _list_mod(kind: str):
    def handler(company: Company, rq: etree._Element, ctx: dict[str, Any]) -> Answer:
        obj = LIST_KINDS[kind].obj
        data = to_data(rq.find(f"{obj}Mod"))
        record = company.lists[kind].get(data.pop("ListID", ""))
        if record is None:
            raise QbError(
                Status(
                    3120,
                    f'Object "{data.get("Name", "")}" specified in the request cannot be found.',
                )
            )
        sequence = data.pop("EditSequence", "")
        if sequence != record["EditSequence"]:
            raise QbError(Status(3200, f'The provided edit sequence "{sequence}" is out-of-date.'))
        resolve_refs(company, data, obj)
        old_full = record["FullName"]
        if "Name" in data and data["Name"] != record["Name"]:
            prefix = old_full.rsplit(":", 1)[0] + ":" if ":" in old_full else ""
            new_full = prefix + data["Name"]
            if company.name_taken(kind, new_full) is not None:
                raise QbError(
                    Status(3100, f'The name "{new_full}" of the list element is already in use.')
                )
            record["FullName"] = new_full
            company.index_name(kind, record, old_full_name=old_full)
        record.update(data)
        company.stamp_modified(record)
        return Answer(OK, [list_ret(kind, record)])

    return handler


for _obj in (
    "Customer",
    "Vendor",
    "Employee",
    "Account",
    "Class",
    "ItemService",
    "ItemNonInventory",
    "ItemOtherCharge",
    "ItemInventory",
    "ItemSalesTax",
    "StandardTerms",
    "SalesTaxCode",
    "ShipMethod",
):
    handles(f"{_obj}AddRq")(_list_add(KIND_BY_OBJECT[_obj].key))
for _obj in ("Customer", "Vendor", "ItemInventory", "ItemService", "ItemNonInventory"):
    handles(f"{_obj}ModRq")(_list_mod(KIND_BY_OBJECT[_obj].key))
