"""The one qbXML builder: request data in, schema-ordered, length-checked XML out.

A request is a dict (nested dicts for groups, lists for repeated elements) handed to
`build_request`, which walks the request's schema in order, so elements always come out in the
sequence QuickBooks requires whatever order the dict has. Adding a request type means adding
data, not a template.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from lxml import etree

from engine.qbxml.schema import (
    ElementSpec,
    attributes_of,
    request_spec,
    version_number,
    wrapper_of,
)

MAX_REQUEST_ID = 50  # QuickBooks answers status 1060 above this


class QbxmlBuildError(ValueError):
    """Request data that cannot become valid qbXML (a bug in the caller, or bad data)."""


class ValueTooLong(QbxmlBuildError):
    """A value longer than QuickBooks accepts for its element."""

    def __init__(self, path: str, limit: int, value: str) -> None:
        super().__init__(f"{path} {value!r} is {len(value)} characters; QuickBooks allows {limit}")
        self.path, self.limit, self.value = path, limit, value


def build_request(
    name: str,
    data: Mapping[str, Any],
    *,
    request_id: str,
    version: str,
    iterator: str | None = None,
    iterator_id: str | None = None,
    include: list[str] | None = None,
) -> etree._Element:
    """One `*Rq` element. For add/mod requests `data` is the wrapper's body. An attribute the
    request does not accept (an iterator on AccountQueryRq, say) is refused like an unknown
    element: QuickBooks would reject the whole message set."""
    if len(request_id) > MAX_REQUEST_ID:
        raise QbxmlBuildError(f"requestID {request_id!r} is longer than {MAX_REQUEST_ID}")
    allowed = attributes_of(name)  # empty for a request the official schema lacks
    try:
        spec = request_spec(name) if allowed else None
    except KeyError:
        spec = None
    if spec is None:
        raise QbxmlBuildError(f"the qbXML 13.0 schema has no request {name}")
    given = {"requestID": request_id, "iterator": iterator, "iteratorID": iterator_id}
    attributes = {key: value for key, value in given.items() if value is not None}
    refused = sorted(set(attributes) - allowed)
    if refused:
        raise QbxmlBuildError(
            f"{name} has no attribute {refused[0]!r} in the schema "
            f"(it accepts {', '.join(sorted(allowed))})"
        )
    rq = etree.Element(name, attributes)
    wrapper = wrapper_of(name)
    body: dict[str, Any] = {wrapper: dict(data)} if wrapper else dict(data)
    if include:
        body["IncludeRetElement"] = list(include)
    _fill(rq, spec, body, name, version_number(version))
    return rq


def build_message(
    requests: list[etree._Element],
    *,
    version: str,
    on_error: str = "stopOnError",
    new_message_set_id: str | None = None,
    old_message_set_id: str | None = None,
) -> str:
    """A complete qbXML request document holding `requests`, ready for sendRequestXML."""
    root = etree.Element("QBXML")
    msgs = etree.SubElement(root, "QBXMLMsgsRq", onError=on_error)
    if new_message_set_id is not None:
        msgs.set("newMessageSetID", new_message_set_id)
    if old_message_set_id is not None:
        msgs.set("oldMessageSetID", old_message_set_id)
    for rq in requests:
        msgs.append(rq)
    return (
        f'<?xml version="1.0" encoding="utf-8"?>\n<?qbxml version="{version}"?>\n'
        + etree.tostring(root, encoding="unicode")
    )


def _fill(
    parent: etree._Element, spec: ElementSpec, data: Mapping[str, Any], path: str, version: float
) -> None:
    unknown = set(data) - set(spec.children)
    if unknown:
        raise QbxmlBuildError(f"{path} has no element {sorted(unknown)[0]!r} in the schema")
    for name, child in spec.children.items():
        if name not in data or data[name] is None:
            continue
        if child.since is not None and version < child.since:
            raise QbxmlBuildError(f"{path}/{name} needs qbXML {child.since}, not {version}")
        values = data[name] if isinstance(data[name], list) else [data[name]]
        if len(values) > 1 and child.rules is not None and not child.repeatable:
            raise QbxmlBuildError(f"{path}/{name} cannot repeat")
        for value in values:
            element = etree.SubElement(parent, name)
            if child.children:
                if not isinstance(value, Mapping):
                    raise QbxmlBuildError(f"{path}/{name} is a group; give it a dict")
                _fill(element, child, value, f"{path}/{name}", version)
            else:
                element.text = _text(value, child, f"{path}/{name}")


def _text(value: Any, spec: ElementSpec, path: str) -> str:
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, Decimal):
        text = format(value, "f")
    elif isinstance(value, datetime):
        text = value.isoformat(timespec="seconds")
    elif isinstance(value, (date, int, str)):
        text = value.isoformat() if isinstance(value, date) else str(value)
    else:
        raise QbxmlBuildError(f"{path}: cannot write a {type(value).__name__}")
    limit = spec.max_length
    if limit is not None and len(text) > limit:
        raise ValueTooLong(path, limit, text)
    return text
