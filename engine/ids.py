"""Ids as people type them: in full, without dashes, or by an unambiguous prefix of at least
four characters (as git takes commit ids)."""

from __future__ import annotations

from collections.abc import Iterable

from engine.errors import InvalidValue, NotFound
from engine.text import excerpt

MIN_PREFIX = 4
HEX = set("0123456789abcdef-")


def looks_like_prefix(ref: str) -> bool:
    """Whether `ref` could be the start of an id (hex digits and dashes, long enough)."""
    ref = ref.strip().lower()
    return len(ref) >= MIN_PREFIX and set(ref) <= HEX


def match_id(ref: str, ids: Iterable[str], what: str) -> str | None:
    """The one id of `ids` that `ref` names (in full, without dashes, or by prefix); None when
    none does; refuses an ambiguous prefix, naming what it could be."""
    wanted = ref.strip().lower()
    compact = wanted.replace("-", "")
    candidates = list(ids)
    for candidate in candidates:
        if wanted == candidate.lower() or compact == candidate.lower().replace("-", ""):
            return candidate
    if not looks_like_prefix(wanted):
        return None
    found = [c for c in candidates if c.lower().replace("-", "").startswith(compact)]
    if len(found) > 1:
        shown = ", ".join(sorted(found)[:3]) + (", ..." if len(found) > 3 else "")
        raise InvalidValue(
            f"{excerpt(ref)} is the start of {len(found)} {what} ids ({shown}); give more of it"
        )
    return found[0] if found else None


def require_id(ref: str, ids: Iterable[str], what: str) -> str:
    """As `match_id`, refusing a ref that names nothing."""
    found = match_id(ref, ids, what)
    if found is None:
        raise NotFound(f"no {what} {excerpt(ref)}")
    return found
