"""The command line after a QBWC session: connectors show, sessions, clear-company-file,
sync-deletions and the read models."""

from __future__ import annotations

import re

import pytest

from engine.aggregates.quickbooks_lists import LIST_NAMES
from tests.helpers import register_connector, run_session
from tests.qbsim import Company


@pytest.fixture
def synced(engine, cli):
    reg = register_connector(engine)
    company = Company("Acme Books")
    company.seed_bulk(customers=12, accounts=7, items=3)
    company.write_file_id(reg.owner_id, reg.file_id)
    company.begin_session()
    session_id = run_session(engine, reg, company)
    return reg, company, session_id


def test_connectors_show_after_the_first_handshake(cli, synced):
    reg, company, _ = synced
    shown = cli("connectors", "show", reg.connector_id, "--json").json()
    assert shown["company_file_location"] == company.path
    assert shown["company_file_id"] == reg.file_id
    assert shown["qbxml_version"] == "13.0"
    assert set(shown["last_session"]) == {"id", "started", "ended", "result"}
    assert shown["last_session"]["result"] == "completed"
    lists = shown["quickbooks_lists"]
    assert {
        "accounts",
        "classes",
        "employees",
        "vendors",
        "payroll_items",
        "items",
        "customers",
        "terms",
        "sales_tax_codes",
    } <= set(lists)
    assert (lists["customers"], lists["accounts"], lists["items"]) == (12, 7, 3)
    human = cli("connectors", "show", "Acme Books")
    assert re.search(r"quickbooks_lists.customers +12\n", human.stdout)
    assert company.path in human.stdout


def test_sessions_list_and_show(cli, engine, synced):
    reg, _, session_id = synced
    engine.qbwc_authenticate(reg.registration_id, "qbwc-api", "wrong password")
    listed = cli("sessions", "list", "--json").json()["sessions"]
    assert [s["status"] for s in listed] == ["refused", "closed"]
    assert listed[0]["refusal_code"] == 90509
    assert listed[1]["id"] == session_id and listed[1]["exchanges"] >= 1
    assert (
        cli("sessions", "list", "--connector", reg.connector_id, "--json").json()["sessions"][1][
            "id"
        ]
        == session_id
    )
    shown = cli("sessions", "show", session_id, "--json").json()
    first = shown["exchanges"][0]
    assert "<AccountQueryRq" in first["request_xml"] and "<AccountRet>" in first["response_xml"]
    assert first["status"] == "answered" and first["duration_ms"] is not None
    # Every list was asked for, the small ones several to a message.
    purposes = [step for x in shown["exchanges"] for step in x["purpose"].split(", ")]
    assert set(purposes) == set(LIST_NAMES) and len(shown["exchanges"]) < len(LIST_NAMES)
    assert len(shown["exchanges"]) == listed[1]["exchanges"]
    text = cli("sessions", "show", session_id)
    assert "exchange 1 (accounts)" in text.stdout
    assert cli("sessions", "show", "nope").exit_code == 2


def test_clear_company_file_and_sync_deletions(cli, engine, synced):
    reg, company, _ = synced
    due = cli("connectors", "sync-deletions", reg.connector_id, "--json")
    assert due.exit_code == 0
    company.delete_list_record("customer", "Customer 00004")
    run_session(engine, reg, company)
    assert (
        cli("connectors", "show", reg.connector_id, "--json").json()["quickbooks_lists"][
            "customers"
        ]
        == 11
    )
    cleared = cli("connectors", "clear-company-file", reg.connector_id, "--yes", "--json").json()
    assert cleared["company_file_location"] is None
    shown = cli("connectors", "show", reg.connector_id, "--json").json()
    assert set(shown["quickbooks_lists"].values()) == {0}
    regs = cli("registrations", "list", "--connector", reg.connector_id, "--json").json()
    assert all(r["revoked"] for r in regs["registrations"])
    again = cli("connectors", "clear-company-file", reg.connector_id, "--yes")
    assert again.exit_code == 2 and "no company file linked" in again.stderr


def test_projections_status_and_rebuild(cli, synced):
    status = cli("projections", "status", "--json").json()
    assert set(status["read_models"]) == {
        "QuickBooksLists",
        "Sessions",
        "PsaRecords",
        "Transfers",
        "TransferHistory",
        "Notices",
    }
    assert status["log_position"] > 0
    rebuilt = cli("projections", "rebuild", "--all", "--json").json()["rebuilt"]
    assert rebuilt["QuickBooksLists"]["applied"] > 0 and rebuilt["Sessions"]["applied"] > 0
    one = cli("projections", "rebuild", "sessions")
    assert one.exit_code == 0 and "Sessions:" in one.stdout and "swapped in" in one.stdout
    after = cli("projections", "status", "--json").json()
    assert all(m["lag"] == 0 for m in after["read_models"].values()), after
    assert after["read_models"]["Sessions"]["position"] <= after["log_position"]
    reg, _, _ = synced
    assert (
        cli("connectors", "show", reg.connector_id, "--json").json()["quickbooks_lists"][
            "customers"
        ]
        == 12
    )
    assert cli("projections", "rebuild", "nope").exit_code == 2
    neither = cli("projections", "rebuild")
    assert neither.exit_code == 2 and "--all" in neither.stderr
    assert cli("projections", "rebuild", "sessions", "--all").exit_code == 2
