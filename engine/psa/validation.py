"""Checking an import file: the JSON Schema first, then what a schema cannot say (references,
real dates, duplicates, approval before transfer, quantities QuickBooks refuses). Every problem
names its record and field."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from engine.errors import InvalidValue
from engine.kinds import TransferKind
from engine.psa import DOCUMENT_KINDS, FORMAT, KINDS, REFERENCES, schema
from engine.text import excerpt, unstorable, walk_strings


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one record of an import file."""

    kind: str  # TransferKind.INVOICES, or "file" for the file as a whole
    psa_id: str | None
    field: str
    message: str

    @property
    def record(self) -> str:
        if self.psa_id is None:
            return self.kind
        shown = self.psa_id
        if len(shown) > 64 or unstorable(shown) is not None:
            shown = excerpt(shown)
        return f"{self.kind}/{shown}"

    def as_dict(self) -> dict[str, str]:
        return {"record": self.record, "field": self.field, "message": self.message}

    def __str__(self) -> str:
        where = f"{self.record} {self.field}".strip()
        return f"{where}: {self.message}"


def text_problems(data: dict[str, Any]) -> list[Problem]:
    """Values that cannot be stored (NUL and other characters XML 1.0 refuses, lone
    surrogates), named by record and field; a document nested too deep is refused whole."""
    problems = []
    try:
        for path, text in walk_strings(data):
            problem = unstorable(text)
            if problem is None:
                continue
            kind, psa_id, field = _locate(data, path)
            message = f"holds a character that cannot be stored ({problem}): {excerpt(text)}"
            problems.append(Problem(kind, psa_id, field, message))
    except InvalidValue as exc:
        return [Problem("file", None, "", exc.message)]
    return problems


def _locate(data: dict[str, Any], path: str) -> tuple[str, str | None, str]:
    """(TransferKind.INVOICES, "INV-1", "lines[0].desc") for "invoices[3].lines[0].desc"."""
    head, _, rest = path.partition("[")
    if head in KINDS and rest and "]" in rest:
        index_text, _, field = rest.partition("]")
        records = data.get(head)
        if index_text.isdecimal() and isinstance(records, list):
            record = records[int(index_text)]
            psa_id = record.get("id") if isinstance(record, dict) else None
            shown = psa_id if isinstance(psa_id, str) else f"#{int(index_text) + 1}"
            return head, shown, field.lstrip(".") or "id"
    return "file", None, path


def schema_problems(data: Any) -> list[Problem]:
    """Everything the JSON Schema finds, named by record id and field path."""
    from jsonschema import Draft202012Validator  # only imports need it: keep it out of serve

    problems = []
    validator = Draft202012Validator(schema())
    for error in validator.iter_errors(data):
        path = list(error.absolute_path)
        kind, psa_id, field = "file", None, ""
        if path and path[0] in KINDS and len(path) >= 2 and isinstance(path[1], int):
            kind = path[0]
            record = data[kind][path[1]]
            psa_id = (
                str(record.get("id", f"#{path[1] + 1}"))
                if isinstance(record, dict)
                else f"#{path[1] + 1}"
            )
            field = _field_path(path[2:])
        elif path:
            field = _field_path(path)
        field, message = _describe(error, field)
        problems.append(Problem(kind, psa_id, field, message))
    return problems


def _field_path(parts: list[Any]) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _describe(error: Any, field: str) -> tuple[str, str]:
    pattern = error.schema.get("pattern", "") if isinstance(error.schema, dict) else ""
    if error.validator == "required":
        missing = error.message.split("'")[1]
        return (f"{field}.{missing}" if field else missing), "is required"
    if error.validator == "additionalProperties":
        extra = error.message.split("'")[1]
        return (
            f"{field}.{extra}" if field else extra
        ), "is not part of the qbtransfer-psa/1 format"
    if error.validator == "pattern" and "0-9]{4}-" in pattern:
        return field, f"{excerpt(error.instance)} is not a date (use YYYY-MM-DD)"
    if error.validator == "pattern" and "(\\.[0-9]" in pattern:
        return field, (
            f"{excerpt(error.instance)} is not a decimal number (write money and quantities "
            'as strings such as "12.50")'
        )
    if error.validator == "const" and field == "format":
        return field, f"must be {FORMAT!r}"
    if (
        error.validator == "type"
        and error.validator_value == "string"
        and isinstance(error.instance, (int, float))
    ):
        return field, (
            f"{excerpt(error.instance)} is a number; write money, quantities and ids as strings"
        )
    message = error.message
    if len(message) > 160 or unstorable(message) is not None:
        # jsonschema's own words quote the whole value: quote an excerpt instead.
        message = message.replace(repr(error.instance), excerpt(error.instance))
        if len(message) > 160 or unstorable(message) is not None:
            message = f"{excerpt(error.instance)} is not valid here ({error.validator})"
    return field, message


def record_problems(
    kind: str, record: dict[str, Any], known: Callable[[str, str], bool]
) -> list[Problem]:
    """What the schema cannot check about one (schema-valid) record."""
    psa_id = record["id"]
    problems = [Problem(kind, psa_id, f, m) for f, m in _dates(record)]
    for path, target in REFERENCES.get(kind, []):
        for field, value in _values(record, path):
            if value is not None and not known(target, value):
                problems.append(
                    Problem(
                        kind, psa_id, field, f"unknown {KINDS[target].singular} {excerpt(value)}"
                    )
                )
    if kind in DOCUMENT_KINDS:
        problems += [Problem(kind, psa_id, f, m) for f, m in _document_rules(kind, record)]
    return problems


def _values(record: dict[str, Any], path: str) -> Iterator[tuple[str, Any]]:
    if "[]." in path:
        list_name, field = path.split("[].")
        for index, item in enumerate(record.get(list_name) or []):
            yield f"{list_name}[{index}].{field}", item.get(field)
    else:
        yield path, record.get(path)


def _dates(record: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, str]]:
    """Dates that match YYYY-MM-DD but do not exist (2026-02-30)."""
    for key, value in record.items():
        if isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, dict):
                    yield from _dates(item, f"{prefix}{key}[{index}].")
        elif isinstance(value, str) and (
            key.endswith("date") or key in ("period_start", "period_end")
        ):
            try:
                date.fromisoformat(value)
            except ValueError:
                yield f"{prefix}{key}", f"{value!r} is not a real date"


def _document_rules(kind: str, record: dict[str, Any]) -> Iterator[tuple[str, str]]:
    ready = record.get("ready_to_transfer", False)
    if (
        kind in (TransferKind.TIMESHEETS, TransferKind.EXPENSE_REPORTS)
        and ready
        and record.get("status") != "approved"
    ):
        yield (
            "ready_to_transfer",
            f"marked ready but {record.get('status')}: only approved "
            f"{KINDS[kind].singular}s can be transferred",
        )
    if kind == TransferKind.PURCHASE_ORDERS and ready and record.get("status") == "canceled":
        yield "ready_to_transfer", "canceled purchase orders are not transferred"
    if kind == TransferKind.TIMESHEETS:
        start, end = record["period_start"], record["period_end"]
        if end < start:
            yield "period_end", "is before period_start"
        for index, entry in enumerate(record.get("entries", [])):
            if Decimal(entry["hours"]) < 0:
                yield f"entries[{index}].hours", "QuickBooks does not take negative time"
            if not start <= entry["date"] <= end:
                yield f"entries[{index}].date", f"{entry['date']} is outside the period"
    if kind == TransferKind.PURCHASE_ORDERS:
        ordered = set()
        for index, line in enumerate(record.get("lines", [])):
            ordered.add(line["product_id"])
            if Decimal(line["quantity"]) <= 0:
                yield f"lines[{index}].quantity", "a purchase order line needs a positive quantity"
            if Decimal(line.get("unit_cost", "0")) < 0:
                yield f"lines[{index}].unit_cost", "a cost cannot be negative"
        for index, received in enumerate(record.get("received", [])):
            if Decimal(received["quantity"]) < 0:
                yield f"received[{index}].quantity", "a received quantity cannot be negative"
            if received["product_id"] not in ordered:
                yield (
                    f"received[{index}].product_id",
                    f"product {received['product_id']!r} is not on this purchase order",
                )
    if kind == TransferKind.EXPENSE_REPORTS and Decimal(record.get("cash_advance", "0")) < 0:
        yield "cash_advance", "a cash advance cannot be negative"
