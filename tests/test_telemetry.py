"""What operators see: one log line per QBWC call, per transfer outcome and per session end
(as JSON lines with LOG_FORMAT=json, never a password, ticket or token), GET /metrics in the
Prometheus format (off, on, or behind a token), and the sessions in the JSON API."""

from __future__ import annotations

import dataclasses
import json
import logging

import pytest

from tests.helpers import API_PASSWORD
from tests.test_qbwc_sync import small_company, update
from tests.test_transfers_invoices import caught_up, session
from web.logs import formatter
from web.telemetry import Telemetry


def records(caplog, logger: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == logger]


def test_one_line_per_qbwc_call_with_its_outcome_and_no_secret(live, caplog):
    caplog.set_level(logging.INFO, logger="qbtransfer")
    company = small_company()
    assert update(live, company).outcome == "completed"
    calls = records(caplog, "qbtransfer.qbwc")
    methods = [r.method for r in calls]
    assert methods[:3] == ["serverVersion", "clientVersion", "authenticate"]
    assert methods[-1] == "closeConnection" and "receiveResponseXML" in methods
    auth = calls[2]
    assert auth.result == "work" and auth.code is None and auth.connector == "Acme Books"
    sessions = {r.session for r in calls[2:]}
    assert len(sessions) == 1 and None not in sessions
    assert all(r.duration_ms >= 0 for r in calls)
    assert "connector=Acme Books" in auth.getMessage()
    [ended] = records(caplog, "qbtransfer.sessions")
    assert ended.outcome == "completed" and ended.session in sessions

    json_lines = [formatter("json").format(r) for r in calls]
    decoded = [json.loads(line) for line in json_lines]
    assert decoded[2]["method"] == "authenticate" and decoded[2]["level"] == "INFO"
    assert {"time", "logger", "message", "session", "duration_ms"} <= set(decoded[2])
    everything = "\n".join(json_lines + [r.getMessage() for r in caplog.records])
    assert API_PASSWORD not in everything
    ticket = live.engine.qbwc_authenticate(live.reg.registration_id, "qbwc-api", API_PASSWORD)[0]
    assert ticket not in everything


def test_a_refused_authentication_is_logged_with_its_code_and_counted(live, caplog):
    caplog.set_level(logging.INFO, logger="qbtransfer")
    outcome = update(live, small_company(), password="wrong-password")
    assert outcome.outcome == "nvu"
    [auth] = [r for r in records(caplog, "qbtransfer.qbwc") if r.method == "authenticate"]
    assert auth.result == "refused" and str(auth.code).startswith("90")
    assert "wrong-password" not in "\n".join(r.getMessage() for r in caplog.records)


def test_each_transfer_outcome_is_a_line(shop, caplog):
    engine, reg, company, settings = shop
    Telemetry(settings).watch(engine)
    caplog.set_level(logging.INFO, logger="qbtransfer")
    engine.mark_ready("invoice", ["INV-5003"], by="tests")  # a name QuickBooks cannot take
    caught_up(engine, settings)
    session(engine, reg, company)
    lines = {r.document: r for r in records(caplog, "qbtransfer.transfers")}
    assert lines["INV-5001"].result == "ok" and lines["INV-5001"].levelname == "INFO"
    assert lines["INV-5003"].result == "failed" and lines["INV-5003"].levelname == "WARNING"
    assert "QuickBooks allows 41" in lines["INV-5003"].detail
    assert lines["INV-5001"].type == "invoices" and lines["INV-5001"].session


@pytest.fixture
def metered(settings, engine):
    from web import create_app

    def app_with(mode: str):
        return create_app(dataclasses.replace(settings, metrics=mode), engine=engine)

    return app_with


def test_metrics_are_off_unless_asked_for(metered):
    assert metered("off").test_client().get("/metrics").status_code == 404


def test_metrics_count_sessions_calls_transfers_refusals_and_lag(metered, engine, settings):
    from tests.test_qbwc_sync import serving_app

    app = metered("on")
    with serving_app(engine, settings, app) as served:
        assert update(served, small_company()).outcome == "completed"
        update(served, small_company(), password="wrong-password")
    text = app.test_client().get("/metrics").get_data(as_text=True)
    assert 'qbtransfer_sessions_total{outcome="completed"} 1.0' in text
    assert 'qbtransfer_sessions_total{outcome="refused"} 1.0' in text
    assert 'qbtransfer_soap_calls_total{method="authenticate",result="work"} 1.0' in text
    assert 'qbtransfer_soap_call_seconds_bucket{le="0.25",method="sendRequestXML"}' in text
    assert 'qbtransfer_authentications_refused_total{code="9' in text
    assert 'qbtransfer_read_model_lag_events{read_model="Sessions"}' in text
    assert "# TYPE qbtransfer_transfers_total counter" in text


def test_metrics_behind_a_token(metered, api_headers):
    client = metered("token").test_client()
    refused = client.get("/metrics")
    assert refused.status_code == 401 and refused.json["error"] == "unauthorized"
    assert client.get("/metrics", headers={"Authorization": "Bearer qbt_nope"}).status_code == 401
    assert client.get("/metrics", headers=api_headers).status_code == 200


def test_the_metrics_and_log_format_settings_are_checked():
    from engine.errors import ConfigurationError
    from engine.settings import Settings

    assert Settings.from_env({"METRICS": "TOKEN", "LOG_FORMAT": "json"}).metrics == "token"
    for bad in ({"METRICS": "yes"}, {"LOG_FORMAT": "xml"}):
        with pytest.raises(ConfigurationError):
            Settings.from_env(bad)


def test_sessions_in_the_api_by_id_or_prefix_with_the_qbxml_on_request(live, api_headers):
    assert update(live, small_company()).outcome == "completed"
    from web import create_app

    client = create_app(live.settings, engine=live.engine).test_client()
    listed = client.get("/api/v1/sessions?limit=5", headers=api_headers)
    assert listed.status_code == 200
    [first] = listed.json["sessions"]
    prefix = first["id"][:8]
    plain = client.get(f"/api/v1/sessions/{prefix}", headers=api_headers).json
    assert plain["id"] == first["id"] and plain["exchanges"]
    assert "request_xml" not in plain["exchanges"][0]
    full = client.get(f"/api/v1/sessions/{first['id']}?xml=1", headers=api_headers).json
    assert full["exchanges"][0]["request_xml"].startswith("<?xml")
    assert client.get("/api/v1/sessions/ffff0000", headers=api_headers).status_code == 404
    assert client.get("/api/v1/sessions?limit=0", headers=api_headers).status_code == 400
    assert (
        client.get(f"/api/v1/sessions/{prefix}?xml=maybe", headers=api_headers).status_code == 400
    )
