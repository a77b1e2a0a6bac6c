"""Queries the simulated company answers: every list it keeps, transactions, deletions,
iterators, and the host/company/preferences singletons."""

from __future__ import annotations

from typing import Any

from lxml import etree

from tests.qbsim.company import Answer, Company, QbError, handles, list_ret
from tests.qbsim.model import (
    ITEM_KINDS,
    LIST_KINDS,
    NO_MATCH,
    OK,
    Status,
    is_true,
    to_data,
    to_element,
)


def _listify(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _page(
    company: Company,
    rq: etree._Element,
    found: list[tuple[str, str]],
    render,
    status: Status,
    max_returned: int | None,
) -> Answer:
    """Answer with `found`, whole, capped by MaxReturned, or through a new iterator."""
    if rq.get("iterator") == "Start":
        iterator_id = company.new_guid()
        company.iterators[iterator_id] = {
            "session": company.session,
            "request": rq.tag,
            "keys": found,
            "pos": 0,
            "size": max_returned or len(found) or 1,
            "render": render,
        }
        return _continue(company, iterator_id, status)
    shown = found[:max_returned] if max_returned is not None else found
    return Answer(status if shown else NO_MATCH, [render(k) for k in shown])


def _continue(company: Company, iterator_id: str, status: Status = OK) -> Answer:
    state = company.iterators.get(iterator_id)
    if state is None or state["session"] != company.session or company.session is None:
        raise QbError(Status(3391, f'The iteratorID "{iterator_id}" is not valid.'))
    rets = []
    while state["pos"] < len(state["keys"]) and len(rets) < state["size"]:
        ret = state["render"](state["keys"][state["pos"]])
        state["pos"] += 1
        if ret is not None:  # records deleted since the iterator started are skipped
            rets.append(ret)
    remaining = len(state["keys"]) - state["pos"]
    if remaining == 0:
        del company.iterators[iterator_id]
    attrs = {"iteratorRemainingCount": str(remaining), "iteratorID": iterator_id}
    return Answer(status if rets else NO_MATCH, rets, attrs)


def _iterating(company: Company, rq: etree._Element) -> Answer | None:
    if rq.get("iterator") == "Continue":
        return _continue(company, rq.get("iteratorID", ""))
    if rq.get("iterator") == "Stop":
        company.iterators.pop(rq.get("iteratorID", ""), None)
        return Answer(
            OK, [], {"iteratorRemainingCount": "0", "iteratorID": rq.get("iteratorID", "")}
        )
    return None


def _max_returned(data: dict[str, Any]) -> int | None:
    return int(data["MaxReturned"]) if data.get("MaxReturned") else None


# -- lists -------------------------------------------------------------------------------------


def _list_query(kinds: list[str]):
    def handler(company: Company, rq: etree._Element, ctx: dict[str, Any]) -> Answer:
        continued = _iterating(company, rq)
        if continued is not None:
            return continued
        data = to_data(rq)
        include = _listify(data.get("IncludeRetElement"))
        status = OK
        ids, names = _listify(data.get("ListID")), _listify(data.get("FullName"))
        if ids or names:
            records, missing = [], []
            for ref in [{"ListID": i} for i in ids] + [{"FullName": n} for n in names]:
                record = company.find(kinds, ref)
                (records.append(record) if record else missing.append(next(iter(ref.values()))))
            if missing:
                status = Status(
                    500,
                    "The query request has not been fully completed. There was "
                    f'a required element ("{missing[0]}") that could not be '
                    "found in QuickBooks.",
                )
        else:
            records = _filtered(company, kinds, data)
        found = [(_kind_of(company, kinds, r), r["ListID"]) for r in records]

        def render(key: tuple[str, str]):
            record = company.lists[key[0]].get(key[1])
            return list_ret(key[0], record, include) if record else None

        return _page(company, rq, found, render, status, _max_returned(data))

    return handler


def _kind_of(company: Company, kinds: list[str], record: dict[str, Any]) -> str:
    return next(k for k in kinds if record["ListID"] in company.lists[k])


def _filtered(company: Company, kinds: list[str], data: dict[str, Any]) -> list[dict[str, Any]]:
    active = data.get("ActiveStatus", "ActiveOnly")
    low = company.clock.parse(data["FromModifiedDate"]) if data.get("FromModifiedDate") else None
    high = company.clock.parse(data["ToModifiedDate"]) if data.get("ToModifiedDate") else None
    name_filter = data.get("NameFilter") or {}
    name_range = data.get("NameRangeFilter") or {}
    out = []
    for record in company.all_records(kinds):
        is_active = is_true(record.get("IsActive", "true"))
        if (active == "ActiveOnly" and not is_active) or (active == "InactiveOnly" and is_active):
            continue
        modified = company.clock.parse(record["TimeModified"])
        if (low and modified < low) or (high and modified > high):
            continue
        full = record["FullName"].casefold()
        if name_filter:
            wanted = name_filter.get("Name", "").casefold()
            criterion = name_filter.get("MatchCriterion")
            matched = (
                full.startswith(wanted)
                if criterion == "StartsWith"
                else full.endswith(wanted)
                if criterion == "EndsWith"
                else wanted in full
            )
            if not matched:
                continue
        if name_range and not (
            name_range.get("FromName", "").casefold()
            <= full
            <= name_range.get("ToName", "\uffff").casefold()
        ):
            continue
        out.append(record)
    return sorted(out, key=lambda r: r["FullName"].casefold())


for _kind in LIST_KINDS.values():
    handles(f"{_kind.obj}QueryRq")(_list_query([_kind.key]))
handles("ItemQueryRq")(_list_query(ITEM_KINDS))
handles("TermsQueryRq")(_list_query(["standard_terms"]))


# -- transactions ------------------------------------------------------------------------------


def txn_ret(
    company: Company,
    txn_type: str,
    record: dict[str, Any],
    *,
    lines: bool = True,
    linked: bool = False,
    include: list[str] | None = None,
) -> etree._Element:
    """A transaction as its `*Ret`, with its lines and linked payments when asked for."""
    data = {k: v for k, v in record.items() if lines or not k.endswith("LineRet")}
    if linked and txn_type == "Invoice":
        data["LinkedTxn"] = [
            {
                "TxnID": p["TxnID"],
                "TxnType": "ReceivePayment",
                "TxnDate": p["TxnDate"],
                "RefNumber": p.get("RefNumber", ""),
                "LinkType": "AMTTYPE",
                "Amount": "-" + p["_applied"][record["TxnID"]],
            }
            for p in company.txns["ReceivePayment"].values()
            if record["TxnID"] in p.get("_applied", {})
        ]
    if include:
        data = {k: v for k, v in data.items() if k in include}
    return to_element(f"{txn_type}Ret", data)


def _txn_query(txn_type: str):
    def handler(company: Company, rq: etree._Element, ctx: dict[str, Any]) -> Answer:
        continued = _iterating(company, rq)
        if continued is not None:
            return continued
        data = to_data(rq)
        include = _listify(data.get("IncludeRetElement"))
        txn_ids, refs = _listify(data.get("TxnID")), _listify(data.get("RefNumber"))
        records = list(company.txns[txn_type].values())
        status = OK
        if txn_ids or refs:
            records = [r for r in records if r["TxnID"] in txn_ids or r.get("RefNumber") in refs]
            if len(records) < len(txn_ids) + len(refs):
                status = Status(
                    500,
                    "The query request has not been fully completed. There was "
                    "a required element that could not be found in QuickBooks.",
                )
        else:
            records = _txn_filtered(company, records, data)
        lines, linked = (
            is_true(data.get("IncludeLineItems")),
            is_true(data.get("IncludeLinkedTxns")),
        )

        def render(key: tuple[str, str]):
            record = company.txns[txn_type].get(key[1])
            return (
                txn_ret(company, txn_type, record, lines=lines, linked=linked, include=include)
                if record
                else None
            )

        found = [(txn_type, r["TxnID"]) for r in records]
        return _page(company, rq, found, render, status, _max_returned(data))

    return handler


def _txn_filtered(company: Company, records: list[dict[str, Any]], data: dict[str, Any]):
    modified = data.get("ModifiedDateRangeFilter") or {}
    dates = data.get("TxnDateRangeFilter") or {}
    # TimeTrackingQuery names its filter TimeTrackingEntityFilter (qbXML 13.0 schema).
    entity = data.get("EntityFilter") or data.get("TimeTrackingEntityFilter") or {}
    paid = data.get("PaidStatus", "All")
    out = []
    for record in records:
        when = company.clock.parse(record["TimeModified"])
        if modified.get("FromModifiedDate") and when < company.clock.parse(
            modified["FromModifiedDate"]
        ):
            continue
        if modified.get("ToModifiedDate") and when > company.clock.parse(
            modified["ToModifiedDate"]
        ):
            continue
        if dates.get("FromTxnDate") and record.get("TxnDate", "") < dates["FromTxnDate"]:
            continue
        if dates.get("ToTxnDate") and record.get("TxnDate", "") > dates["ToTxnDate"]:
            continue
        if entity:
            ref = next(
                (v for k, v in record.items() if k in ("CustomerRef", "VendorRef", "EntityRef")), {}
            )
            wanted_ids = _listify(entity.get("ListID"))
            wanted_names = [n.casefold() for n in _listify(entity.get("FullName"))]
            if ref.get("ListID") not in wanted_ids and ref.get("FullName", "").casefold() not in (
                wanted_names
            ):
                continue
        if paid != "All" and is_true(record.get("IsPaid", "false")) != (paid == "PaidOnly"):
            continue
        out.append(record)
    return sorted(out, key=lambda r: (r["TimeCreated"], r["TxnID"]))


for _txn_type in (
    "Invoice",
    "Bill",
    "PurchaseOrder",
    "ItemReceipt",
    "InventoryAdjustment",
    "TimeTracking",
    "ReceivePayment",
):
    handles(f"{_txn_type}QueryRq")(_txn_query(_txn_type))


# -- deletions ---------------------------------------------------------------------------------


def _deleted_query(history_attr: str, type_field: str):
    def handler(company: Company, rq: etree._Element, ctx: dict[str, Any]) -> Answer:
        data = to_data(rq)
        types = set(_listify(data.get(type_field)))
        window = data.get("DeletedDateRangeFilter") or {}
        low = (
            company.clock.parse(window["FromDeletedDate"])
            if window.get("FromDeletedDate")
            else None
        )
        high = company.clock.parse(window["ToDeletedDate"]) if window.get("ToDeletedDate") else None
        rets = []
        for entry in getattr(company, history_attr):
            when = company.clock.parse(entry["TimeDeleted"])
            if (
                entry[type_field] in types
                and not (low and when < low)
                and not (high and when > high)
            ):
                rets.append(to_element(type_field.replace("DelType", "DeletedRet"), entry))
        return Answer(OK if rets else NO_MATCH, rets)

    return handler


handles("ListDeletedQueryRq")(_deleted_query("deleted_lists", "ListDelType"))
handles("TxnDeletedQueryRq")(_deleted_query("deleted_txns", "TxnDelType"))


# -- host, company, preferences ------------------------------------------------------------------


def host_ret(company: Company) -> etree._Element:
    major = company.product.rsplit(" ", 1)[-1]
    return to_element(
        "HostRet",
        {
            "ProductName": company.product,
            "MajorVersion": str(int(major) - 1990) if major.isdigit() else "34",
            "MinorVersion": "0",
            "Country": company.country,
            "SupportedQBXMLVersion": list(company.versions),
            "IsAutomaticLogin": "false",
            "QBFileMode": company.file_mode,
        },
    )


def company_ret(
    company: Company, owners: list[str] | None = None, all_owners: bool = False
) -> etree._Element:
    wanted = {o.upper() for o in owners or []}
    data: dict[str, Any] = {
        "IsSampleCompany": "false",
        "CompanyName": company.name,
        "LegalCompanyName": company.name,
        "Address": {
            "Addr1": "1 Simulated Way",
            "City": "Mountain View",
            "State": "CA",
            "PostalCode": "94043",
            "Country": company.country,
        },
        "DataExtRet": [
            {
                "OwnerID": owner,
                "DataExtName": name,
                "DataExtType": "STR255TYPE",
                "DataExtValue": value,
            }
            for (owner, name), value in company.data_ext.items()
            if all_owners or owner.upper() in wanted
        ],
    }
    return to_element("CompanyRet", data)


def preferences_ret(company: Company) -> etree._Element:
    data: dict[str, Any] = {
        "AccountingPreferences": {
            "IsUsingAccountNumbers": "false",
            "IsUsingClassTracking": "true",
            "IsUsingAuditTrail": "true",
        },
        "PurchasesAndVendorsPreferences": {"IsUsingInventory": "true"},
        "TimeTrackingPreferences": {"FirstDayOfWeek": "Monday"},
        "CurrentAppAccessRights": {
            "IsAutomaticLoginAllowed": "true",
            "AutomaticLoginUserName": "Admin",
            "IsPersonalDataAccessAllowed": "false",
        },
    }
    if company.country == "US":
        data["SalesTaxPreferences"] = {"PaySalesTax": "Monthly"}
    return to_element("PreferencesRet", data)


@handles("HostQueryRq")
def _host(company: Company, rq: etree._Element, ctx: dict[str, Any]) -> Answer:
    return Answer(OK, [host_ret(company)])


@handles("CompanyQueryRq")
def _company(company: Company, rq: etree._Element, ctx: dict[str, Any]) -> Answer:
    return Answer(OK, [company_ret(company, _listify(to_data(rq).get("OwnerID")))])


@handles("PreferencesQueryRq")
def _preferences(company: Company, rq: etree._Element, ctx: dict[str, Any]) -> Answer:
    return Answer(OK, [preferences_ret(company)])
