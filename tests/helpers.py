"""Small builders that keep tests reading like stories."""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from engine.application import TransferEngine
from engine.errors import NotFound
from tests.qbsim.soap import envelope, parse_result
from web.qbwc import TNS

API_PASSWORD = "Sync-pass-2026"


def make_api_user(
    app: TransferEngine, username: str = "qbwc-api", password: str | None = API_PASSWORD
) -> dict:
    """An active API-only user with a tracking identifier."""
    return app.create_user(
        username, security_level="api_only", tracking_id="Custom (qbtransfer)", password=password
    )


@dataclass
class Registered:
    """A connector with a downloaded .qwc: what a QBWC installation has."""

    connector_id: str
    registration_id: str
    path: str  # the AppURL's path
    app_url: str
    owner_id: str
    file_id: str


def register_connector(
    app: TransferEngine,
    public_url: str = "https://qb.example.com",
    name: str = "Acme Books",
    username: str = "qbwc-api",
) -> Registered:
    """An API user (if missing), a connector and a .qwc for it."""
    try:
        app.get_user(username)
    except NotFound:
        make_api_user(app, username)
    connector = app.create_connector(name=name, api_username=username)
    issued = app.issue_qwc(connector["id"], public_url=public_url, issued_by="tests")
    root = etree.fromstring(issued["qwc"].encode())
    return Registered(
        connector["id"],
        issued["registration_id"],
        f"/qbwc/{issued['registration_id']}",
        issued["app_url"],
        root.findtext("OwnerID"),
        root.findtext("FileID"),
    )


def soap_call(client, path: str, operation: str, **params):
    """One SOAP call through a Flask test client, enveloped exactly as QBWC does it."""
    response = client.post(
        path,
        data=envelope(operation, params),
        headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"{TNS}{operation}"'},
    )
    assert response.status_code == 200, response.data[:500]
    assert response.content_type.startswith("text/xml")
    result = parse_result(operation, response.data)
    return int(result) if operation == "receiveResponseXML" else result
