"""The admin pages in a real browser: Playwright driving Debian's Chromium headless against the
app on a real port, as an admin uses them. With CI=true a missing browser fails the run.

Screenshots of the pages go to test-artifacts/screenshots (or $QBTRANSFER_ARTIFACTS)."""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest
from lxml import etree
from werkzeug.serving import make_server

from tests.helpers import API_PASSWORD, demo_company, make_api_user, wait_read_models_at_head
from tests.qbsim.webconnector import WebConnectorSim
from tests.test_admin_pages import ADMIN_PASSWORD

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(
    os.environ.get("QBTRANSFER_ARTIFACTS") or Path(__file__).resolve().parents[1] / "test-artifacts"
)


@pytest.fixture(scope="module")
def chromium():
    """Chromium, headless (no sandbox as root, which containers need)."""
    if not shutil.which(CHROMIUM):
        message = f"{CHROMIUM} is missing (apt-get install -y chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    args = ["--no-sandbox"] if os.geteuid() == 0 else []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=args)
        yield browser
        browser.close()


@pytest.fixture
def site(web_app, engine, settings):
    """The app on a real port with its read-model runners, as `qbtransfer serve` runs it, an
    admin to sign in as and the API user QBWC uses."""
    from projections.runtime import running_projections

    engine.create_user("ada", security_level="admin", password=ADMIN_PASSWORD)
    make_api_user(engine)
    server = make_server("127.0.0.1", 0, web_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    with running_projections(settings, engine):
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_port}"
        finally:
            server.shutdown()
            server.server_close()


def shoot(page, name: str) -> None:
    folder = ARTIFACTS / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def test_the_admin_journey_from_sign_in_to_an_invoice_in_quickbooks(
    chromium, site, engine, settings, tmp_path
):
    """Sign in, create the first connector, download its .qwc, let QBWC link the company file,
    map what the readiness check asks for, enable invoices after seeing the check and the
    count, let QBWC transfer them, and read one attempt's qbXML from the history."""
    from tests.test_transfers_invoices import DEMO

    engine.import_psa(DEMO, by="psa")
    context = chromium.new_context(accept_downloads=True, viewport={"width": 1100, "height": 800})
    page = context.new_page()
    page.goto(f"{site}/admin/")
    assert page.url.startswith(f"{site}/admin/login")
    page.get_by_label("Username").fill("ada")
    page.get_by_label("Password").fill("not-it")
    page.get_by_role("button", name="Sign in").click()
    assert "wrong username or password" in page.get_by_role("alert").inner_text()
    page.get_by_label("Username").fill("ada")
    page.get_by_label("Password").fill(ADMIN_PASSWORD)
    page.keyboard.press("Enter")  # the keyboard is enough
    page.wait_for_url(f"{site}/admin/connectors")
    cookie = next(c for c in context.cookies() if c["name"] == "qbtransfer_admin")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    shoot(page, "connectors-empty")

    page.get_by_role("link", name="New Web Connector").click()
    assert "default one" in page.content()
    page.get_by_label("Name").fill("Acme Books")
    page.get_by_label("Communicate with QuickBooks As").select_option("qbwc-api")
    page.get_by_role("button", name="Create").click()
    assert page.get_by_role("heading", level=1).inner_text().startswith("Acme Books")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download .qwc File").click()
    qwc = tmp_path / "acme.qwc"
    download.value.save_as(qwc)
    root = etree.fromstring(qwc.read_bytes())
    path = "/" + root.findtext("AppURL").split("/", 3)[3]

    # The Web Connector runs the file on the QuickBooks machine.
    company = demo_company()
    company.write_file_id(root.findtext("OwnerID"), root.findtext("FileID"))
    sim = WebConnectorSim(
        f"{site}{path}",
        "qbwc-api",
        API_PASSWORD,
        company,
        owner_id=root.findtext("OwnerID"),
        file_id=root.findtext("FileID"),
        sleep=lambda s: None,
    )
    assert sim.run().outcome == "completed"
    page.reload()
    assert company.path in page.locator("#company-file").inner_text()
    shoot(page, "connector")

    # Map what the readiness check points at: a billing code and a line of business.
    page.get_by_role("link", name="Mappings").click()
    page.get_by_role("link", name="billing-codes").click()
    page.get_by_label("Remote support", exact=False).select_option("Consulting Income")
    page.get_by_role("button", name="Save mappings").click()
    assert "→ Consulting Income" in page.get_by_role("status").first.inner_text()
    shoot(page, "mappings")
    page.get_by_role("link", name="All mappings").click()
    page.get_by_role("link", name="lines-of-business").click()
    page.locator("select").first.select_option("Managed Services")
    page.get_by_role("button", name="Save mappings").click()
    assert "→ Managed Services" in page.content()

    # Enabling invoices shows their readiness check and how many go at once, first.
    page.goto(f"{site}/admin/connectors")
    page.get_by_role("link", name="Acme Books").click()
    assert "Synchronization is initially disabled" in page.content()
    page.get_by_label("Transfer Invoices").check()
    page.get_by_role("button", name="Save").click()
    assert "2 ready items will be queued at once" in page.locator("#ready-invoices").inner_text()
    shoot(page, "enable-invoices")
    page.get_by_role("button", name="Enable and queue").click()
    assert "Enabled: Transfer Invoices" in page.get_by_role("status").first.inner_text()

    # QBWC's next run transfers them; the history shows them and each attempt's qbXML. A QBWC
    # call reads the queue as the runner has applied it, without waiting (projections.ports):
    # the admin's click on Update Selected comes well after the runner's tenth of a second.
    assert wait_read_models_at_head(settings)
    assert sim.run().outcome == "completed"
    assert len(company.txns["Invoice"]) == 2
    page.get_by_role("link", name="Transfer history").click()
    page.get_by_label("Result").select_option("ok")
    page.get_by_role("button", name="Show").click()
    assert page.get_by_role("cell", name="invoices:INV-5001").is_visible()
    assert page.get_by_role("cell", name="succeeded").first.is_visible()
    shoot(page, "history")
    page.get_by_role("link", name="attempt 1").first.click()
    assert "<InvoiceAddRq" in page.locator("pre").first.inner_text()
    assert "<InvoiceAddRs" in page.locator("pre").nth(1).inner_text()
    shoot(page, "attempt-qbxml")

    page.set_viewport_size({"width": 380, "height": 800})  # a narrow window still works
    page.get_by_role("link", name="Web connectors").click()
    assert page.get_by_role("link", name="Acme Books").is_visible()
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{site}/admin/login")
    context.close()
