"""Text from outside: what may be stored, and how a refusal quotes it.

Every value that reaches an event ends up in JSON, in the event store (PostgreSQL text cannot
hold U+0000), in read models, and in qbXML sent to QuickBooks (XML 1.0 cannot carry most
control characters, lone surrogates, U+FFFE or U+FFFF). Such characters are refused where the
value enters, with the field named; and a refusal quotes at most a short, marked excerpt of
what it refuses, so an answer never echoes an unbounded value.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from typing import Any

from engine.errors import InvalidValue

# What XML 1.0 and PostgreSQL text refuse: C0 controls but tab, line feed and carriage return;
# lone surrogates (Python's stand-in for bytes that were not UTF-8); U+FFFE and U+FFFF.
_UNSTORABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
EXCERPT = 80  # characters quoted from a refused value (ids are at most 64)
MAX_DEPTH = 32  # nesting of JSON documents from outside


class UnstorableText(InvalidValue):
    """A value holds a character that cannot be stored or sent to QuickBooks."""


def unstorable(value: str) -> str | None:
    """How the first unstorable character of `value` looks ("U+0000 at position 5"), or None."""
    match = _UNSTORABLE.search(value)
    if match is None:
        return None
    return f"U+{ord(match.group()):04X} at position {match.start() + 1}"


SECRET_FIELDS = frozenset({"password"})  # never quoted, not even in part


def check_text(value: str, field: str, *, secret: bool = False) -> str:
    """`value` itself when it can be stored; UnstorableText naming `field` otherwise (quoting
    an excerpt of the value, unless it is a `secret`)."""
    problem = unstorable(value)
    if problem is not None:
        shown = "" if secret else f": {excerpt(value)}"
        raise UnstorableText(f"{field} holds a character that cannot be stored ({problem}){shown}")
    return value


def excerpt(value: Any, limit: int = EXCERPT) -> str:
    """A short, quoted, printable excerpt of `value` for a message, marked when it was cut."""
    text = value if isinstance(value, str) else repr(value)
    shown = _escaped(text[:limit]).replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")
    if len(text) > limit:
        return f"'{shown}…' ({len(text)} characters)"
    return f"'{shown}'"


MAX_MESSAGE = 500  # characters of an error message any way out prints


def brief(message: str) -> str:
    """An error message as it leaves: at most MAX_MESSAGE characters, printable, marked when
    cut (values inside are quoted as excerpts already; this is the net below them)."""
    return _escaped(message[:MAX_MESSAGE]) + ("… (cut)" if len(message) > MAX_MESSAGE else "")


def bounded(value: str, limit: int) -> str:
    """`value` when it is short enough to keep, else its first `limit` characters and a digest
    of the whole, so a record of it stays small and still tells values apart. Unstorable
    characters are written as escapes: this is for recording what was refused."""
    if len(value) <= limit and unstorable(value) is None:
        return value
    digest = hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return f"{_escaped(value[:limit])}… [{len(value)} characters, sha256 {digest}]"


def _escaped(text: str) -> str:
    """`text` with each unstorable character written as a \\uXXXX escape."""
    return _UNSTORABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def walk_strings(data: Any, where: str = "") -> Iterator[tuple[str, str]]:
    """Every string of a JSON-like document, keys included, with where it stands
    ("lines[1].billing_code_id"); InvalidValue when it nests deeper than MAX_DEPTH."""
    stack: list[tuple[Any, str, int]] = [(data, where, 0)]
    while stack:
        value, path, depth = stack.pop()
        if depth >= MAX_DEPTH:  # the outermost value is level 1
            raise InvalidValue(f"{path or 'the document'} nests deeper than {MAX_DEPTH} levels")
        if isinstance(value, str):
            yield path or "value", value
        elif isinstance(value, dict):
            for key, item in value.items():
                key_text = str(key)
                plain = len(key_text) <= EXCERPT and not unstorable(key_text)
                label = key_text if plain else excerpt(key_text)
                child = f"{path}.{label}" if path else label
                yield f"{child} (the name)", key_text
                stack.append((item, child, depth + 1))
        elif isinstance(value, (list, tuple)):
            for index, item in enumerate(value):
                stack.append((item, f"{path}[{index}]", depth + 1))


def check_document(data: Any, where: str = "") -> Any:
    """`data` itself when every string in it can be stored and it nests at most MAX_DEPTH
    levels; the first problem as an InvalidValue otherwise."""
    for path, text in walk_strings(data, where):
        check_text(text, path, secret=path.rsplit(".", 1)[-1] in SECRET_FIELDS)
    return data


def parse_json(data: bytes | str, what: str) -> Any:
    """A JSON document from outside (UTF-8 bytes or text); InvalidValue saying what is wrong
    when it is not UTF-8, not JSON, or nested too deep to read (its text is the caller's to
    check: `check_document`, or the import's own report)."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidValue(
                f"{what} is not UTF-8 text (byte 0x{data[exc.start]:02x} at position "
                f"{exc.start + 1})"
            ) from None
    try:
        return json.loads(data)
    except json.JSONDecodeError as exc:
        raise InvalidValue(
            f"{what} is not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    except RecursionError:
        raise InvalidValue(f"{what} nests deeper than {MAX_DEPTH} levels") from None
