"""Reading a transaction as QuickBooks holds it now, before a request that needs its
EditSequence or its lines' TxnLineIDs (a purchase order's modification, a receipt linked to
its lines): one query by TxnID, and what its answer says."""

from __future__ import annotations

from lxml import etree

from engine.plans import Fetched
from engine.qbxml import status
from engine.qbxml.builder import build_request
from engine.qbxml.parser import Response
from engine.steps.base import StepContext


def query(txn_id: str, request_id: str, context: StepContext) -> etree._Element:
    """The query that reads purchase order `txn_id` with its lines."""
    return build_request(
        "PurchaseOrderQueryRq",
        {"TxnID": [txn_id], "IncludeLineItems": True},
        request_id=request_id,
        version=context.qbxml_version,
        include=["TxnID", "EditSequence", "PurchaseOrderLineRet"],
    )


def read(asked: list[str], responses: list[Response | None]) -> dict[str, Fetched]:
    """What QuickBooks' answers to the fetch queries hold; a TxnID it did not return is
    recorded as gone (no EditSequence), one whose answer was lost is not recorded."""
    out = {}
    for txn_id, response in zip(asked, responses, strict=False):
        if response is None:
            continue
        if response.status.decision not in (status.OK, status.NO_MATCH, status.WARNING):
            problem = f"{response.status.code} {response.status.message}"
            out[txn_id] = Fetched(txn_id, "", problem=f"QuickBooks could not read it: {problem}")
            continue
        ret = response.rets[0] if response.rets else None
        if ret is None:
            out[txn_id] = Fetched(
                txn_id, "", problem=f"QuickBooks no longer holds its purchase order ({txn_id})"
            )
            continue
        lines = tuple(
            (
                line.findtext("TxnLineID") or "",
                line.findtext("ItemRef/FullName") or "",
                line.findtext("Quantity") or "0",
                line.findtext("ReceivedQuantity") or "0",
            )
            for line in ret.findall("PurchaseOrderLineRet")
        )
        out[txn_id] = Fetched(txn_id, ret.findtext("EditSequence") or "", lines)
    return out
