"""`connectors refresh-lists`: an account added in QuickBooks is mappable after the next run,
without waiting for the hourly refresh; `--full` asks for every record again."""

from __future__ import annotations

from tests.test_qbwc_sync import counts, small_company, update
from web.views import sessions_list

ADD_ACCOUNT = (
    '<?xml version="1.0"?><?qbxml version="13.0"?><QBXML><QBXMLMsgsRq onError="stopOnError">'
    "<AccountAddRq><AccountAdd><Name>Managed Services Income</Name><AccountType>Income"
    "</AccountType></AccountAdd></AccountAddRq></QBXMLMsgsRq></QBXML>"
)


def recorded_by_last_session(live) -> dict[str, int]:
    session_id = sessions_list(live.settings, live.engine)[0]["id"]
    return live.engine.get_session(session_id)["recorded"]


def test_an_account_added_in_quickbooks_is_pulled_at_the_next_run_after_a_refresh(live):
    company = small_company()
    assert update(live, company).outcome == "completed"
    company.clock.advance(minutes=5)
    company.process(ADD_ACCOUNT)
    assert update(live, company).outcome == "none"  # within the hour: nothing to do

    asked = live.engine.request_list_refresh(live.reg.connector_id, requested_by="test")
    assert asked["refresh_pending"] and not asked["full"]
    assert "next QBWC run" in asked["note"]
    assert update(live, company).outcome == "completed"
    recorded = recorded_by_last_session(live)
    assert recorded["accounts"] == 1 and sum(recorded.values()) == 1  # only what changed
    assert counts(live)["accounts"] == 3
    status = live.engine.list_sync_status(live.reg.connector_id)
    assert status["refresh_pending"] == [] and all(status["lists"].values())
    assert update(live, company).outcome == "none"  # the refresh is spent


def test_a_full_refresh_pulls_every_record_again(live):
    company = small_company()
    assert update(live, company).outcome == "completed"
    before = counts(live)
    asked = live.engine.request_list_refresh(live.reg.connector_id, full=True)
    assert asked["full"] and "every record again" in asked["note"]
    # A later incremental request keeps the full one it joins.
    assert live.engine.request_list_refresh(live.reg.connector_id)["full"]
    assert update(live, company).outcome == "completed"
    recorded = recorded_by_last_session(live)
    assert recorded["accounts"] == 2 and recorded["customers"] == 2  # everything came again
    assert counts(live) == before  # and nothing was counted twice
    assert not live.engine.list_sync_status(live.reg.connector_id)["full"]


def test_a_deletion_sync_is_its_own_request_and_says_the_lists_come_too(live, cli):
    company = small_company()
    assert update(live, company).outcome == "completed"
    live.engine.request_deletion_sync(live.reg.connector_id)
    status = live.engine.list_sync_status(live.reg.connector_id)
    assert status["deletion_sync_due"] and status["refresh_pending"] == []
    result = cli("connectors", "sync-deletions", "--help")
    assert "refresh-lists" in " ".join(result.stdout.split()).replace("- ", "-")


def test_refresh_lists_from_the_cli_and_the_api(live, cli, web_app, api_headers):
    company = small_company()
    assert update(live, company).outcome == "completed"
    result = cli("connectors", "refresh-lists", live.reg.connector_id, "--full", "--json")
    assert result.exit_code == 0, result.stdout
    assert result.json()["full"] is True
    text = cli("connectors", "refresh-lists", live.reg.connector_id)
    assert "the next QBWC run pulls the lists first" in text.stdout
    assert "ship methods" in text.stdout and "last pulled" in text.stdout

    client = web_app.test_client()
    path = f"/api/v1/connectors/{live.reg.connector_id}"
    answer = client.post(f"{path}/refresh-lists", json={"full": False}, headers=api_headers)
    assert answer.status_code == 200 and answer.json["refresh_pending"]
    assert client.get(f"{path}/lists", headers=api_headers).json["lists"]["accounts"]
    refused = client.post(f"{path}/refresh-lists", json={"full": "yes"}, headers=api_headers)
    assert refused.status_code == 400
    assert client.post(f"{path}/sync-deletions", headers=api_headers).json["name"]
    missing = cli("connectors", "refresh-lists", "no-such-connector")
    assert missing.exit_code == 2 and missing.stderr.startswith("error: ")
