"""Documents (ready, withdraw, show, list) and assigning organizations and resources to
connectors, through the command line and the API."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import register_connector
from tests.test_import import DEMO


@pytest.fixture
def imported(engine, cli):
    result = cli("import", str(DEMO), "--json")
    assert result.exit_code == 0, result.stderr
    return result.json()


def test_import_on_the_command_line(cli, imported, tmp_path: Path):
    assert imported["counts"]["invoices"]["created"] == 3
    again = cli("import", str(DEMO))
    assert again.exit_code == 0 and "unchanged 3" in again.stdout
    schema = cli("import", "--schema")
    assert json.loads(schema.stdout)["title"] == "qbtransfer-psa/1"
    piped = cli("import", "-", "--dry-run", "--json", stdin=DEMO.read_text())
    assert piped.json()["dry_run"] is True


def test_an_import_with_errors_exits_2_with_one_line_and_the_full_report(cli, tmp_path: Path):
    data = json.loads(DEMO.read_text())
    data["invoices"][0]["organization_id"] = "ORG-999"
    data["timesheets"][0]["status"] = "submitted"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data))
    result = cli("import", str(bad), "--json")
    assert result.exit_code == 2
    assert (
        len(result.stderr.splitlines()) == 1 and "2 errors; nothing was imported" in result.stderr
    )
    report = result.json()
    assert report["imported"] is False
    assert {e["record"] for e in report["errors"]} == {"invoices/INV-5001", "timesheets/TS-301"}
    assert cli("documents", "list", "--json").json()["documents"] == []
    partial = cli("import", str(bad), "--continue-on-error", "--json")
    assert partial.exit_code == 0 and partial.json()["counts"]["invoices"]["refused"] == 1
    not_json = tmp_path / "x.json"
    not_json.write_text("{nope")
    assert "is not JSON" in cli("import", str(not_json)).stderr
    assert cli("import", str(tmp_path / "missing.json")).exit_code == 2


def test_documents_list_show_ready_and_withdraw(cli, imported):
    listed = cli("documents", "list", "--type", "invoice", "--json").json()["documents"]
    assert [(d["id"], d["status"]) for d in listed] == [
        ("INV-5001", "ready"),
        ("INV-5002", "ready"),
        ("INV-5003", "not_ready"),
    ]
    ready = cli("documents", "list", "--status", "ready", "--json").json()["documents"]
    assert [d["type"] for d in ready] == [
        "invoices",
        "invoices",
        "timesheets",
        "expense_reports",
        "purchase_orders",
    ]
    shown = cli("documents", "show", "invoice", "INV-5003", "--json").json()
    assert shown["status"] == "not_ready" and shown["data"]["organization_id"] == "ORG-102"
    done = cli("documents", "ready", "invoice", "INV-5003", "--json").json()
    assert done["documents"][0]["status"] == "ready"
    withdrawn = cli("documents", "withdraw", "invoices", "INV-5001", "INV-5002", "--json").json()
    assert [d["status"] for d in withdrawn["documents"]] == ["withdrawn", "withdrawn"]
    again = cli("documents", "withdraw", "invoice", "INV-5001")
    assert again.exit_code == 2 and "nothing to withdraw" in again.stderr
    assert cli("documents", "show", "invoice", "INV-9").exit_code == 2
    assert "unknown document type" in cli("documents", "list", "--type", "quote").stderr


def test_ready_is_all_or_nothing_and_needs_approval(cli, engine, imported):
    data = json.loads(DEMO.read_text())
    data["timesheets"][0]["status"] = "submitted"
    data["timesheets"][0]["ready_to_transfer"] = False
    engine.import_psa(data, by="test")
    engine.withdraw("timesheet", ["TS-301"], by="test")
    result = cli("documents", "ready", "timesheet", "TS-301")
    assert result.exit_code == 2 and "only approved timesheets" in result.stderr
    both = cli("documents", "ready", "invoice", "INV-5003", "INV-404")
    assert both.exit_code == 2
    assert engine.get_document("invoice", "INV-5003")["status"] == "not_ready"


def test_organizations_and_resources_are_assigned_to_connectors(cli, engine, imported):
    register_connector(engine, name="Main (default)")
    second = register_connector(engine, name="Canada")
    result = cli("organizations", "assign", "ORG-101", "--connector", "Canada", "--json").json()
    assert result["connector_id"] == second.connector_id
    assert (
        cli("resources", "assign", "RES-2", "--connector", second.connector_id, "--json").json()[
            "connector_id"
        ]
        == second.connector_id
    )
    back = cli("organizations", "assign", "ORG-101", "--default", "--json").json()
    assert back["connector_id"] is None
    assert cli("organizations", "assign", "ORG-101").exit_code == 2
    assert cli("organizations", "assign", "ORG-404", "--connector", "Canada").exit_code == 2
    shown = cli("resources", "show", "RES-2", "--json").json()
    assert shown["name"] == "Ortega, Luis" and shown["connector_id"] == second.connector_id


def test_the_api(engine, web_app):
    token = engine.create_token("t")["token"]
    auth = {"Authorization": f"Bearer {token}"}
    client = web_app.test_client()
    data = json.loads(DEMO.read_text())
    dry = client.post("/api/v1/import?dry_run=1", json=data, headers=auth)
    assert dry.status_code == 200 and dry.get_json()["dry_run"] is True
    assert client.post("/api/v1/import", json=data, headers=auth).get_json()["imported"]
    bad = json.loads(DEMO.read_text())
    bad["resources"][0]["active"] = "yes"
    refused = client.post("/api/v1/import", json=bad, headers=auth)
    assert refused.status_code == 422
    body = refused.get_json()
    assert body["error"] == "invalid" and body["report"]["errors"][0]["record"] == "resources/RES-1"
    assert (
        client.get("/api/v1/import/schema", headers=auth).get_json()["title"] == "qbtransfer-psa/1"
    )
    docs = client.get("/api/v1/documents?type=invoice&status=ready", headers=auth).get_json()
    assert [d["id"] for d in docs["documents"]] == ["INV-5001", "INV-5002"]
    assert (
        client.post("/api/v1/documents/invoice/INV-5001/withdraw", headers=auth).get_json()[
            "status"
        ]
        == "withdrawn"
    )
    assert (
        client.post("/api/v1/documents/invoice/INV-5001/ready", headers=auth).get_json()["status"]
        == "ready"
    )
    assert client.get("/api/v1/documents/invoice/INV-404", headers=auth).status_code == 404
    register_connector(engine, name="Main")
    reg = register_connector(engine, name="Second")
    assigned = client.post(
        "/api/v1/organizations/ORG-100/assign", json={"connector": "Second"}, headers=auth
    )
    assert assigned.status_code == 200
    assert assigned.get_json()["connector_id"] == reg.connector_id
    assert (
        client.post(
            "/api/v1/organizations/ORG-100/assign", json={"connector": None}, headers=auth
        ).get_json()["connector_id"]
        is None
    )
    assert client.post("/api/v1/resources/RES-1/assign", json={}, headers=auth).status_code == 400
