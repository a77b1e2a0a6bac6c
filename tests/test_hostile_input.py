"""Hostile input from outside, class by class, on SQLite and PostgreSQL: refused at the edge
with a clear, short answer, and never stored raw. Each test counts the stored events (and,
where it matters, their bytes) before and after."""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path

import pytest

from engine import passwords
from projections.runtime import fresh_view, rebuild
from tests.helpers import API_PASSWORD, log_size, register_connector, soap_call
from tests.qbsim import Company
from tests.test_admin_pages import HOSTILE

NUL = "\x00"


stored = log_size  # what a refused request must leave as it was


@pytest.fixture
def client(web_app):
    return web_app.test_client()


@pytest.fixture
def auth(engine, client):
    headers = {"Authorization": f"Bearer {engine.create_token('hostile')['token']}"}
    client.get("/api/v1/account", headers=headers)  # its first use is recorded (once an hour)
    return headers


def json_error(response, status: int) -> dict:
    assert response.status_code == status, response.data[:300]
    body = response.get_json()
    assert set(body) >= {"error", "detail"}, body
    assert len(body["detail"]) <= 520, len(body["detail"])
    return body


def authenticated(engine, client):
    """A registered connector, its simulated company, and a session's ticket."""
    reg = register_connector(engine)
    company = Company("Acme Books")
    company.write_file_id(reg.owner_id, reg.file_id)
    ticket = soap_call(
        client, reg.path, "authenticate", strUserName="qbwc-api", strPassword=API_PASSWORD
    )[0]
    return reg, company, ticket


def first_send(client, reg, company, ticket, major: object = 13, minor: object = 0) -> str:
    return soap_call(
        client,
        reg.path,
        "sendRequestXML",
        ticket=ticket,
        strHCPResponse=company.hcp_response(),
        strCompanyFileName=company.path,
        qbXMLCountry="US",
        qbXMLMajorVers=major,
        qbXMLMinorVers=minor,
    )


# -- NUL and other unstorable characters -------------------------------------------------------


def test_a_nul_in_the_soap_url_is_refused_and_the_read_models_survive(engine, settings, client):
    register_connector(engine)
    before = stored(engine)
    answer = soap_call(client, "/qbwc/abc%00def", "authenticate", strUserName="x", strPassword="y")
    assert answer[1:] == ["nvu", "", str(90100 * 60)]
    assert "90100" in soap_call(client, "/qbwc/abc%00def", "getLastError", ticket=answer[0])
    view = fresh_view(settings, engine, "sessions")
    try:
        [refused] = [s for s in view.sessions() if s["status"] == "refused"]
        assert NUL not in json.dumps(refused) and "\\u0000" in refused["registration_id"]
    finally:
        view.close()
    assert rebuild(settings, engine, "sessions") > 0
    assert stored(engine)[0] - before[0] <= 2


@pytest.mark.parametrize(
    "bad", [NUL, "\x1b", "\ud800", "\ufffe"], ids=["nul", "esc", "surrogate", "fffe"]
)
def test_unstorable_text_is_refused_on_the_json_api(engine, client, auth, bad):
    before = stored(engine)
    body = json_error(
        client.post(
            "/api/v1/users", headers=auth, json={"username": f"a{bad}b", "security_level": "admin"}
        ),
        400,
    )
    assert "username" in body["detail"] and "cannot be stored" in body["detail"]
    if bad != "\ud800":  # a URL cannot even carry a lone surrogate
        json_error(client.get(f"/api/v1/connectors?x=a{bad}", headers=auth), 400)
        json_error(client.get(f"/api/v1/connectors/a{bad}b", headers=auth), 400)
    assert stored(engine) == before


def test_a_nul_in_an_imported_name_is_refused_naming_record_and_field(engine, cli):
    data = {
        "format": "qbtransfer-psa/1",
        "organizations": [{"id": "ORG-1", "name": f"Bright{NUL}Corp"}],
    }
    before = stored(engine)
    from engine.psa.importing import ImportRefused

    with pytest.raises(ImportRefused) as info:
        engine.import_psa(data, by="test")
    [error] = [e for e in info.value.report["errors"] if e["record"] == "organizations/ORG-1"]
    assert error["field"] == "name" and "U+0000" in error["message"]
    assert stored(engine) == before


def test_command_line_arguments_are_checked(engine, cli):
    before = stored(engine)
    for bad in ("Acme\x01", "Acme\udcff"):
        result = cli("connectors", "create", "--name", bad, "--api-user", "nobody")
        assert result.exit_code == 2 and result.stderr.count("\n") == 1, result
        assert "cannot be stored" in result.stderr
    assert stored(engine) == before


# -- unauthenticated store growth ----------------------------------------------------------------


def test_refused_authenticates_are_bounded_and_collapsed(engine, client):
    reg = register_connector(engine)
    before = stored(engine)
    first = soap_call(
        client, reg.path, "authenticate", strUserName="u" * 1_000_000, strPassword="p"
    )
    assert first[1] == "nvu"
    after_first = stored(engine)
    assert after_first[0] - before[0] <= 2 and after_first[1] - before[1] < 2_000
    # The same refusal again and again, with other usernames and unknown registrations.
    for i in range(40):
        soap_call(client, reg.path, "authenticate", strUserName=f"guess{i}", strPassword="p")
        soap_call(client, f"/qbwc/{i:036d}", "authenticate", strUserName="x", strPassword="p")
        soap_call(client, reg.path, "closeConnection", ticket=first[0])
    after = stored(engine)
    assert after[0] - after_first[0] <= 2  # the unknown-registration refusal, once
    assert after[1] - before[1] < 4_000


def test_what_qbwc_sends_after_authenticating_is_recorded_bounded(engine, client):
    reg, _, ticket = authenticated(engine, client)
    before = stored(engine)
    answer = soap_call(
        client,
        reg.path,
        "connectionError",
        ticket=ticket,
        hresult="0x8004" * 100_000,
        message="m" * 2_000_000,
    )
    assert answer in ("done", "") or answer.startswith("C:")
    assert stored(engine)[1] - before[1] < 6_000


# -- answers never echo unbounded input --------------------------------------------------------


def test_errors_quote_short_excerpts(engine, client, auth, cli, tmp_path: Path):
    body = json_error(
        client.post(
            "/api/v1/users",
            headers=auth,
            json={"username": "u" * 1_000_000, "security_level": "admin"},
        ),
        400,
    )
    assert "(1000000 characters)" in body["detail"]
    name = "N" * 20_000_000
    document = {"format": "qbtransfer-psa/1", "organizations": [{"id": "ORG-1", "name": name}]}
    path = tmp_path / "big.json"
    path.write_text(json.dumps(document))
    result = cli("import", str(path), "--json")
    assert result.exit_code == 2 and len(result.stderr) < 600 and result.stderr.count("\n") == 1
    assert len(result.stdout) < 5_000  # the report quotes an excerpt too
    assert "(20000000 characters)" in result.stdout


# -- the JSON API never answers 500 -----------------------------------------------------------


def test_deep_nesting_lone_surrogates_and_unknown_routes_answer_json(engine, client, auth):
    before = stored(engine)
    deep = "[" * 100_000 + "]" * 100_000
    json_error(
        client.post(
            "/api/v1/connectors", headers={**auth, "Content-Type": "application/json"}, data=deep
        ),
        400,
    )
    nested = json.dumps(
        {"name": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["x"]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}
    )
    json_error(
        client.post(
            "/api/v1/connectors", headers={**auth, "Content-Type": "application/json"}, data=nested
        ),
        400,
    )
    json_error(
        client.post(
            "/api/v1/connectors",
            headers={**auth, "Content-Type": "application/json"},
            data='{"name": "\\ud800"}',
        ),
        400,
    )
    json_error(client.get("/api/v1/nowhere", headers=auth), 404)
    json_error(client.delete("/api/v1/account", headers=auth), 405)
    json_error(client.get("/api/v1/connectors%2fx", headers=auth), 404)
    json_error(client.get("/api/v1/users/a%2fb/x", headers=auth), 404)
    assert stored(engine) == before


# -- SOAP values QBWC or QuickBooks might send --------------------------------------------------


def _response(rets: str, **attrs: str) -> str:
    extra = "".join(f' {k}="{v}"' for k, v in attrs.items())
    return (
        '<?xml version="1.0" ?>\n<QBXML>\n<QBXMLMsgsRs>\n<AccountQueryRs requestID="1" '
        f'statusCode="0" statusSeverity="Info" statusMessage="Status OK"{extra}>{rets}'
        "</AccountQueryRs>\n</QBXMLMsgsRs>\n</QBXML>\n"
    )


@pytest.mark.parametrize(
    "response",
    [
        _response("", iteratorRemainingCount="\u00b2", iteratorID="{x}"),
        _response(
            "<AccountRet><ListID>1-1</ListID><EditSequence>1</EditSequence><Name>A</Name>"
            "<TimeModified>2026-01-05T10:00:00</TimeModified></AccountRet>"
            "<AccountRet><ListID>2-1</ListID><EditSequence>1</EditSequence><Name>B</Name>"
            "<TimeModified>2026-01-05T10:00:00-08:00</TimeModified></AccountRet>"
        ),
        _response(
            "<AccountRet><ListID>1-1</ListID><EditSequence>1</EditSequence><Name>A</Name>"
            "<TimeModified>0001-01-01T00:00:00+01:00</TimeModified></AccountRet>"
        ),
        _response("").replace('statusCode="0"', 'statusCode="\u0663"'),
    ],
    ids=["unicode-digit-count", "naive-and-aware-times", "year-one", "arabic-digit-status"],
)
def test_odd_values_from_quickbooks_are_named_problems_not_internal_errors(
    engine, client, caplog, response
):
    reg, company, ticket = authenticated(engine, client)
    first_send(client, reg, company, ticket)
    with caplog.at_level(logging.ERROR):
        progress = soap_call(
            client,
            reg.path,
            "receiveResponseXML",
            ticket=ticket,
            response=response,
            hresult="",
            message="",
        )
    assert not [r for r in caplog.records if r.exc_info], "a traceback was logged"
    if progress < 0:
        assert "internal error" not in soap_call(client, reg.path, "getLastError", ticket=ticket)


@pytest.mark.parametrize(
    "major, minor", [("-13", "0"), ("x", "y"), ("\u00b9\u00b3", "0"), ("99999999999999999999", "0")]
)
def test_odd_version_parts_get_a_clear_answer(engine, client, caplog, major, minor):
    reg, company, ticket = authenticated(engine, client)
    with caplog.at_level(logging.ERROR):
        first_send(client, reg, company, ticket, major, minor)
    assert not [r for r in caplog.records if r.exc_info], "a traceback was logged"
    assert "internal error" not in soap_call(client, reg.path, "getLastError", ticket=ticket)


# -- parallel guesses --------------------------------------------------------------------------


def test_every_parallel_wrong_password_counts_and_costs_one_hash(engine, monkeypatch):
    reg = register_connector(engine)
    engine.change_account(lockout_attempts=60)
    calls = []
    real = passwords.verify_password

    def counting(hash_: str, password: str) -> bool:
        calls.append(password)
        return real(hash_, password)

    monkeypatch.setattr(passwords, "verify_password", counting)
    answers: list[list[str]] = []

    def guess(i: int) -> None:
        answers.append(engine.qbwc_authenticate(reg.registration_id, "qbwc-api", f"wrong-{i}"))

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(30)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(calls) == 30  # one scrypt per guess, whatever the races
    assert all(a[1] == "nvu" for a in answers), answers
    assert engine.get_user("qbwc-api")["failed_attempts"] == 30


# -- the command line's import ------------------------------------------------------------------


@pytest.mark.parametrize(
    "content, words",
    [
        (
            b'{"format": "qbtransfer-psa/1", "organizations": [{"id": "ORG-1", "name": "\xff"}]}',
            "not UTF-8",
        ),
        (b"[" * 100_000 + b"]" * 100_000, "nests deeper"),
        (
            b'{"format": "qbtransfer-psa/1", "organizations": '
            b'[{"id": "ORG-1", "name": "\\ud800"}]}',
            "cannot be stored",
        ),
    ],
    ids=["not-utf8", "deep", "surrogate"],
)
def test_cli_import_refuses_in_one_line(engine, cli, tmp_path: Path, content, words):
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    before = stored(engine)
    result = cli("import", str(path))
    assert result.exit_code == 2 and result.stderr.count("\n") == 1, result
    assert words in result.stderr + result.stdout
    assert stored(engine) == before


# -- hosts, redirects and headers ----------------------------------------------------------------


def test_a_forged_host_is_refused_and_nothing_redirects(client):
    assert client.get("/healthz", headers={"Host": "evil.example"}).status_code == 400
    for path in ("//evil.example/support", "//support", "/support/"):
        response = client.get("/", environ_overrides={"PATH_INFO": path})
        assert "Location" not in response.headers, path
        assert response.status_code in (200, 404), path


def test_security_headers(client, auth):
    page = client.get("/qbwc/<script>")
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    api = client.get("/api/v1/account", headers=auth)
    assert api.headers["Cache-Control"] == "no-store"
    assert client.get("/api/v1/nowhere").headers["Cache-Control"] == "no-store"


# -- API tokens ------------------------------------------------------------------------------------


def test_tokens_are_listed_and_revoked_never_shown_again(engine, client, auth, cli):
    second = client.post("/api/v1/tokens", headers=auth, json={"name": "ci"})
    assert second.status_code == 201 and second.get_json()["token"].startswith("qbt_")
    json_error(client.post("/api/v1/tokens", headers=auth, json={"name": "CI"}), 409)
    listed = client.get("/api/v1/tokens", headers=auth).get_json()["tokens"]
    assert {t["name"] for t in listed} == {"hostile", "ci"}
    assert all("token" not in t and "digest" not in t for t in listed)
    assert next(t for t in listed if t["name"] == "hostile")["last_used_at"]
    shown = cli("tokens", "list", "--json")
    assert shown.exit_code == 0 and second.get_json()["token"] not in shown.stdout
    revoked = cli("tokens", "revoke", "ci", "--json")
    assert revoked.exit_code == 0 and revoked.json()["revoked_at"]
    ci = {"Authorization": f"Bearer {second.get_json()['token']}"}
    json_error(client.get("/api/v1/account", headers=ci), 401)
    again = cli("tokens", "revoke", "ci")
    assert again.exit_code == 2 and "already revoked" in again.stderr
    assert cli("tokens", "revoke", "nope").exit_code == 2


# -- ids of one kind given where another belongs -----------------------------------------------


def test_an_id_of_another_kind_is_not_found_not_a_traceback(engine, cli, client, auth):
    reg = register_connector(engine)
    before = stored(engine)
    for command in (
        ("registrations", "revoke", reg.connector_id),
        ("sessions", "show", reg.connector_id),
    ):
        result = cli(*command)
        assert result.exit_code == 2, result
        assert "no registration" in result.stderr or "no session" in result.stderr
    json_error(client.post(f"/api/v1/registrations/{reg.connector_id}/revoke", headers=auth), 404)
    json_error(client.get(f"/api/v1/registrations/{reg.connector_id}", headers=auth), 404)
    answer = soap_call(
        client, f"/qbwc/{reg.connector_id}", "authenticate", strUserName="x", strPassword="y"
    )
    assert answer[1:] == ["nvu", "", str(90100 * 60)]
    assert stored(engine)[0] - before[0] <= 2  # the refused authenticate, recorded once


@pytest.mark.parametrize("bad", HOSTILE, ids=lambda v: repr(v[:12]))
def test_the_audit_the_notices_and_the_email_settings_refuse_hostile_values(
    engine, cli, client, auth, bad, tmp_path: Path
):
    """The surfaces added since the first sweep (the admin pages have theirs in
    test_admin_pages): a clear refusal, never a traceback or a 500, and the store unchanged."""
    reg = register_connector(engine)
    before = stored(engine)
    for args in (
        ("audit", "replay", "--document", f"invoice:{bad}"),
        ("audit", "replay", "--document", bad),
        ("audit", "replay", "--connector", bad),
        ("audit", "replay", "--session", bad),
        ("audit", "replay", "--connector", reg.connector_id, "--as-of", bad),
        ("audit", "export", "--connector", bad, "--since", "2026-01-01",
         "--output", str(tmp_path / "a.jsonl")),
        ("audit", "export", "--connector", reg.connector_id, "--since", bad,
         "--output", str(tmp_path / "b.jsonl")),
        ("notices", "list", "--connector", bad),
        ("connectors", "change", reg.connector_id, "--emails", bad),
    ):  # fmt: skip
        result = cli(*args)
        assert result.exit_code == 2, (args[:3], result.exit_code, result.stderr[-300:])
        assert "Traceback" not in result.stderr + result.stdout
        assert len(result.stderr) < 1_000, len(result.stderr)  # an excerpt, not the value
    assert not (tmp_path / "a.jsonl").exists() and not (tmp_path / "b.jsonl").exists()
    patch = client.patch(
        f"/api/v1/connectors/{reg.connector_id}", headers=auth, json={"emails": bad}
    )
    json_error(patch, 400)
    for query in ("connector", "document_id", "document_type", "status", "since"):
        response = client.get("/api/v1/history", headers=auth, query_string={query: bad})
        assert response.status_code in (200, 400, 404), (query, response.status_code)
        assert response.is_json
    assert stored(engine) == before
