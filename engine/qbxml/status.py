"""The one place that turns a QuickBooks status code into a decision.

Ranges (Intuit's status code appendix): 0-499 info, 500-999 warnings, 1000 and up errors. Codes
1-999 are not failures: 1 is an empty query result, 500 a partly completed one.
"""

from __future__ import annotations

from dataclasses import dataclass

OK = "ok"  # the request did what was asked (0, and 2-499 info)
NO_MATCH = "no_match"  # a query found nothing (1): an empty answer, not an error
WARNING = "warning"  # done, with something to look at (500-999)
RETRY_LATER = "retry_later"  # a lock or a busy list; the next run may succeed
RESTART_ITERATOR = "restart_iterator"  # the iterator expired (3391): start the query again
REQUERY = "requery"  # stale EditSequence (3200): re-read the record, then modify it
UNSUPPORTED = "unsupported"  # this edition or version cannot do it (1030, 3250): skip it
FAILED = "failed"  # the data or the request is wrong; it will fail again as it is

LOCK_CODES = frozenset({3170, 3175, 3176, 3180})


@dataclass(frozen=True)
class Status:
    """statusCode, statusSeverity and statusMessage of one response."""

    code: int
    severity: str = ""
    message: str = ""

    @property
    def decision(self) -> str:
        return decide(self.code)

    @property
    def is_error(self) -> bool:
        return self.code >= 1000


def decide(code: int) -> str:
    """What a status code means for the request that got it."""
    if code == 1:
        return NO_MATCH
    if code < 500:
        return OK
    if code < 1000:
        return WARNING
    if code in LOCK_CODES or code == 1000:
        return RETRY_LATER
    if code == 3391:
        return RESTART_ITERATOR
    if code == 3200:
        return REQUERY
    if code in (1030, 3250):
        return UNSUPPORTED
    return FAILED


# HRESULTs QuickBooks' request processor raises instead of answering (qbwc-protocol.md §7.1).
_HRESULT_MEANINGS = {
    "0x80040400": "QuickBooks could not parse the request (bad qbXML)",
    "0x80040401": "QuickBooks could not be accessed",
    "0x80040402": "QuickBooks had an unexpected error (see qbsdklog.txt)",
    "0x80040403": "the company file could not be opened",
    "0x80040408": "QuickBooks could not start: open it, or allow access even when it is not "
    "running",
    "0x8004040A": "a different company file is open in QuickBooks",
    "0x80040410": "the company file is open in the other single-user/multi-user mode",
    "0x80040414": "a dialog is open in QuickBooks",
    "0x80040418": "this application has not been authorised for the company file yet",
    "0x8004041A": "this application has no permission to access the company file",
    "0x80040420": "the QuickBooks user denied access",
    "0x80040422": "the application needs single-user mode, but another application shares the file",
    "0x80040424": "QuickBooks has not finished starting; try again",
}


HRESULT_MEANINGS = {key.lower(): value for key, value in _HRESULT_MEANINGS.items()}


def explain_hresult(hresult: str, message: str) -> str:
    """A person's reading of an HRESULT from QBWC."""
    meaning = HRESULT_MEANINGS.get((hresult or "").strip().lower())
    text = f"{hresult}: {message}".strip(": ")
    return f"{text} ({meaning})" if meaning else text
