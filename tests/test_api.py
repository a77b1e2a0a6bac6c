"""The JSON admin API: token authentication, the same operations as the CLI, and errors as
`{"error", "detail"}` with a 4xx status."""

from __future__ import annotations

import pytest
from lxml import etree

from engine.qwc import validate_qwc


@pytest.fixture
def client(web_app):
    return web_app.test_client()


@pytest.fixture
def auth(engine):
    token = engine.create_token("tests")["token"]
    return {"Authorization": f"Bearer {token}"}


def error_of(response, status):
    assert response.status_code == status, response.get_json()
    body = response.get_json()
    assert set(body) == {"error", "detail"} and body["detail"]
    return body


def test_requests_without_a_valid_token_are_refused(client):
    error_of(client.get("/api/v1/users"), 401)
    error_of(client.get("/api/v1/users", headers={"Authorization": "Bearer qbt_wrong"}), 401)
    error_of(client.get("/api/v1/users", headers={"Authorization": "Basic abc"}), 401)


def test_users_and_account(client, auth):
    created = client.post(
        "/api/v1/users",
        headers=auth,
        json={
            "username": "qbwc-api",
            "security_level": "api_only",
            "tracking_id": "Custom",
            "password": "Api-pass-2026",
        },
    )
    assert created.status_code == 201
    assert created.get_json()["has_password"] is True
    assert "password" not in created.get_data(as_text=True).replace("has_password", "").replace(
        "password_set_at", ""
    ).replace("password_expired", "")
    error_of(
        client.post(
            "/api/v1/users", headers=auth, json={"username": "qbwc-api", "security_level": "admin"}
        ),
        409,
    )
    error_of(
        client.post(
            "/api/v1/users", headers=auth, json={"username": "x", "security_level": "api_only"}
        ),
        400,
    )
    error_of(client.post("/api/v1/users", headers=auth, json={"username": "x"}), 400)
    error_of(client.post("/api/v1/users", headers=auth, data="not json"), 400)
    error_of(
        client.post(
            "/api/v1/users",
            headers=auth,
            json={"username": "x", "security_level": "admin", "role": "god"},
        ),
        400,
    )
    changed = client.patch("/api/v1/users/qbwc-api", headers=auth, json={"status": "locked"})
    assert changed.get_json()["status"] == "locked"
    error_of(client.patch("/api/v1/users/ghost", headers=auth, json={"status": "active"}), 404)
    assert [
        u["username"] for u in client.get("/api/v1/users", headers=auth).get_json()["users"]
    ] == ["qbwc-api"]
    account = client.patch(
        "/api/v1/account", headers=auth, json={"strong_passwords": True, "password_expiry_days": 60}
    )
    assert account.get_json()["strong_passwords"] is True
    assert account.get_json()["password_expiry_days"] == 60
    error_of(client.patch("/api/v1/account", headers=auth, json={"lockout_attempts": "ten"}), 400)


def test_connectors_settings_and_qwc_download(client, auth, engine):
    client.post(
        "/api/v1/users",
        headers=auth,
        json={"username": "qbwc-api", "security_level": "api_only", "tracking_id": "Custom"},
    )
    created = client.post(
        "/api/v1/connectors", headers=auth, json={"name": "Acme", "api_user": "qbwc-api"}
    )
    assert created.status_code == 201
    connector = created.get_json()
    assert connector["is_default"] is True
    changed = client.patch(
        f"/api/v1/connectors/{connector['id']}",
        headers=auth,
        json={"transfer_invoices": True, "emails": ["a@x.com", "b@x.com"], "auto_run_minutes": 20},
    )
    body = changed.get_json()
    assert body["transfer_invoices"] and body["emails"] == ["a@x.com", "b@x.com"]
    error_of(
        client.patch(
            f"/api/v1/connectors/{connector['id']}", headers=auth, json={"auto_run_minutes": 5}
        ),
        400,
    )
    error_of(
        client.patch(
            f"/api/v1/connectors/{connector['id']}", headers=auth, json={"transfer_invoices": "yes"}
        ),
        400,
    )
    error_of(client.get("/api/v1/connectors/nope", headers=auth), 404)
    shown = client.get(f"/api/v1/connectors/{connector['id']}", headers=auth).get_json()
    assert shown["quickbooks_lists"]["customers"] == 0 and shown["last_session"] is None

    download = client.post(f"/api/v1/connectors/{connector['id']}/qwc", headers=auth)
    assert download.status_code == 200
    assert download.headers["Content-Disposition"].startswith("attachment;")
    text = download.get_data(as_text=True)
    assert validate_qwc(text) == []
    registration_id = download.headers["X-Registration-Id"]
    assert etree.fromstring(text.encode()).findtext("AppURL").endswith(registration_id)
    regs = client.get(f"/api/v1/connectors/{connector['id']}/registrations", headers=auth)
    assert regs.get_json()["registrations"][0]["issued_by"] == "token:tests"
    revoked = client.post(
        f"/api/v1/registrations/{registration_id}/revoke", headers=auth, json={"reason": "test"}
    )
    assert revoked.get_json()["revoked"] is True
    error_of(client.post(f"/api/v1/registrations/{registration_id}/revoke", headers=auth), 409)
    error_of(client.get("/api/v1/registrations/not-a-uuid", headers=auth), 404)


def test_the_support_page_and_health_check_need_no_token(client):
    assert client.get("/healthz").status_code == 200
    page = client.get("/support")
    assert page.status_code == 200 and "90101" in page.get_data(as_text=True)
