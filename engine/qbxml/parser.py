"""The one qbXML response parser: response documents and strHCPResponse into typed values."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from engine.qbxml.status import Status

# Hardened: no DTDs, no entity expansion, no network; big documents are fine (paged lists).
_PARSER = etree.XMLParser(
    resolve_entities=False,
    no_network=True,
    load_dtd=False,
    dtd_validation=False,
    huge_tree=True,
    remove_blank_text=True,
)


_DIGITS = re.compile(r"[0-9]+")


class QbxmlParseError(ValueError):
    """A response that is not a qbXML response document."""


@dataclass
class Response:
    """One `*Rs` of a response message set."""

    name: str
    request_id: str | None
    status: Status
    rets: list[etree._Element]
    iterator_id: str | None = None
    iterator_remaining: int | None = None


@dataclass
class ResponseSet:
    """A parsed `QBXMLMsgsRs`, responses in request order."""

    responses: list[Response]
    message_set_status: str | None = None


@dataclass
class HostInfo:
    """What QuickBooks says about itself and the open file in strHCPResponse."""

    product: str = ""
    country: str = ""
    qbxml_versions: list[str] = field(default_factory=list)
    file_mode: str = ""
    company_name: str = ""
    data_ext: dict[tuple[str, str], str] = field(default_factory=dict)

    def data_ext_value(self, owner_id: str, name: str) -> str | None:
        return self.data_ext.get((owner_id.upper(), name))


def _root(text: str) -> etree._Element:
    try:
        return etree.fromstring(text.encode("utf-8"), _PARSER)
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise QbxmlParseError(f"not well-formed XML: {exc}") from None


def _count(text: str | None) -> int | None:
    """An attribute QuickBooks writes as ASCII digits (Unicode digits are not numbers here)."""
    if text is None or not _DIGITS.fullmatch(text.strip()) or len(text.strip()) > 12:
        return None
    return int(text.strip())


def parse_response(text: str) -> ResponseSet:
    """Parse a qbXML response document (as QBWC passes it to receiveResponseXML)."""
    root = _root(text)
    msgs = root.find("QBXMLMsgsRs") if root.tag == "QBXML" else None
    if msgs is None:
        raise QbxmlParseError("not a qbXML response: expected QBXML/QBXMLMsgsRs")
    responses = []
    for rs in msgs:
        if not isinstance(rs.tag, str):
            continue
        code = _count(rs.get("statusCode"))
        if code is None:
            raise QbxmlParseError(f"<{rs.tag}> has no numeric statusCode")
        remaining = _count(rs.get("iteratorRemainingCount"))
        responses.append(
            Response(
                name=rs.tag,
                request_id=rs.get("requestID"),
                status=Status(code, rs.get("statusSeverity", ""), rs.get("statusMessage", "")),
                rets=[child for child in rs if isinstance(child.tag, str)],
                iterator_id=rs.get("iteratorID"),
                iterator_remaining=remaining,
            )
        )
    return ResponseSet(responses, msgs.get("messageSetStatusCode"))


def parse_hcp(text: str) -> HostInfo:
    """Parse strHCPResponse: the Host, Company and Preferences answers QBWC sends first."""
    root = _root(text)
    info = HostInfo()
    host = root.find(".//HostRet")
    if host is not None:
        info.product = host.findtext("ProductName", "")
        info.country = host.findtext("Country", "")
        info.qbxml_versions = [v.text or "" for v in host.findall("SupportedQBXMLVersion")]
        info.file_mode = host.findtext("QBFileMode", "")
    company = root.find(".//CompanyRet")
    if company is not None:
        info.company_name = company.findtext("CompanyName", "")
        for ext in company.findall("DataExtRet"):
            key = ((ext.findtext("OwnerID") or "").upper(), ext.findtext("DataExtName") or "")
            info.data_ext[key] = ext.findtext("DataExtValue") or ""
    return info


# Fields kept from each list record, besides the identity every record has.
DETAIL_FIELDS = frozenset(
    {
        "AccountType",
        "AccountNumber",
        "CompanyName",
        "Email",
        "WageType",
        "StdDueDays",
        "IsTaxable",
        "Desc",
        "SalesDesc",
        "PurchaseDesc",
        "QuantityOnHand",
        "SalesPrice",
        "PurchaseCost",
        "FirstName",
        "LastName",
    }
)
_IDENTITY = {
    "ListID": "list_id",
    "Name": "name",
    "FullName": "full_name",
    "EditSequence": "edit_sequence",
    "TimeModified": "time_modified",
}


def list_record(ret: etree._Element) -> dict[str, Any]:
    """The part of a list `*Ret` the engine keeps: identity, hierarchy and a few details."""
    record: dict[str, Any] = {
        "type": ret.tag[:-3] if ret.tag.endswith("Ret") else ret.tag,
        "list_id": "",
        "name": "",
        "full_name": "",
        "is_active": True,
        "parent_list_id": None,
        "edit_sequence": "",
        "time_modified": "",
    }
    details: dict[str, Any] = {}
    for child in ret:  # one pass: these lists run to tens of thousands of records
        tag = child.tag
        if tag in _IDENTITY:
            record[_IDENTITY[tag]] = child.text or ""
        elif tag == "IsActive":
            record["is_active"] = child.text != "false"
        elif tag == "ParentRef":
            record["parent_list_id"] = child.findtext("ListID")
        elif tag in DETAIL_FIELDS:
            details[tag] = child.text
        elif tag == "IncomeAccountRef" or tag == "SalesOrPurchase":
            account = child.findtext("FullName") or child.findtext("AccountRef/FullName")
            if account:
                details["IncomeAccount"] = account
    record["full_name"] = record["full_name"] or record["name"]
    if details:
        record["details"] = details
    return record


def deleted_record(ret: etree._Element) -> dict[str, str]:
    """A `ListDeletedRet` as the engine keeps it."""
    return {
        "type": ret.findtext("ListDelType", ""),
        "list_id": ret.findtext("ListID", ""),
        "full_name": ret.findtext("FullName", ""),
        "time_deleted": ret.findtext("TimeDeleted", ""),
    }


def deleted_txn(ret: etree._Element) -> dict[str, str]:
    """A `TxnDeletedRet` as the engine keeps it."""
    return {
        "type": ret.findtext("TxnDelType", ""),
        "txn_id": ret.findtext("TxnID", ""),
        "ref_number": ret.findtext("RefNumber", ""),
        "time_deleted": ret.findtext("TimeDeleted", ""),
    }
