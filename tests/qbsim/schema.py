"""How the simulated QuickBooks request processor checks a message against the qbXML schema.

QuickBooks validates a whole message set before running any of it: an unknown element, an
element out of order, a value of the wrong type or over its maximum length makes the message
fail with HRESULT 0x80040400 and no response at all. This module reproduces that from
`request-schema.json`: it reads the element tree as the engine does (one reading of the data),
but the checks are its own, so the engine's builder is tested against the data rather than
against itself.
"""

from __future__ import annotations

import re

from lxml import etree

from engine.qbxml.schema import ElementSpec, request_spec

PARSE_HRESULT = "0x80040400"
PARSE_MESSAGE = "QuickBooks found an error when parsing the provided XML text stream."

# Groups that may repeat although the flattened schema data carries no flag for groups.
REPEATABLE_GROUP = re.compile(r"(Line|LineGroup)(Add|Mod)$|^(DataExt|LinkToTxn)$")
RQ_ATTRIBUTES = {"requestID", "iterator", "iteratorID", "metaData"}
# Singleton and configuration queries refuse iterators (qbwc-protocol.md §6.4).
NO_ITERATOR = {
    "HostQueryRq",
    "CompanyQueryRq",
    "PreferencesQueryRq",
    "TermsQueryRq",
    "DataExtDefQueryRq",
    "TemplateQueryRq",
    "WorkersCompCodeQueryRq",
    "ListDeletedQueryRq",
    "TxnDeletedQueryRq",
}

_TYPE_PATTERNS = {
    "DATETYPE": re.compile(r"^\d{4}-\d{2}-\d{2}$"),
    "DATETIMETYPE": re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2})?(Z|[+-]\d{2}:\d{2})?)?$"),
    "BOOLTYPE": re.compile(r"^(true|false|1|0)$"),
    "AMTTYPE": re.compile(r"^-?\d{0,13}(\.\d{1,2})?$"),
    "PRICETYPE": re.compile(r"^-?\d{0,13}(\.\d{1,5})?$"),
    "QUANTYPE": re.compile(r"^-?\d{0,13}(\.\d{1,5})?$"),
    "PERCENTTYPE": re.compile(r"^-?\d{0,3}(\.\d{1,5})?$"),
    "INTTYPE": re.compile(r"^-?\d{1,10}$"),
    "DURATIONTYPE": re.compile(r"^-?PT(\d+H)?(\d+M)?(\d+S)?$"),
    "GUIDTYPE": re.compile(r"^(0|\{[0-9A-Fa-f-]{36}\})$"),
    "IDTYPE": re.compile(r"^[0-9A-Za-z-]{1,36}$"),
}


class SchemaViolation(Exception):
    """The request processor rejected the message; `detail` says why (for logs and tests)."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


def request_tree(request_name: str) -> ElementSpec | None:
    """The element tree of `request_name` (e.g. "InvoiceAddRq"), or None if unknown. The tree
    is read from the schema data the same way the engine reads it; what is checked against it
    (order, types, lengths) is this module's own."""
    if not request_name.endswith("Rq"):
        return None
    try:
        return request_spec(request_name)
    except KeyError:
        return None


def check_request(rq: etree._Element, version: float) -> None:
    """Raise SchemaViolation if `rq` (one *Rq element) breaks the schema."""
    name = etree.QName(rq).localname
    tree = request_tree(name)
    if tree is None:
        raise SchemaViolation(f"unknown request <{name}>")
    unknown = set(rq.attrib) - RQ_ATTRIBUTES
    if unknown:
        raise SchemaViolation(f"<{name}> has unknown attribute {sorted(unknown)[0]}")
    iterator = rq.get("iterator")
    if iterator not in (None, "Start", "Continue", "Stop"):
        raise SchemaViolation(f"<{name}> iterator must be Start, Continue or Stop")
    if iterator is not None and (name in NO_ITERATOR or not name.endswith("QueryRq")):
        raise SchemaViolation(f"<{name}> does not take an iterator")
    if iterator in ("Continue", "Stop") and not rq.get("iteratorID"):
        raise SchemaViolation(f"<{name}> iterator={iterator} needs an iteratorID")
    _check_children(rq, tree, version, name)


def _check_children(element: etree._Element, spec: ElementSpec, version: float, where: str) -> None:
    last_index = -1
    last_name = None
    for child in element:
        if not isinstance(child.tag, str):
            continue
        name = child.tag
        path = f"{where}/{name}"
        index = spec.position(name)
        if index is None:
            raise SchemaViolation(f"unknown element <{name}> in {where}")
        child_spec = spec.children[name]
        if child_spec.since is not None and version < child_spec.since:
            raise SchemaViolation(
                f"<{name}> needs qbXML {child_spec.since:g}, the message is {version}"
            )
        if index < last_index:
            raise SchemaViolation(f"<{name}> is out of order in {where} (after <{last_name}>)")
        if index == last_index and not _repeatable(child_spec):
            raise SchemaViolation(f"<{name}> appears twice in {where}")
        last_index, last_name = index, name
        if child_spec.children:
            if child.text and child.text.strip():
                raise SchemaViolation(f"{path} holds text where elements belong")
            _check_children(child, child_spec, version, path)
        else:
            _check_value(child, child_spec, path)


def _repeatable(spec: ElementSpec) -> bool:
    if spec.rules is not None:
        return spec.repeatable
    return bool(REPEATABLE_GROUP.search(spec.name))


def _check_value(element: etree._Element, element_spec: ElementSpec, path: str) -> None:
    if len(element):
        raise SchemaViolation(f"{path} must not contain elements")
    spec = element_spec.rules or {}
    text = element.text or ""
    limit = spec.get("max_length")
    if limit is not None and len(text) > limit:
        raise SchemaViolation(f"{path} is {len(text)} characters, more than its maximum {limit}")
    kind = spec.get("type")
    pattern = _TYPE_PATTERNS.get(kind or "")
    if pattern is not None and not pattern.match(text.strip()):
        raise SchemaViolation(f"{path} value {text!r} is not a valid {kind}")
    values = spec.get("values")
    if kind == "ENUMTYPE" and values and text not in values:
        raise SchemaViolation(f"{path} value {text!r} is not one of {', '.join(values)}")
