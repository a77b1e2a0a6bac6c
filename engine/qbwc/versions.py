"""serverVersion and clientVersion: what this server says about itself and about QBWC's age."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

RECOMMENDED_QBWC = (2, 1, 0, 30)


def server_version() -> str:
    """Shown in QBWC's "More Information" dialog."""
    try:
        return f"qbtransfer {version('qbtransfer')}"
    except PackageNotFoundError:
        return "qbtransfer (development)"


def client_version_answer(client_version: str) -> str:
    """ "" to go on; "W:..." to warn about a QBWC older than the one we test against."""
    try:
        parts = tuple(int(p) for p in client_version.strip().split("."))
    except ValueError:
        return ""  # an unreadable version is no reason to stop an update
    if parts and parts < RECOMMENDED_QBWC:
        wanted = ".".join(map(str, RECOMMENDED_QBWC))
        return (
            f"W:This Web Connector is version {client_version}; qbtransfer is tested with "
            f"{wanted} and later. Please update it from Intuit's site."
        )
    return ""
