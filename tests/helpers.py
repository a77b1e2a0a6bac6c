"""Small builders that keep tests reading like stories."""

from __future__ import annotations

from engine.application import TransferEngine

API_PASSWORD = "Sync-pass-2026"


def make_api_user(
    app: TransferEngine, username: str = "qbwc-api", password: str | None = API_PASSWORD
) -> dict:
    """An active API-only user with a tracking identifier."""
    return app.create_user(
        username, security_level="api_only", tracking_id="Custom (qbtransfer)", password=password
    )
