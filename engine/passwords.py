"""Password hashing and the account's password rules.

Hashes come from werkzeug's scrypt helpers (a Flask dependency already). Neither passwords nor
hashes ever leave this module in messages: every refusal says what rule failed, never the value.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string
import threading
import time
from collections import OrderedDict

from werkzeug.security import check_password_hash, generate_password_hash

from engine.errors import InvalidValue

MIN_LENGTH = 8
MAX_LENGTH = 128
STRONG_MIN_LENGTH = 12

# Verifying an unknown user's password still costs one scrypt run, so response times do not
# reveal which usernames exist.
_DUMMY_HASH = generate_password_hash("not-a-real-password", method="scrypt")


def hash_password(password: str) -> str:
    """A salted scrypt hash of `password`."""
    return generate_password_hash(password, method="scrypt")


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when `password` matches `password_hash`; constant work when there is no hash."""
    if not password_hash:
        check_password_hash(_DUMMY_HASH, password)
        return False
    return check_password_hash(password_hash, password)


class RecentlyVerified:
    """Passwords verified lately, so that QBWC's polls, which send the same saved password
    every few minutes, cost a keyed hash instead of a scrypt run each.

    Only a successful verification is remembered, for `ttl` seconds, keyed by an HMAC (with a
    key that lives in this process only) of the stored hash and the password: a wrong password
    always costs its scrypt run, and a changed password (a new hash) is never matched by the
    old one. At most `size` entries are kept, the least recently used dropped first."""

    def __init__(self, ttl: float = 30 * 60, size: int = 4096) -> None:
        self.ttl, self.size = ttl, size
        self._key = secrets.token_bytes(32)
        self._seen: OrderedDict[bytes, float] = OrderedDict()
        self._lock = threading.Lock()

    def verify(self, password_hash: str | None, password: str) -> bool:
        """As `verify_password`, answered from memory when it lately said True."""
        if not password_hash:
            return verify_password(password_hash, password)
        key = hmac.new(self._key, f"{password_hash}\0{password}".encode(), hashlib.sha256).digest()
        now = time.monotonic()
        with self._lock:
            seen = self._seen.get(key)
            if seen is not None and now - seen < self.ttl:
                self._seen.move_to_end(key)
                return True
        if not verify_password(password_hash, password):
            return False
        with self._lock:
            self._seen[key] = now
            self._seen.move_to_end(key)
            while len(self._seen) > self.size:
                self._seen.popitem(last=False)
        return True


def check_password_rules(password: str, *, strong: bool) -> None:
    """Refuse a password that breaks the account's rules, saying which rule."""
    if len(password) > MAX_LENGTH:
        raise InvalidValue(f"the password is longer than {MAX_LENGTH} characters")
    if any(ch in "\r\n\x00" for ch in password):
        raise InvalidValue("the password contains a line break or NUL character")
    if not strong:
        if len(password) < MIN_LENGTH:
            raise InvalidValue(f"the password must have at least {MIN_LENGTH} characters")
        return
    missing = []
    if len(password) < STRONG_MIN_LENGTH:
        missing.append(f"at least {STRONG_MIN_LENGTH} characters")
    if not any(ch.islower() for ch in password):
        missing.append("a lowercase letter")
    if not any(ch.isupper() for ch in password):
        missing.append("an uppercase letter")
    if not any(ch.isdigit() for ch in password):
        missing.append("a digit")
    if not any(ch in string.punctuation or ch.isspace() for ch in password):
        missing.append("a symbol")
    if missing:
        raise InvalidValue(
            "the account requires strong passwords; this one needs " + ", ".join(missing)
        )


def new_token() -> str:
    """A fresh API token: 256 bits from the operating system's CSPRNG."""
    return "qbt_" + secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """The stored form of an API token. Tokens are random, so a plain SHA-256 is enough."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def same_digest(a: str, b: str) -> bool:
    """Constant-time comparison of two digests."""
    return hmac.compare_digest(a, b)
