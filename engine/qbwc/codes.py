"""The 90xxx codes QBWC shows in its Every-Min column when authentication is refused.

QBWC reads slot 3 of authenticate's answer as "run every N seconds"; answering `nvu` with
code x 60 there makes the code appear as the minutes, which is how Autotask's customers see
these codes (product-spec §2.2).
"""

from __future__ import annotations

from dataclasses import dataclass

REGISTRATION_UNKNOWN = 90100
REGISTRATION_REVOKED = 90101
ACCOUNT_INACTIVE = 90201
ACCOUNT_SUSPENDED = 90202
USER_INACTIVE = 90301
USER_LOCKED = 90302
NOT_CONNECTOR_USER = 90303
NOT_API_USER = 90399
PASSWORD_EXPIRED = 90400
PASSWORD_EXPIRED_STRONG = 90401
WRONG_PASSWORD = 90500  # + attempts left before the user is locked


@dataclass(frozen=True)
class Refusal:
    """Why authenticate said `nvu`, as a code and in words."""

    code: int
    reason: str

    @property
    def every_min_seconds(self) -> str:
        return str(self.code * 60)


def describe(code: int) -> tuple[str, str]:
    """(meaning, what to do) for a 90xxx code."""
    if WRONG_PASSWORD <= code <= WRONG_PASSWORD + 99:
        left = code - WRONG_PASSWORD
        meaning = (
            f"Wrong password; {left} attempt{'s' if left != 1 else ''} left before the "
            "API user is locked"
            if left
            else "Wrong password; the API user is now locked"
        )
        return meaning, "Re-enter the API user's password in QBWC (right-click the application)."
    return TABLE[code]


TABLE: dict[int, tuple[str, str]] = {
    REGISTRATION_UNKNOWN: (
        "This server does not know the .qwc file",
        "Download the .qwc again and add it to QBWC.",
    ),
    REGISTRATION_REVOKED: (
        "The .qwc file was revoked or replaced",
        "Download the .qwc again and add it to QBWC.",
    ),
    ACCOUNT_INACTIVE: ("The account is inactive", "Ask your administrator to reactivate it."),
    ACCOUNT_SUSPENDED: ("The account is suspended", "Ask your administrator."),
    USER_INACTIVE: ("The API user is inactive", "Activate the API user."),
    USER_LOCKED: (
        "The API user is locked",
        "Unlock the API user, then re-enter its password in QBWC.",
    ),
    NOT_CONNECTOR_USER: (
        "The user is not this web connector's API user",
        "Download the .qwc again for the connector's API user.",
    ),
    NOT_API_USER: (
        "The user is not an API-only user with a tracking identifier",
        "Pick an API-only user for the web connector and download the .qwc again.",
    ),
    PASSWORD_EXPIRED: (
        "The API user's password has expired",
        "Set a new password and enter it in QBWC.",
    ),
    PASSWORD_EXPIRED_STRONG: (
        "The API user's password has expired and the account requires a strong password",
        "Set a new strong password and enter it in QBWC.",
    ),
}


def rows() -> list[tuple[str, str, str]]:
    """The code table for people (support page, README): code, meaning, what to do."""
    table = [(str(code), *describe(code)) for code in TABLE]
    table.append(
        (
            "905NN",
            "Wrong password; NN attempts left before the API user is locked",
            "Re-enter the API user's password in QBWC.",
        )
    )
    return sorted(table)
