"""How the simulated QuickBooks request processor checks a message against the qbXML schema.

QuickBooks validates a whole message set before running any of it: an unknown element, an
element out of order, a value of the wrong type or over its maximum length makes the message
fail with HRESULT 0x80040400 and no response at all. This module reproduces that from
`request-schema.json`, independently of the engine's builder, so the builder is tested against
the data rather than against itself.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache

from lxml import etree

from engine.qbxml import SCHEMA_PATH

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


@dataclass
class Node:
    """One element of a request: its place among its siblings and, for leaves, its rules."""

    name: str
    index: int
    spec: dict | None = None
    children: dict[str, Node] = field(default_factory=dict)

    def child(self, name: str) -> Node:
        if name not in self.children:
            self.children[name] = Node(name, len(self.children))
        return self.children[name]


@cache
def schema_data() -> dict:
    """The request schema, as shipped with the engine."""
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


@cache
def request_tree(request_name: str) -> Node | None:
    """The element tree of `request_name` (e.g. "InvoiceAddRq"), or None if unknown."""
    entry = schema_data().get(request_name)
    if entry is None or not request_name.endswith("Rq"):
        return None
    root = Node(request_name, 0)
    wrapper = entry.get("wrapper") or ""
    body = root.child(wrapper) if wrapper else root
    for element in entry["elements"]:
        path = element["path"]
        if path == wrapper:
            continue  # a marker the data carries for the wrapper itself
        # IncludeRetElement is always a sibling of the *Add/*Mod wrapper, never inside it.
        outside = element.get("outside_wrapper") or (wrapper and path == "IncludeRetElement")
        node = root if outside else body
        for part in path.split(" "):
            node = node.child(part)
        if element.get("type") is not None:
            node.spec = element
    return root


def version_number(version: str) -> float:
    """'13.0' -> 13.0; locale prefixes such as 'CA3.0' are ignored."""
    match = re.search(r"(\d+(?:\.\d+)?)", version or "")
    return float(match.group(1)) if match else 0.0


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


def _check_children(element: etree._Element, node: Node, version: float, where: str) -> None:
    last_index = -1
    last_name = None
    for child in element:
        if not isinstance(child.tag, str):
            continue
        name = child.tag
        path = f"{where}/{name}"
        spec_node = node.children.get(name)
        if spec_node is None:
            raise SchemaViolation(f"unknown element <{name}> in {where}")
        since = (spec_node.spec or {}).get("since")
        if since is not None and version < float(since):
            raise SchemaViolation(f"<{name}> needs qbXML {since}, the message is {version}")
        if spec_node.index < last_index:
            raise SchemaViolation(f"<{name}> is out of order in {where} (after <{last_name}>)")
        if spec_node.index == last_index and not _repeatable(spec_node):
            raise SchemaViolation(f"<{name}> appears twice in {where}")
        last_index, last_name = spec_node.index, name
        if spec_node.children:
            if child.text and child.text.strip():
                raise SchemaViolation(f"{path} holds text where elements belong")
            _check_children(child, spec_node, version, path)
        else:
            _check_value(child, spec_node, path)


def _repeatable(node: Node) -> bool:
    if node.spec is not None:
        return bool(node.spec.get("repeatable"))
    return bool(REPEATABLE_GROUP.search(node.name))


def _check_value(element: etree._Element, node: Node, path: str) -> None:
    if len(element):
        raise SchemaViolation(f"{path} must not contain elements")
    spec = node.spec or {}
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
