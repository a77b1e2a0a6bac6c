"""How the simulated QuickBooks request processor checks a message against the qbXML schema.

QuickBooks validates a whole message set before running any of it: an unknown element or
attribute, an element out of order, repeated or missing, a value of the wrong type or over its
maximum length makes the message fail with HRESULT 0x80040400 and no response at all. This
module reproduces that from `request-schema.json` and `request-attributes.json`, both rebuilt
from Intuit's official qbXML 13.0 schema: it reads the element tree and the attribute lists as
the engine does (one reading of the data), but the checks are its own, so the engine's builder
is tested against the data rather than against itself.

The data flattens xsd:choice: the members of a choice are marked required like elements that
really are. Where the data cannot tell the two apart this module does not guess; it enforces
what is unambiguous (see `_required`).
"""

from __future__ import annotations

import re

from lxml import etree

from engine.qbxml.schema import ElementSpec, attributes_of, request_spec, wrapper_of

PARSE_HRESULT = "0x80040400"
PARSE_MESSAGE = "QuickBooks found an error when parsing the provided XML text stream."

# Groups that may repeat although the schema data has no entry of their own for them.
REPEATABLE_GROUP = re.compile(r"(Line|LineGroup)(Add|Mod)$|^(DataExt|LinkToTxn)$")
ATTRIBUTE_VALUES = {
    "iterator": {"Start", "Continue", "Stop"},
    "metaData": {"NoMetaData", "MetaDataOnly", "MetaDataAndResponseData"},
}
# Required aggregates whose leaves are all optional, so the data carries no mark of them
# (SCHEMA-README.md beside the schema data, from the official schema).
REQUIRED_AGGREGATES = {
    "InvoiceAddRq": ("CustomerRef",),
    "BillAddRq": ("VendorRef",),
    "TimeTrackingAddRq": ("EntityRef",),
}
# In the official schema a query's id filters are always members of its top-level choice.
_ID_FILTERS = {"ListID", "TxnID", "FullName", "RefNumber", "RefNumberCaseSensitive"}

_TYPE_PATTERNS = {
    "DATETYPE": re.compile(r"^\d{4}-\d{2}-\d{2}$"),
    "DATETIMETYPE": re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2})?(Z|[+-]\d{2}:\d{2})?)?$"),
    "BOOLTYPE": re.compile(r"^(true|false|1|0)$"),
    "AMTTYPE": re.compile(r"^-?\d{0,13}(\.\d{1,2})?$"),
    "PRICETYPE": re.compile(r"^-?\d{0,13}(\.\d{1,5})?$"),
    "QUANTYPE": re.compile(r"^-?\d{0,13}(\.\d{1,5})?$"),
    "PERCENTTYPE": re.compile(r"^-?\d{0,3}(\.\d{1,5})?$"),
    "INTTYPE": re.compile(r"^-?\d{1,10}$"),
    "TIMEINTERVALTYPE": re.compile(r"^-?PT(?=\d)(\d+H)?(\d+M)?(\d+S)?$"),
    "FLOATTYPE": re.compile(r"^-?\d+(\.\d+)?([eE][-+]?\d+)?$"),
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
    if not request_name.endswith("Rq") or not attributes_of(request_name):
        return None  # not a request of the official qbXML 13.0 schema
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
    allowed = attributes_of(name)
    for attribute, value in rq.attrib.items():
        if attribute not in allowed:
            raise SchemaViolation(f"<{name}> does not take the attribute {attribute}")
        values = ATTRIBUTE_VALUES.get(str(attribute))
        if values is not None and value not in values:
            raise SchemaViolation(
                f"<{name}> {attribute} must be one of {', '.join(sorted(values))}"
            )
    iterator = rq.get("iterator")
    if iterator in ("Continue", "Stop") and not rq.get("iteratorID"):
        raise SchemaViolation(f"<{name}> iterator={iterator} needs an iteratorID")
    _check_children(rq, tree, version, name)
    _check_required(rq, tree, name)


def _check_required(rq: etree._Element, tree: ElementSpec, name: str) -> None:
    wrapper = wrapper_of(name)
    body = rq.find(wrapper) if wrapper else rq
    if body is None:
        raise SchemaViolation(f"<{name}> needs its <{wrapper}>")
    present = {child.tag for child in body if isinstance(child.tag, str)}
    spec = tree.children[wrapper] if wrapper else tree
    for needed in _required(name, spec, bool(wrapper)):
        if needed not in present:
            raise SchemaViolation(f"<{wrapper or name}> needs a <{needed}>")


def _required(name: str, body: ElementSpec, is_write: bool) -> list[str]:
    """The elements directly in a request's body that must be there. Unambiguous in the data:
    the aggregates the official schema requires although all their leaves are optional; in an
    add or mod, required leaves when the data marks at most two (a list add's Name, a mod's id
    and EditSequence, TimeTracking's Duration; where it marks more, some are the alternatives
    of a choice, as in DataExtAdd); in a query, the one required element that is not one of
    the id filters every query offers as alternatives (ListDeletedQuery's ListDelType)."""
    marked = [
        child.name
        for child in body.children.values()
        if child.is_leaf and child.rules is not None and not child.optional
    ]
    unambiguous = (
        len(marked) <= 2 if is_write else len(marked) == 1 and marked[0] not in _ID_FILTERS
    )
    return list(REQUIRED_AGGREGATES.get(name, ())) + (marked if unambiguous else [])


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
        if not child_spec.is_leaf:
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
