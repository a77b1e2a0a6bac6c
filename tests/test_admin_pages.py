"""The admin pages through Flask's test client, on SQLite and PostgreSQL: signing in (admins
only, the lockout, a fresh session), CSRF on every form, the cookie's flags, and the web
connector pages."""

from __future__ import annotations

import re

import pytest

from tests.helpers import make_api_user

ADMIN_PASSWORD = "Admin-pass-2026"


def token_of(html: str) -> str:
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert found, "the page has no CSRF token"
    return found.group(1)


@pytest.fixture
def browser_client(web_app, engine):
    """A test client with an admin user to sign in as."""
    engine.create_user("ada", security_level="admin", password=ADMIN_PASSWORD)
    return web_app.test_client()


def sign_in(client, username: str = "ada", password: str = ADMIN_PASSWORD, **extra):
    token = token_of(client.get("/admin/login").get_data(as_text=True))
    return client.post(
        "/admin/login",
        data={"username": username, "password": password, "csrf_token": token},
        **extra,
    )


def test_an_admin_signs_in_and_out_with_a_fresh_protected_session(browser_client):
    assert (
        browser_client.get("/admin/connectors")
        .headers["Location"]
        .startswith("/admin/login?next=/admin/connectors")
    )
    answer = sign_in(browser_client)
    assert answer.status_code == 302 and answer.headers["Location"] == "/admin/connectors"
    cookie = answer.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie
    listing = browser_client.get("/admin/connectors")
    assert listing.headers["Cache-Control"] == "no-store"
    page = listing.get_data(as_text=True)
    assert "Web connectors" in page and ADMIN_PASSWORD not in page
    # Signing out is a POST with the page's token.
    assert browser_client.post("/admin/logout").status_code == 400
    out = browser_client.post("/admin/logout", data={"csrf_token": token_of(page)})
    assert out.status_code == 302 and out.headers["Location"] == "/admin/login"
    assert browser_client.get("/admin/connectors").status_code == 302


def test_sign_in_refusals_say_why_and_wrong_passwords_lock_the_user(browser_client, engine):
    make_api_user(engine)
    api_only = sign_in(browser_client, "qbwc-api", "Sync-pass-2026")
    assert api_only.status_code == 401
    assert "API-only users" in api_only.get_data(as_text=True)
    unknown = sign_in(browser_client, "nobody", "whatever-it-is")
    assert unknown.status_code == 401 and "wrong username or password" in unknown.get_data(
        as_text=True
    )
    engine.change_account(lockout_attempts=3)
    first = sign_in(browser_client, "ada", "not-the-password")
    assert "2 attempts left" in first.get_data(as_text=True)
    assert "not-the-password" not in first.get_data(as_text=True)  # never repeated
    sign_in(browser_client, "ada", "not-the-password")
    locked = sign_in(browser_client, "ada", "not-the-password")
    assert "is now locked" in locked.get_data(as_text=True)
    right = sign_in(browser_client)  # the right password no longer helps
    assert right.status_code == 401 and "is locked" in right.get_data(as_text=True)
    assert engine.get_user("ada")["status"] == "locked"
    engine.change_user("ada", status="active")
    assert sign_in(browser_client).status_code == 302


def test_a_post_without_its_csrf_token_is_refused(browser_client):
    no_token = browser_client.post(
        "/admin/login", data={"username": "ada", "password": ADMIN_PASSWORD}
    )
    assert no_token.status_code == 400 and "CSRF token is missing" in no_token.get_data(
        as_text=True
    )
    forged = browser_client.post(
        "/admin/login",
        data={"username": "ada", "password": ADMIN_PASSWORD, "csrf_token": "forged"},
    )
    assert forged.status_code == 400
    sign_in(browser_client)
    for path in ("/admin/connectors/new", "/admin/logout"):
        assert browser_client.post(path, data={"name": "X"}).status_code == 400, path


def test_next_only_leads_to_the_admin_pages(browser_client):
    for target, lands in (
        ("https://evil.example.com/admin/x", "/admin/connectors"),
        ("//evil.example.com/admin/", "/admin/connectors"),
        ("/admin/connectors/new", "/admin/connectors/new"),
    ):
        # Signing in starts a new session, and so needs a new page's token.
        token = token_of(browser_client.get("/admin/login").get_data(as_text=True))
        answer = browser_client.post(
            f"/admin/login?next={target}",
            data={"username": "ada", "password": ADMIN_PASSWORD, "csrf_token": token},
        )
        assert answer.headers["Location"] == lands, target


def test_the_first_connector_is_made_on_its_page_and_downloads_its_qwc(browser_client, engine):
    sign_in(browser_client)
    empty = browser_client.get("/admin/connectors/new").get_data(as_text=True)
    assert "no API-only user yet" in empty
    make_api_user(engine)
    engine.create_user("ops", security_level="api_only", tracking_id="T2", password=None)
    engine.change_user("ops", status="inactive")
    form = browser_client.get("/admin/connectors/new").get_data(as_text=True)
    assert "the default one" in form
    assert '<option value="qbwc-api">' in form and "ops" not in form  # eligible users only
    refused = browser_client.post(
        "/admin/connectors/new",
        data={"name": "  ", "api_user": "qbwc-api", "csrf_token": token_of(form)},
    )
    assert refused.status_code == 200 and "This field is required" in refused.get_data(as_text=True)
    made = browser_client.post(
        "/admin/connectors/new",
        data={"name": "Acme Books", "api_user": "qbwc-api", "csrf_token": token_of(form)},
    )
    assert made.status_code == 302
    page = browser_client.get(made.headers["Location"]).get_data(as_text=True)
    assert "Acme Books" in page and "default" in page and "Download Web Connector" in page
    assert "Not known yet" in page
    again = browser_client.post(
        "/admin/connectors/new",
        data={"name": "acme books", "api_user": "qbwc-api", "csrf_token": token_of(form)},
    )
    assert again.status_code == 409, again.get_data(as_text=True)
    assert "Acme Books" in again.get_data(as_text=True)  # the engine's reason, on the form
    listing = browser_client.get("/admin/connectors").get_data(as_text=True)
    assert listing.count("Acme Books") == 1 and "default" in listing
    qwc = browser_client.post(
        made.headers["Location"] + "/qwc", data={"csrf_token": token_of(page)}
    )
    assert qwc.status_code == 200 and qwc.mimetype == "application/x-qwc"
    assert "attachment" in qwc.headers["Content-Disposition"]
    assert "<AppURL>https://qb.example.com/qbwc/" in qwc.get_data(as_text=True)
    missing = browser_client.get("/admin/connectors/nope-nope")
    assert missing.status_code == 404 and "no web connector" in missing.get_data(as_text=True)
