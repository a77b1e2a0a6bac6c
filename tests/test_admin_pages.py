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


def admin_client(web_app, engine):
    """A test client signed in as a new admin."""
    engine.create_user("ada", security_level="admin", password=ADMIN_PASSWORD)
    client = web_app.test_client()
    sign_in(client)
    return client


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


def form_fields(html: str) -> dict[str, str]:
    """What the page's settings form would post as it stands (checked boxes, selections)."""
    from lxml import html as lxml_html

    form = lxml_html.fromstring(html).get_element_by_id("settings")
    return {k: v for k, v in form.form_values()}


def test_the_connector_page_edits_settings_and_enables_a_type_after_its_readiness_check(
    shop, web_app, engine
):
    _, reg, company, settings = shop
    client = admin_client(web_app, engine)
    url = f"/admin/connectors/{reg.connector_id}"
    html = client.get(url).get_data(as_text=True)
    assert "MSPBooks.QBW" in html
    assert "Transfer Taxes Directly" in html  # a US file
    assert "Synchronization is initially disabled" not in html  # invoices are on
    fields = form_fields(html)
    assert fields["transfer_invoices"] == "y" and "transfer_timesheets" not in fields
    assert ">Consulting Income<" in html and ">Autotask Income from PO<" in html
    assert ">Travel<" not in html.split('id="income_account"')[1].split("</select>")[0]

    # A bad e-mail address is refused on the page, and nothing changes.
    bad = client.post(url, data={**fields, "emails": "ar@example.com; not-an-address"})
    assert bad.status_code == 400 and "not-an-address" in bad.get_data(as_text=True)
    assert 'role="alert"' in bad.get_data(as_text=True)
    assert engine.get_connector(reg.connector_id)["emails"] == []

    # Switching timesheets on first shows their readiness check and count.
    engine.mark_ready("invoice", ["INV-5003"], by="tests")
    asked = client.post(
        url, data={**fields, "transfer_timesheets": "y", "emails": "ar@example.com"}
    )
    text = asked.get_data(as_text=True)
    assert asked.status_code == 200 and "Enable transfers for" in text
    assert 'id="ready-timesheets"' in text and "will be queued at once" in text
    assert engine.get_connector(reg.connector_id)["transfer_timesheets"] is False  # not yet
    from lxml import html as lxml_html

    confirm = dict(lxml_html.fromstring(text).forms[-1].form_values())
    assert confirm["confirmed"] == "timesheets"
    done = client.post(url, data=confirm)
    assert done.status_code == 302
    after = engine.get_connector(reg.connector_id)
    assert after["transfer_timesheets"] is True and after["emails"] == ["ar@example.com"]
    assert "Enabled: Transfer Timesheets" in client.get(url).get_data(as_text=True)

    # Income account and inventory sync; unchanged fields record nothing.
    version = after["version"]
    fields = form_fields(client.get(url).get_data(as_text=True))
    client.post(url, data=fields)
    assert engine.get_connector(reg.connector_id)["version"] == version
    odd = client.post(url, data={**fields, "income_account": "Not An Account"})
    assert odd.status_code == 400 and "Not a valid choice" in odd.get_data(as_text=True)
    nope = client.post(url, data={**fields, "sync_inventory": "y"})  # the engine's rule
    assert nope.status_code == 400 and "turn that on before asking" in nope.get_data(as_text=True)
    set_ = client.post(url, data={**fields, "income_account": "Consulting Income"})
    assert set_.status_code == 302
    assert engine.get_connector(reg.connector_id)["income_account"] == "Consulting Income"

    # Refresh asks for the lists again; Clear confirms first, then forgets the mappings.
    token = token_of(client.get(url).get_data(as_text=True))
    refreshed = client.post(url + "/refresh", data={"csrf_token": token}, follow_redirects=True)
    assert "pulled again" in refreshed.get_data(as_text=True)
    confirm_page = client.get(url + "/clear").get_data(as_text=True)
    assert "forgets" in confirm_page and "every mapping" in confirm_page
    assert engine.get_connector(reg.connector_id)["company_file_location"]
    cleared = client.post(url + "/clear", data={"csrf_token": token_of(confirm_page)})
    assert cleared.status_code == 302
    assert engine.get_connector(reg.connector_id)["company_file_location"] is None


def test_mapping_pages_map_clear_refuse_and_warn_of_deleted_records(shop, web_app, engine):
    from tests.test_transfers_invoices import caught_up, session

    _, reg, company, settings = shop
    client = admin_client(web_app, engine)
    base = f"/admin/connectors/{reg.connector_id}/mappings"
    index = client.get(base).get_data(as_text=True)
    assert "lines-of-business" in index and "payroll-categories" in index
    url = f"{base}/lines-of-business"
    html = client.get(url).get_data(as_text=True)
    assert "[no class]" in html and ">Managed Services<" in html
    token = token_of(html)
    saved = client.post(
        url, data={"csrf_token": token, "map:LOB-1": "Managed Services"}, follow_redirects=True
    )
    text = saved.get_data(as_text=True)
    assert "(LOB-1): the default → Managed Services" in text
    from web.views import mappings

    found = mappings(settings, engine, reg.connector_id, None)["categories"]
    rows = {r["psa_id"]: r for r in found["lines-of-business"]}
    assert rows["LOB-1"]["quickbooks"]["full_name"] == "Managed Services"
    refused = client.post(url, data={"csrf_token": token, "map:LOB-2": "No Such Class"})
    assert "QuickBooks has no classes named" in client.get(url).get_data(as_text=True)
    assert refused.status_code == 302
    # Deleted in QuickBooks: the page says so, with what to do.
    company.delete_list_record("class", "Managed Services")
    engine.request_deletion_sync(reg.connector_id)
    caught_up(engine, settings)
    session(engine, reg, company)
    warned = client.get(url).get_data(as_text=True)
    assert "Deleted in QuickBooks" in warned and "no longer in QuickBooks" in warned
    assert "1</span>" in client.get(base).get_data(as_text=True)  # counted on the index
    cleared = client.post(url, data={"csrf_token": token, "map:LOB-1": ""}, follow_redirects=True)
    assert "the default ([no class])" in cleared.get_data(as_text=True)
    nothing = client.post(url, data={"csrf_token": token}, follow_redirects=True)
    assert "Nothing changed." in nothing.get_data(as_text=True)
    assert client.get(f"{base}/no-such-category").status_code == 400


def test_the_history_page_filters_downloads_csv_and_shows_each_attempts_qbxml(
    shop, web_app, engine
):
    from tests.test_transfers_invoices import caught_up, session

    _, reg, company, settings = shop
    caught_up(engine, settings)
    company.inject_status("InvoiceAddRq", 3175, times=1)
    session(engine, reg, company)
    client = admin_client(web_app, engine)
    html = client.get("/admin/history").get_data(as_text=True)
    assert "invoices:INV-5001" in html and "invoices:INV-5002" in html and "3175" in html
    failed = client.get("/admin/history?result=failed").get_data(as_text=True)
    assert failed.count("<tr>") == 2  # the header and the one failure
    one = client.get("/admin/history?document=invoice:INV-5002").get_data(as_text=True)
    assert "INV-5002" in one.split("<table>")[1] and "INV-5001" not in one.split("<table>")[1]
    bad = client.get("/admin/history?document=INV-5002")
    assert bad.status_code == 400 and "TYPE:ID" in bad.get_data(as_text=True)
    assert client.get("/admin/history?page=x").status_code == 400
    csv_answer = client.get("/admin/history.csv?result=failed")
    assert (
        csv_answer.mimetype == "text/csv"
        and "attachment" in csv_answer.headers["Content-Disposition"]
    )
    lines = csv_answer.get_data(as_text=True).splitlines()
    assert lines[0].startswith("at,kind,psa_id") and len(lines) == 2 and "3175" in lines[1]
    link = re.search(r'href="(/admin/exchanges/[0-9a-f-]+)"', html).group(1)
    viewer = client.get(link).get_data(as_text=True)
    assert "&lt;InvoiceAddRq" in viewer and "&lt;InvoiceAddRs" in viewer  # escaped, shown
    assert client.get("/admin/exchanges/nope").status_code == 404


def test_naming_assignments_and_queues_pages(shop, web_app, engine):
    from tests.test_transfers_invoices import caught_up, session

    _, reg, company, settings = shop
    client = admin_client(web_app, engine)
    url = f"/admin/connectors/{reg.connector_id}/naming"
    token = token_of(client.get(url).get_data(as_text=True))
    client.post(url, data={"csrf_token": token, "item_naming": "role-work-type",
                           "name_overflow": "truncate"})  # fmt: skip
    found = engine.get_connector(reg.connector_id)
    assert (found["item_naming"], found["name_overflow"]) == ("role-work-type", "truncate")
    bad = client.post(url, data={"csrf_token": token, "item_naming": "x", "name_overflow": "fail"},
                      follow_redirects=True)  # fmt: skip
    assert "item naming must be one of" in bad.get_data(as_text=True)

    second = engine.create_connector(name="Branch Books", api_username="qbwc-api")
    orgs = client.get("/admin/assignments/organizations").get_data(as_text=True)
    assert "ORG-101" in orgs and "(the default web connector)" in orgs
    assign = {"csrf_token": token, "to:ORG-101": second["id"], "was:ORG-101": ""}
    client.post("/admin/assignments/organizations", data=assign)
    from web.views import psa_records

    moved = {r["id"]: r for r in psa_records(settings, engine, "organizations")}
    assert moved["ORG-101"]["connector"] == "Branch Books"
    assert "ORG-101" in client.get("/admin/assignments/organizations?search=101").get_data(
        as_text=True
    )
    assert client.get("/admin/assignments/invoices").status_code == 404

    queue = client.get("/admin/queues/invoices").get_data(as_text=True)
    assert "INV-5003" in queue.split("Not ready")[1].split("Ready to Transfer (Pending)")[0]
    client.post("/admin/queues/invoices",
                data={"csrf_token": token, "action": "ready", "chosen": "INV-5003"})  # fmt: skip
    assert engine.get_document("invoice", "INV-5003")["status"] == "ready"
    client.post("/admin/queues/invoices",
                data={"csrf_token": token, "action": "withdraw", "chosen": "INV-5003"})  # fmt: skip
    assert engine.get_document("invoice", "INV-5003")["status"] == "withdrawn"
    none = client.post("/admin/queues/invoices", data={"csrf_token": token, "action": "ready"},
                       follow_redirects=True)  # fmt: skip
    assert "Select at least one" in none.get_data(as_text=True)
    # A failure QuickBooks gave is requeued from the Pending/Failed queue.
    caught_up(engine, settings)
    company.inject_status("InvoiceAddRq", 3210, times=2)
    session(engine, reg, company)
    caught_up(engine, settings)
    failed = client.get("/admin/queues/invoices").get_data(as_text=True)
    assert "3210" in failed.split("Pending/Failed")[1]
    chosen = re.search(r'value="([0-9a-f-]+/INV-500[12])"', failed).group(1)
    done = client.post("/admin/queues/invoices",
                       data={"csrf_token": token, "action": "requeue", "chosen": chosen},
                       follow_redirects=True)  # fmt: skip
    assert "Requeued: INV-500" in done.get_data(as_text=True)
    psa_id = chosen.partition("/")[2]
    assert engine.get_transfer("invoice", psa_id, reg.connector_id)["status"] == "requeued"


def after_a_session(shop, web_app, engine):
    """The shop's invoices transferred by one QBWC session: an admin's client, and the
    session's id as the sessions page links it."""
    from tests.test_transfers_invoices import caught_up, session

    _, reg, company, settings = shop
    caught_up(engine, settings)
    session(engine, reg, company)
    client = admin_client(web_app, engine)
    listing = client.get("/admin/sessions").get_data(as_text=True)
    return client, re.search(r'href="/admin/sessions/([0-9a-f-]+)"', listing).group(1)


def test_sessions_inventory_audit_and_read_model_pages(shop, web_app, engine):
    reg = shop[1]
    client, session_id = after_a_session(shop, web_app, engine)
    one = client.get(f"/admin/sessions/{session_id}").get_data(as_text=True)
    assert "request and response" in one and "InvoiceAdd" not in one  # the XML is one click on
    assert client.get("/admin/sessions/ffffffff").status_code == 404

    inventory = client.get(f"/admin/connectors/{reg.connector_id}/inventory")
    assert inventory.status_code == 200 and "No inventory synchronization" in inventory.get_data(
        as_text=True
    )

    told = client.get("/admin/audit?document=invoice:INV-5001").get_data(as_text=True)
    assert "Imported" in told and "Succeeded" in told and "QuickBooks answered: 0" in told
    assert "the qbXML of this attempt" in told
    early = client.get("/admin/audit?document=invoice:INV-5001&as_of=2000-01-01")
    assert early.status_code == 404 and "by 2000" in early.get_data(as_text=True)
    assert client.get("/admin/audit?document=INV-5001").status_code == 400
    assert client.get("/admin/audit?document=invoice:INV-5001&as_of=soon").status_code == 400

    status = client.get("/admin/projections").get_data(as_text=True)
    assert "TransferHistory" in status and "Rebuild" in status
    token = token_of(status)
    ask = client.post("/admin/projections", data={"csrf_token": token, "name": "transfers"})
    assert "Rebuild Transfers?" in ask.get_data(as_text=True)  # confirmation first
    done = client.post(
        "/admin/projections",
        data={"csrf_token": token, "name": "transfers", "confirmed": "yes"},
        follow_redirects=True,
    )
    assert "Transfers rebuilt from" in done.get_data(as_text=True)
    unknown = client.post("/admin/projections", data={"csrf_token": token, "name": "nope"},
                          follow_redirects=True)  # fmt: skip
    assert "no read model" in unknown.get_data(as_text=True)


def test_users_tokens_and_account_pages(browser_client, engine):
    sign_in(browser_client)
    html = browser_client.get("/admin/users").get_data(as_text=True)
    token = token_of(html)
    made = browser_client.post("/admin/users", data={
        "csrf_token": token, "username": "qbwc-2", "api_only": "y", "tracking_id": "T9",
        "password": "Another-pass-2026",
    }, follow_redirects=True)  # fmt: skip
    assert "User &#39;qbwc-2&#39; created." in made.get_data(as_text=True)
    assert engine.get_user("qbwc-2")["security_level"] == "api_only"
    refused = browser_client.post("/admin/users", data={
        "csrf_token": token, "username": "qbwc-3", "api_only": "y", "password": "Secret-pass-77",
    })  # fmt: skip
    text = refused.get_data(as_text=True)
    assert refused.status_code == 400 and "tracking identifier" in text
    assert "Secret-pass-77" not in text and 'value="qbwc-3"' in text  # kept, never the password
    browser_client.post("/admin/users/qbwc-2", data={"csrf_token": token, "status": "locked"})
    assert engine.get_user("qbwc-2")["status"] == "locked"
    browser_client.post("/admin/users/qbwc-2", data={"csrf_token": token, "status": "active"})
    assert engine.get_user("qbwc-2")["status"] == "active"
    self_lock = browser_client.post("/admin/users/ada", data={"csrf_token": token,
                                    "status": "inactive"}, follow_redirects=True)  # fmt: skip
    assert "cannot deactivate or lock yourself" in self_lock.get_data(as_text=True)

    created = browser_client.post("/admin/tokens", data={"csrf_token": token, "name": "psa-bot"})
    shown = re.search(r'<code id="new-token">([^<]+)</code>', created.get_data(as_text=True))
    assert shown and engine.authenticate_token(shown.group(1)) == "psa-bot"
    later = browser_client.get("/admin/tokens").get_data(as_text=True)
    assert shown.group(1) not in later and "psa-bot" in later  # shown once, never again
    dup = browser_client.post("/admin/tokens", data={"csrf_token": token, "name": "psa-bot"})
    assert dup.status_code == 409
    revoke = re.search(r'action="(/admin/tokens/[0-9a-f-]+/revoke)"', later).group(1)
    browser_client.post(revoke, data={"csrf_token": token})
    assert engine.authenticate_token(shown.group(1)) is None

    page_html = browser_client.get("/admin/account").get_data(as_text=True)
    assert "Password policy" in page_html
    browser_client.post("/admin/account", data={
        "csrf_token": token, "status": "active", "strong_passwords": "y",
        "password_expiry_days": "90", "lockout_attempts": "5",
        "public_url": "https://books.example.com",
    })  # fmt: skip
    account = engine.get_account()
    assert (account["password_expiry_days"], account["lockout_attempts"]) == (90, 5)
    assert account["strong_passwords"] and account["public_url"] == "https://books.example.com"
    bad = browser_client.post("/admin/account", data={"csrf_token": token, "status": "active",
                              "lockout_attempts": "many"}, follow_redirects=True)  # fmt: skip
    assert "whole numbers" in bad.get_data(as_text=True)


def _admin_rules(web_app, method: str):
    for rule in web_app.url_map.iter_rules():
        if rule.endpoint.startswith("admin.") and method in (rule.methods or ()):
            values = {arg: "x" for arg in rule.arguments}
            if "kind" in values:
                values["kind"] = "invoices"
            yield rule, rule.build(values, append_unknown=False)[1]


def test_every_admin_form_refuses_a_post_without_its_token(browser_client, web_app):
    sign_in(browser_client)
    paths = [path for _, path in _admin_rules(web_app, "POST")]
    assert len(paths) >= 15
    for path in paths:
        answer = browser_client.post(path, data={"name": "x"})
        assert answer.status_code == 400, path
        assert "CSRF token is missing" in answer.get_data(as_text=True), path


def test_every_admin_page_needs_a_signed_in_admin(browser_client, web_app):
    for rule, path in _admin_rules(web_app, "GET"):
        if rule.endpoint == "admin.login":
            continue
        answer = browser_client.get(path)
        assert answer.status_code == 302, path
        assert answer.headers["Location"].startswith("/admin/login"), path


def test_every_field_of_every_page_has_a_label_and_no_page_repeats_a_secret(shop, web_app, engine):
    from lxml import html as lxml_html

    from tests.helpers import API_PASSWORD

    reg = shop[1]
    client, session_id = after_a_session(shop, web_app, engine)
    exchange_id = engine.get_session(session_id)["exchanges"][0]["id"]
    refs = {"ref": reg.connector_id, "kind": "invoices", "category": "billing-codes",
            "exchange_id": exchange_id}  # fmt: skip
    pages = []
    for rule in web_app.url_map.iter_rules():
        if not rule.endpoint.startswith("admin.") or "GET" not in (rule.methods or ()):
            continue
        values = {arg: refs[arg] for arg in rule.arguments}
        if rule.endpoint == "admin.session":
            values["ref"] = session_id
        if rule.endpoint == "admin.assignments":
            values["kind"] = "organizations"
        path = rule.build(values, append_unknown=False)[1]
        answer = client.get(path)
        if answer.status_code == 302:
            continue  # /admin/ itself
        assert answer.status_code == 200, path
        if answer.mimetype != "text/html":
            continue
        pages.append(path)
        text = answer.get_data(as_text=True)
        for secret in (ADMIN_PASSWORD, API_PASSWORD):
            assert secret not in text, path
        tree = lxml_html.fromstring(text)
        labelled = {label.get("for") for label in tree.iter("label")}
        for field in tree.xpath("//input|//select|//textarea"):
            if field.get("type") in ("hidden", "submit"):
                continue
            assert field.get("id") in labelled or field.get("aria-label"), (
                f"{path}: a {field.tag} named {field.get('name')!r} has no label"
            )
    assert len(pages) >= 20, pages


HOSTILE = (
    "\x00",
    "a" * 100_000,
    "<script>alert(1)</script>",
    "{{ 7777 * 1111 }}",
    "'; DROP TABLE stored_events; --",
    "../../etc/passwd",
    "\u202etxt.exe",
    "0" * 40,
)
FIELDS = (
    "name", "api_user", "emails", "transfer_invoices", "income_account", "item_naming",
    "name_overflow", "username", "password", "display_name", "tracking_id", "api_only",
    "status", "password_expiry_days", "lockout_attempts", "public_url", "chosen", "action",
    "map:BC-1", "map:LOB-1", "to:ORG-101", "was:ORG-101", "confirmed", "sync_inventory",
)  # fmt: skip


def test_hostile_input_to_any_admin_page_is_refused_cleanly_and_changes_nothing(
    shop, web_app, engine
):
    from tests.helpers import log_size as stored

    _, reg, company, settings = shop
    client = admin_client(web_app, engine)
    token = token_of(client.get("/admin/connectors").get_data(as_text=True))
    refs = {"ref": reg.connector_id, "kind": "invoices", "category": "billing-codes",
            "exchange_id": "x", "username": "qbwc-api"}  # fmt: skip
    posts, gets = [], []
    for rule in web_app.url_map.iter_rules():
        if rule.endpoint.startswith("admin.") and rule.endpoint != "admin.logout":
            path = rule.build({a: refs[a] for a in rule.arguments}, append_unknown=False)[1]
            (posts if "POST" in (rule.methods or ()) else gets).append(path)
    for value in HOSTILE:
        for path in posts:
            before = stored(engine)
            data = {field: value for field in FIELDS}
            answer = client.post(path, data={**data, "csrf_token": token}, follow_redirects=True)
            text = answer.get_data(as_text=True)
            assert answer.status_code < 500 and "Traceback" not in text, (path, value[:20])
            assert "49" not in text or value != "{{ 7 * 7 }}", path  # never a template
            assert "<script>alert(1)</script>" not in text, path  # always escaped
            if 'class="error"' in text and path != "/admin/login":
                assert stored(engine) == before, (path, value[:20])
        for path in gets:
            query = {"document": value, "as_of": value, "search": value, "since": value,
                     "page": value, "result": value, "type": value, "next": value}  # fmt: skip
            answer = client.get(path, query_string=query)
            assert answer.status_code < 500, (path, value[:20])
            if answer.mimetype == "text/html":  # (the CSV's refusal is plain text, nosniff)
                assert "<script>alert(1)</script>" not in answer.get_data(as_text=True), path
            assert len(answer.get_data()) < 200_000, path  # a refusal quotes, never echoes
