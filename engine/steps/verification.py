"""Whether QuickBooks already holds a transfer whose answer never came.

Every add carries an ExternalGUID derived from its transfer. A transfer in doubt is looked for
among the transactions of its entity on its date, the key returned with each; found, it is
recorded with QuickBooks' TxnID; not found, it may be sent again. Message-set recovery is not
relied on: whether QBWC relays it is confirmed nowhere public (docs/exactly-once)."""

from __future__ import annotations

from lxml import etree

from engine.plans import Plan
from engine.qbxml import status
from engine.qbxml.builder import build_request
from engine.qbxml.parser import Response
from engine.steps.base import StepContext

# What an add's answer and a verification keep of a transaction.
KEPT_FIELDS = ["TxnID", "RefNumber", "EditSequence", "TxnDate", "ExternalGUID"]
# The filter by customer, employee or vendor, as each query names it in the official schema.
_ENTITY_FILTERS = {"TimeTracking": "TimeTrackingEntityFilter"}
# Transactions of one entity on one date looked through for a key. A full page without it
# proves nothing, so the transfer stays in doubt (never resent) and says why.
VERIFY_MAX = 100


class Unsettled(Exception):
    """QuickBooks' answer does not settle whether it holds the transfer: it stays in doubt,
    for the next session or a person to settle (the message says which)."""


def verification_query(plan: Plan, request_id: str, context: StepContext) -> etree._Element:
    """The query that finds a transfer's transaction, if QuickBooks holds it."""
    last = plan.last_date or plan.txn_date
    return build_request(
        f"{plan.txn}QueryRq",
        {
            "MaxReturned": VERIFY_MAX,
            "TxnDateRangeFilter": {"FromTxnDate": plan.txn_date, "ToTxnDate": last},
            _ENTITY_FILTERS.get(plan.txn, "EntityFilter"): {"FullName": plan.entity},
        },
        request_id=request_id,
        version=context.qbxml_version,
        include=KEPT_FIELDS,
    )


def holding(response: Response | None, external_guid: str) -> etree._Element | None:
    """The transaction carrying `external_guid` in the answer to `verification_query`, or
    None when QuickBooks does not hold it; Unsettled when the answer cannot say."""
    if response is None:
        raise Unsettled("QuickBooks did not answer the query that looks for it")
    if response.status.decision not in (status.OK, status.NO_MATCH):
        raise Unsettled(
            f"QuickBooks could not look for it: {response.status.code} {response.status.message}"
        )
    for ret in response.rets:
        if (ret.findtext("ExternalGUID") or "").upper() == external_guid:
            return ret
    if len(response.rets) >= VERIFY_MAX:
        raise Unsettled(
            f"QuickBooks holds {VERIFY_MAX} or more transactions of its customer, employee or "
            "vendor on its dates, too many to look through: find it there, then mark it "
            "transferred (or not transferred) by hand"
        )
    return None
