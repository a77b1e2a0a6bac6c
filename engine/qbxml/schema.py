"""The qbXML request schema as a tree: each request's elements in the order QuickBooks demands,
with their types, length limits and occurrence, from `request-schema.json`, and the attributes
each request accepts, from `request-attributes.json` (both rebuilt from Intuit's official
qbXML 13.0 schema; `SCHEMA-README.md` beside them says how)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from engine.qbxml import ATTRIBUTES_PATH, SCHEMA_PATH


@dataclass
class ElementSpec:
    """One element of a request: its children in schema order, or its leaf rules."""

    name: str
    rules: dict[str, Any] | None = None
    children: dict[str, ElementSpec] = field(default_factory=dict)

    @property
    def max_length(self) -> int | None:
        return (self.rules or {}).get("max_length")

    @property
    def since(self) -> float | None:
        since = (self.rules or {}).get("since")
        return float(since) if since is not None else None

    @property
    def repeatable(self) -> bool:
        return bool((self.rules or {}).get("repeatable"))

    @property
    def optional(self) -> bool:
        """False where the schema data marks the element required. The data flattens
        xsd:choice, so the members of a choice are marked required too."""
        return bool((self.rules or {"optional": True}).get("optional"))

    @property
    def is_leaf(self) -> bool:
        return not self.children

    def position(self, name: str) -> int | None:
        """Where a child element stands among its siblings, or None if it is not one."""
        return list(self.children).index(name) if name in self.children else None

    def add(self, name: str) -> ElementSpec:
        return self.children.setdefault(name, ElementSpec(name))


@cache
def _data() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


@cache
def request_spec(request_name: str) -> ElementSpec:
    """The tree of `request_name` (e.g. "CustomerQueryRq"); KeyError if the schema lacks it."""
    entry = _data()[request_name]
    root = ElementSpec(request_name)
    wrapper = entry.get("wrapper") or ""
    body = root.add(wrapper) if wrapper else root
    for element in entry["elements"]:
        path = element["path"]
        if path == wrapper:
            continue  # the data repeats the wrapper itself as a marker
        # IncludeRetElement sits beside the *Add/*Mod wrapper, never inside it.
        outside = element.get("outside_wrapper") or (wrapper and path == "IncludeRetElement")
        node = root if outside else body
        for part in path.split(" "):
            node = node.add(part)
        node.rules = element  # a group's entry carries its occurrence, a leaf's its type too
    return root


@cache
def _attributes() -> dict[str, frozenset[str]]:
    data = json.loads(ATTRIBUTES_PATH.read_text(encoding="utf-8"))
    return {name: frozenset(names) for name, names in data.items()}


def attributes_of(request_name: str) -> frozenset[str]:
    """The attributes the official schema allows on `request_name` (requestID, and for some
    queries iterator, iteratorID and metaData); empty for a request it does not know."""
    return _attributes().get(request_name, frozenset())


def takes_iterator(request_name: str) -> bool:
    """Whether QuickBooks pages `request_name` with iterator="Start"/"Continue". Only 46
    queries do; an iterator on any other request makes QuickBooks reject the whole message."""
    return "iterator" in attributes_of(request_name)


def request_names() -> list[str]:
    """Every request the schema data describes."""
    return sorted(name for name in _data() if name.endswith("Rq"))


def wrapper_of(request_name: str) -> str:
    """The element that wraps a request's body ("InvoiceAdd" in "InvoiceAddRq"), or ""."""
    return _data()[request_name].get("wrapper") or ""


def max_length(request_name: str, path: str) -> int | None:
    """The length limit of an element, by its space-separated path inside the wrapper."""
    node = request_spec(request_name)
    wrapper = wrapper_of(request_name)
    for part in ([wrapper] if wrapper else []) + path.split(" "):
        node = node.children[part]
    return node.max_length


def version_number(version: str) -> float:
    """'13.0' -> 13.0 (locale prefixes such as 'CA' are ignored)."""
    match = re.search(r"\d+(?:\.\d+)?", version or "")
    return float(match.group(0)) if match else 0.0
