"""Web connectors: creation rules, the default, and settings recorded as events."""

from __future__ import annotations

from uuid import UUID

import pytest

from engine.errors import Conflict, InvalidValue, NotFound
from tests.helpers import make_api_user


@pytest.fixture
def api_user(engine):
    return make_api_user(engine)


def event_names(engine, connector_id: str) -> list[str]:
    return [type(e).__qualname__ for e in engine.events.get(UUID(connector_id))]


def test_the_first_connector_is_the_default_forever(engine, api_user):
    first = engine.create_connector(name="Acme Books (default)", api_username="qbwc-api")
    second = engine.create_connector(name="Acme Canada", api_username="qbwc-api")
    assert first["is_default"] is True
    assert second["is_default"] is False
    assert engine.get_account()["default_connector_id"] == first["id"]
    assert [c["name"] for c in engine.list_connectors()] == ["Acme Books (default)", "Acme Canada"]
    assert not hasattr(engine, "delete_connector")


def test_a_connector_needs_a_name_of_at_most_80_characters(engine, api_user):
    with pytest.raises(InvalidValue, match="needs a name"):
        engine.create_connector(name="   ", api_username="qbwc-api")
    with pytest.raises(InvalidValue, match="longer than 80"):
        engine.create_connector(name="x" * 81, api_username="qbwc-api")
    assert engine.create_connector(name="x" * 80, api_username="qbwc-api")["name"] == "x" * 80


def test_connector_names_are_unique(engine, api_user):
    engine.create_connector(name="Acme Books", api_username="qbwc-api")
    with pytest.raises(Conflict, match="already exists"):
        engine.create_connector(name="  acme   books ", api_username="qbwc-api")


def test_the_api_user_must_be_an_active_api_only_user(engine, api_user):
    engine.create_user("boss", security_level="admin")
    with pytest.raises(InvalidValue, match="'boss' is not an API-only user"):
        engine.create_connector(name="A", api_username="boss")
    with pytest.raises(InvalidValue, match="no user named 'ghost'"):
        engine.create_connector(name="A", api_username="ghost")
    engine.change_user("qbwc-api", status="inactive")
    with pytest.raises(InvalidValue, match="'qbwc-api' is inactive"):
        engine.create_connector(name="A", api_username="qbwc-api")
    assert engine.list_connectors() == []


def test_transfer_settings_start_off_and_each_change_is_an_event(engine, api_user):
    c = engine.create_connector(name="Acme", api_username="qbwc-api")
    assert not any(
        c[k]
        for k in (
            "transfer_invoices",
            "transfer_timesheets",
            "transfer_expense_reports",
            "transfer_purchase_orders",
            "sync_inventory_on_next_run",
            "transfer_taxes_directly",
        )
    )
    assert c["emails"] == [] and c["income_account"] is None and c["auto_run_minutes"] == 15
    changed = engine.change_connector(
        c["id"],
        transfers={"invoices": True, "timesheets": True},
        emails="ap@acme.example; it@acme.example",
        auto_run_minutes=60,
        income_account="Autotask Income from PO",
        transfer_taxes_directly=True,
    )
    assert changed["transfer_invoices"] and changed["transfer_timesheets"]
    assert changed["emails"] == ["ap@acme.example", "it@acme.example"]
    assert changed["auto_run_minutes"] == 60
    assert changed["income_account"] == "Autotask Income from PO"
    assert changed["transfer_taxes_directly"] is True
    assert event_names(engine, c["id"]) == [
        "WebConnector.Created",
        "WebConnector.TransferOptionsChanged",
        "WebConnector.EmailsChanged",
        "WebConnector.AutoRunIntervalChanged",
        "WebConnector.IncomeAccountChanged",
        "WebConnector.TaxesDirectlyChanged",
    ]
    # Setting the same values again records nothing.
    engine.change_connector(c["id"], transfers={"invoices": True}, auto_run_minutes=60)
    assert len(event_names(engine, c["id"])) == 6


def test_purchase_orders_and_inventory_belong_to_one_connector(engine, api_user):
    first = engine.create_connector(name="Main file", api_username="qbwc-api")
    second = engine.create_connector(name="Second file", api_username="qbwc-api")
    engine.change_connector(first["id"], transfers={"purchase_orders": True})
    before = engine.recorder.max_notification_id()
    with pytest.raises(Conflict, match="already enabled on web connector 'Main file'"):
        engine.change_connector(second["id"], transfers={"purchase_orders": True, "invoices": True})
    assert engine.recorder.max_notification_id() == before
    assert engine.get_connector(second["id"])["transfer_invoices"] is False
    engine.change_connector(first["id"], transfers={"purchase_orders": False})
    assert engine.change_connector(second["id"], transfers={"purchase_orders": True})[
        "transfer_purchase_orders"
    ]


def test_inventory_sync_on_next_run_needs_purchase_order_transfer(engine, api_user):
    c = engine.create_connector(name="Main", api_username="qbwc-api")
    with pytest.raises(InvalidValue, match="does not transfer purchase orders"):
        engine.change_connector(c["id"], sync_inventory_now=True)
    c = engine.change_connector(
        c["id"], transfers={"purchase_orders": True}, sync_inventory_now=True
    )
    assert c["sync_inventory_on_next_run"] is True
    assert (
        engine.change_connector(c["id"], transfers={"purchase_orders": False})[
            "sync_inventory_on_next_run"
        ]
        is False
    )


@pytest.mark.parametrize(
    "emails", ["not-an-address", "a@b.com; nope", "a@b.com;x y@z.com", "a@-b.com"]
)
def test_bad_email_addresses_are_refused_naming_the_address(engine, api_user, emails):
    c = engine.create_connector(name="Main", api_username="qbwc-api")
    with pytest.raises(InvalidValue, match="is not a valid e-mail address"):
        engine.change_connector(c["id"], emails=emails)
    assert engine.get_connector(c["id"])["emails"] == []


def test_emails_can_be_cleared(engine, api_user):
    c = engine.create_connector(name="Main", api_username="qbwc-api")
    engine.change_connector(c["id"], emails="a@b.com")
    assert engine.change_connector(c["id"], emails="")["emails"] == []


@pytest.mark.parametrize("minutes", [0, 14, 10081])
def test_the_auto_run_interval_is_at_least_15_minutes(engine, api_user, minutes):
    c = engine.create_connector(name="Main", api_username="qbwc-api")
    with pytest.raises(InvalidValue, match="at least|between 15"):
        engine.change_connector(c["id"], auto_run_minutes=minutes)


def test_a_refused_change_changes_nothing(engine, api_user):
    c = engine.create_connector(name="Main", api_username="qbwc-api")
    before = engine.recorder.max_notification_id()
    with pytest.raises(InvalidValue):
        engine.change_connector(c["id"], transfers={"invoices": True}, auto_run_minutes=1)
    assert engine.recorder.max_notification_id() == before
    assert engine.get_connector(c["id"])["transfer_invoices"] is False


def test_connectors_are_found_by_id_or_name(engine, api_user):
    c = engine.create_connector(name="Main Books", api_username="qbwc-api")
    assert engine.get_connector("main books")["id"] == c["id"]
    assert engine.get_connector(c["id"].replace("-", ""))["id"] == c["id"]
    with pytest.raises(NotFound):
        engine.get_connector("nope")


def test_renaming_and_reassigning_the_api_user(engine, api_user):
    make_api_user(engine, "second-api")
    c = engine.create_connector(name="Main", api_username="qbwc-api")
    other = engine.create_connector(name="Other", api_username="qbwc-api")
    with pytest.raises(Conflict):
        engine.change_connector(other["id"], name="main")
    changed = engine.change_connector(c["id"], name="Main file", api_username="second-api")
    assert (changed["name"], changed["api_user"]) == ("Main file", "second-api")
    assert "WebConnector.ApiUserAssigned" in event_names(engine, c["id"])
