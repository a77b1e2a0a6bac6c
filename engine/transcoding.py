"""The event store's last guard: no event is written with text that cannot be kept.

Values are checked where they enter (`engine.text`); this catches whatever an entry point
missed, before anything is written: a command whose events hold a NUL, another control
character XML 1.0 refuses, a lone surrogate, U+FFFE or U+FFFF is refused as a whole. It reads
the JSON each event is encoded to once, so its cost is one scan of bytes about to be stored.
"""

from __future__ import annotations

import re
from typing import Any

from eventsourcing.persistence import JSONTranscoder

from engine.text import UnstorableText

# In the encoder's output (ensure_ascii off): raw surrogates, U+FFFE and U+FFFF, and the JSON
# escapes of C0 controls but tab, line feed and carriage return, where the backslash that
# starts them is not itself escaped.
_UNSTORABLE_JSON = re.compile(
    r"[\ud800-\udfff\ufffe\uffff]|(?<!\\)(?:\\\\)*\\(?:[bf]|u00(?:0[0-8bcefBCEF]|1[0-9a-fA-F]))"
)


# Substrings every unstorable value leaves in the encoded text; finding none (the usual case)
# takes a few fast scans, and only then the precise pattern runs.
_TELLTALES = ("\\u00", "\\b", "\\f", "\ufffe", "\uffff")


class StorableJSONTranscoder(JSONTranscoder):
    """eventsourcing's JSON transcoder, refusing what the store or qbXML cannot hold."""

    def encode(self, obj: Any) -> bytes:
        text = self.encoder.encode(obj)
        if any(telltale in text for telltale in _TELLTALES):
            match = _UNSTORABLE_JSON.search(text)
            if match is not None:
                raise _refusal(match.group())
        try:
            return text.encode("utf8")
        except UnicodeEncodeError as exc:  # a lone surrogate
            raise _refusal(exc.object[exc.start : exc.end]) from None


def _refusal(found: str) -> UnstorableText:
    return UnstorableText(
        "a value holds a character that cannot be stored "
        f"({found[-6:]!r} in the encoded event); nothing was changed"
    )
