"""The QBWC endpoint, driven through SOAP: authenticate and its 90xxx codes, busy and none, the
company-file check, expired tickets, calls out of order, and hardened XML."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace
from uuid import uuid4

import pytest
from lxml import etree

from tests.helpers import API_PASSWORD, register_connector, soap_call
from tests.qbsim import Company
from tests.qbsim.soap import envelope
from web.qbwc import TNS

HCP_VERSION = {"qbXMLCountry": "US", "qbXMLMajorVers": 13, "qbXMLMinorVers": 0}


@pytest.fixture
def qb(engine, web_app):
    reg = register_connector(engine)
    client = web_app.test_client()
    company = Company("Acme Books")
    company.seed_bulk(customers=5, accounts=5)
    company.write_file_id(reg.owner_id, reg.file_id)
    company.begin_session()

    def call(operation: str, path: str = reg.path, **params):
        return soap_call(client, path, operation, **params)

    return SimpleNamespace(engine=engine, reg=reg, client=client, company=company, call=call)


def authenticate(qb, username: str = "qbwc-api", password: str = API_PASSWORD, **kw) -> list:
    return qb.call("authenticate", strUserName=username, strPassword=password, **kw)


def first_send(qb, ticket: str, company_file: str | None = None, **overrides) -> str:
    params = {
        "ticket": ticket,
        "strHCPResponse": qb.company.hcp_response(),
        "strCompanyFileName": company_file or qb.company.path,
        **HCP_VERSION,
        **overrides,
    }
    return qb.call("sendRequestXML", **params)


def run_to_end(qb, ticket: str) -> list[int]:
    """Answer every message with the simulated company until the server says 100."""
    progress, request = [], first_send(qb, ticket)
    while True:
        assert request, qb.call("getLastError", ticket=ticket)
        done = qb.call(
            "receiveResponseXML",
            ticket=ticket,
            response=qb.company.process(request),
            hresult="",
            message="",
        )
        progress.append(int(done))
        if int(done) >= 100:
            return progress
        request = qb.call(
            "sendRequestXML",
            ticket=ticket,
            strHCPResponse="",
            strCompanyFileName=qb.company.path,
            **HCP_VERSION,
        )


# -- authenticate ------------------------------------------------------------------------------


def test_a_successful_authenticate(qb):
    first = authenticate(qb)
    assert first[1:] == ["", "", "900"]
    assert len(first[0]) >= 22  # at least 128 bits, URL-safe base64
    raw = qb.client.post(
        qb.reg.path,
        data=envelope("authenticate", {"strUserName": "qbwc-api", "strPassword": API_PASSWORD}),
        headers={"SOAPAction": f'"{TNS}authenticate"', "Content-Type": "text/xml; charset=utf-8"},
    )
    root = etree.fromstring(raw.data)
    items = root.findall(f".//{{{TNS}}}authenticateResult/{{{TNS}}}string")
    assert len(items) == 4  # empty slots are kept, in the service namespace
    assert items[0].text != first[0]


def refused(qb, expected_code: int, **kw) -> str:
    answer = authenticate(qb, **kw)
    assert answer[1:] == ["nvu", "", str(expected_code * 60)], answer
    path = {"path": kw["path"]} if "path" in kw else {}
    explanation = qb.call("getLastError", ticket=answer[0], **path)
    assert explanation.startswith(str(expected_code))
    assert qb.call("closeConnection", ticket=answer[0], **path).startswith(str(expected_code))
    return explanation


def test_unknown_and_revoked_registrations(qb):
    refused(qb, 90100, path=f"/qbwc/{uuid4()}")
    refused(qb, 90100, path="/qbwc/not-a-registration")
    qb.engine.revoke_registration(qb.reg.registration_id, reason="new laptop", revoked_by="t")
    assert "download the .qwc again" in refused(qb, 90101).lower()


def test_account_status_codes(qb):
    qb.engine.change_account(status="inactive")
    refused(qb, 90201)
    qb.engine.change_account(status="suspended")
    refused(qb, 90202)


def test_user_status_codes(qb):
    qb.engine.change_user("qbwc-api", status="inactive")
    refused(qb, 90301)
    qb.engine.change_user("qbwc-api", status="locked")
    refused(qb, 90302)
    qb.engine.change_user("qbwc-api", status="active")
    qb.engine.create_user("boss", security_level="admin", password="Boss-pass-2026")
    refused(qb, 90399, username="boss", password="Boss-pass-2026")
    qb.engine.create_user(
        "other-api", security_level="api_only", tracking_id="x", password=API_PASSWORD
    )
    refused(qb, 90303, username="other-api")
    refused(qb, 90303, username="nobody-at-all")


def test_the_connector_api_user_changed_after_the_download(qb):
    qb.engine.create_user(
        "new-api", security_level="api_only", tracking_id="x", password=API_PASSWORD
    )
    qb.engine.change_connector(qb.reg.connector_id, api_username="new-api")
    refused(qb, 90303)


def test_wrong_passwords_count_down_and_lock_the_user(qb):
    qb.engine.change_account(lockout_attempts=3)
    refused(qb, 90502, password="wrong")
    assert "1 attempt left" in refused(qb, 90501, password="wrong")
    refused(qb, 90500, password="wrong")  # the attempt that reaches zero locks the user
    assert qb.engine.get_user("qbwc-api")["status"] == "locked"
    refused(qb, 90302)  # even with the right password


def test_a_good_password_resets_the_count(qb):
    refused(qb, 90509, password="wrong")
    authenticate(qb)
    refused(qb, 90509, password="wrong")


def test_a_polling_web_connectors_saved_password_is_checked_by_scrypt_once(qb, monkeypatch):
    from engine import passwords

    runs = []
    real = passwords.check_password_hash
    monkeypatch.setattr(passwords, "check_password_hash", lambda *a: runs.append(1) or real(*a))
    for _ in range(3):
        ticket = authenticate(qb)[0]
        qb.call("closeConnection", ticket=ticket)
    assert len(runs) == 1
    refused(qb, 90509, password="wrong")  # a wrong one always costs its scrypt run
    assert len(runs) == 2
    qb.engine.change_user("qbwc-api", password="a-new-Passw0rd!")
    refused(qb, 90509)  # the old password, verified a moment ago, is not the new hash's
    assert authenticate(qb, password="a-new-Passw0rd!")[1] != "nvu"


def test_recently_verified_passwords_expire_and_are_bounded(monkeypatch):
    from engine import passwords

    clock = [1000.0]
    monkeypatch.setattr(passwords.time, "monotonic", lambda: clock[0])
    hashes = [passwords.hash_password(f"password-{n}") for n in range(3)]
    recent = passwords.RecentlyVerified(ttl=60, size=2)
    runs = []
    real = passwords.check_password_hash
    monkeypatch.setattr(passwords, "check_password_hash", lambda *a: runs.append(1) or real(*a))
    assert [recent.verify(h, f"password-{n}") for n, h in enumerate(hashes)] == [True] * 3
    assert len(runs) == 3
    assert recent.verify(hashes[2], "password-2") and len(runs) == 3  # from memory
    assert recent.verify(hashes[0], "password-0") and len(runs) == 4  # dropped: size 2
    clock[0] += 61
    assert recent.verify(hashes[2], "password-2") and len(runs) == 5  # expired
    assert not recent.verify(hashes[2], "password-0") and len(runs) == 6
    assert not recent.verify(None, "anything")


def test_expired_passwords(qb):
    qb.engine.change_user("qbwc-api", expire_password=True)
    refused(qb, 90509, password="wrong")  # the password is checked first
    refused(qb, 90400)
    qb.engine.change_account(strong_passwords=True)
    refused(qb, 90401)


def test_refusals_are_stored_without_passwords(qb):
    import zlib

    authenticate(qb, password="wrong-Secret-123")
    blobs = b"".join(
        zlib.decompress(n.state)
        for n in qb.engine.recorder.select_notifications(start=1, limit=100_000)
    )
    assert b"wrong-Secret-123" not in blobs and API_PASSWORD.encode() not in blobs
    assert b"AuthenticationRefused" in b"".join(
        n.topic.encode() for n in qb.engine.recorder.select_notifications(start=1, limit=10000)
    )


def test_busy_when_another_registration_holds_the_connector(qb):
    other = qb.engine.issue_qwc(
        qb.reg.connector_id, public_url="https://qb.example.com", issued_by="t"
    )
    first = authenticate(qb)
    assert first[1] == ""
    busy = authenticate(qb, path=f"/qbwc/{other['registration_id']}")
    assert busy[1:] == ["busy", "300", ""]
    assert "Another QuickBooks Web Connector" in qb.call(
        "getLastError", path=f"/qbwc/{other['registration_id']}", ticket=busy[0]
    )


def test_a_new_authenticate_on_the_same_registration_abandons_the_old_session(qb):
    old = authenticate(qb)[0]
    first_send(qb, old)  # a message is in flight when QBWC dies
    new = authenticate(qb)
    assert new[1] == qb.company.path  # the first send linked the file; QBWC opens it
    old_session = qb.engine.get_session(qb.engine.get_session_id(old))
    assert old_session["status"] == "abandoned"
    assert old_session["exchanges"][0]["status"] == "in_doubt"
    assert (
        qb.call(
            "sendRequestXML", ticket=old, strHCPResponse="", strCompanyFileName="", **HCP_VERSION
        )
        == ""
    )


def test_a_complete_session_then_none_until_lists_are_due(qb):
    ticket = authenticate(qb)[0]
    progress = run_to_end(qb, ticket)
    assert progress[-1] == 100 and all(0 <= p < 100 for p in progress[:-1])
    assert progress == sorted(progress)
    assert qb.call("closeConnection", ticket=ticket).startswith("Sync completed")
    again = authenticate(qb)
    assert again[1:] == ["none", "", "900"]
    assert qb.call("closeConnection", ticket=again[0])
    qb.engine.clock = lambda: _later(61)
    assert authenticate(qb)[1] == qb.company.path  # work again; QBWC opens the linked file


def _later(minutes: int):
    from engine.commanding import utcnow

    return utcnow() + timedelta(minutes=minutes)


def test_a_different_company_file_is_refused_naming_both(qb):
    ticket = authenticate(qb)[0]
    run_to_end(qb, ticket)
    qb.call("closeConnection", ticket=ticket)
    qb.engine.request_deletion_sync(qb.reg.connector_id)
    ticket = authenticate(qb)[0]
    assert first_send(qb, ticket, company_file="D:\\Other\\Books.QBW") == ""
    message = qb.call("getLastError", ticket=ticket)
    assert qb.company.path in message and "D:\\Other\\Books.QBW" in message
    assert qb.engine.get_session(qb.engine.get_session_id(ticket))["exchanges"] == []


def test_clearing_the_company_file_revokes_old_registrations(qb):
    ticket = authenticate(qb)[0]
    run_to_end(qb, ticket)
    cleared = qb.engine.clear_company_file(qb.reg.connector_id, cleared_by="t")
    assert cleared["company_file_location"] is None
    refused(qb, 90101)


def test_expired_tickets(qb):
    ticket = authenticate(qb)[0]
    qb.engine.clock = lambda: _later(61)
    assert first_send(qb, ticket) == ""
    assert "expired" in qb.call("getLastError", ticket=ticket)
    assert qb.call("receiveResponseXML", ticket=ticket, response="", hresult="", message="") == -1


def test_calls_out_of_order(qb):
    ticket = authenticate(qb)[0]
    assert (
        qb.call("receiveResponseXML", ticket=ticket, response="<QBXML/>", hresult="", message="")
        == -1
    )
    assert "out of order" in qb.call(
        "getLastError", ticket=ticket
    ).lower() or "when sendRequestXML was due" in qb.call("getLastError", ticket=ticket)
    assert qb.call("closeConnection", ticket=ticket)


def test_unknown_tickets_get_in_band_answers(qb):
    assert (
        qb.call(
            "sendRequestXML", ticket="nope", strHCPResponse="", strCompanyFileName="", **HCP_VERSION
        )
        == ""
    )
    assert qb.call("receiveResponseXML", ticket="nope", response="", hresult="", message="") == -1
    assert qb.call("connectionError", ticket="nope", hresult="0x80040408", message="x") == "done"
    assert "does not know" in qb.call("getLastError", ticket="nope")
    assert qb.call("closeConnection", ticket="") == "OK"


def test_a_repeated_send_request_gets_the_same_message(qb):
    ticket = authenticate(qb)[0]
    first = first_send(qb, ticket)
    again = qb.call(
        "sendRequestXML",
        ticket=ticket,
        strHCPResponse="",
        strCompanyFileName=qb.company.path,
        **HCP_VERSION,
    )
    assert again == first


def test_hresults_are_retried_a_bounded_number_of_times(qb):
    ticket = authenticate(qb)[0]
    request = first_send(qb, ticket)
    for _ in range(2):
        assert (
            qb.call(
                "receiveResponseXML",
                ticket=ticket,
                response="",
                hresult="0x80040400",
                message="QuickBooks found an error when parsing",
            )
            >= 0
        )
        again = qb.call(
            "sendRequestXML", ticket=ticket, strHCPResponse="", strCompanyFileName="", **HCP_VERSION
        )
        # The same step again: a new requestID, the same query from the start.
        assert "<AccountQueryRq" in request and "<AccountQueryRq" in again
        assert (
            request.split("<AccountQueryRq")[1].split(">", 1)[1]
            == again.split("<AccountQueryRq")[1].split(">", 1)[1]
        )
        assert "iterator" not in again  # AccountQuery takes none in the official schema
    assert (
        qb.call(
            "receiveResponseXML",
            ticket=ticket,
            response="",
            hresult="0x80040400",
            message="QuickBooks found an error when parsing",
        )
        == -1
    )
    assert "3 times" in qb.call("getLastError", ticket=ticket)


def test_quickbooks_too_old(qb):
    ticket = authenticate(qb)[0]
    old = Company("Old Books", versions=("1.0", "2.0", "12.0"), path=qb.company.path)
    assert first_send(qb, ticket, strHCPResponse=old.hcp_response(), qbXMLMajorVers=12) == ""
    assert "too old" in qb.call("getLastError", ticket=ticket)


def test_connection_errors_retry_once_then_done(qb):
    ticket = authenticate(qb)[0]
    assert (
        qb.call(
            "connectionError",
            ticket=ticket,
            hresult="0x80040408",
            message="Could not start QuickBooks.",
        )
        == ""
    )
    assert (
        qb.call(
            "connectionError",
            ticket=ticket,
            hresult="0x80040408",
            message="Could not start QuickBooks.",
        )
        == "done"
    )
    assert "could not start" in qb.call("getLastError", ticket=ticket).lower()


def test_parameters_are_read_by_local_name_ignoring_case(qb):
    from xml.sax.saxutils import escape

    ticket = authenticate(qb)[0]
    body = (
        '<?xml version="1.0"?><SOAP-ENV:Envelope '
        'xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/"><SOAP-ENV:Body>'
        f'<q1:sendRequestXML xmlns:q1="{TNS}"><q1:ticket>{ticket}</q1:ticket>'
        f"<q1:strHCPResponse>{escape(qb.company.hcp_response())}</q1:strHCPResponse>"
        f"<q1:strCompanyFilename>{escape(qb.company.path)}</q1:strCompanyFilename>"
        "<q1:qbXMLCountry>US</q1:qbXMLCountry><q1:qbXMLMajorVers>13</q1:qbXMLMajorVers>"
        "<q1:qbXMLMinorVers>0</q1:qbXMLMinorVers></q1:sendRequestXML></SOAP-ENV:Body>"
        "</SOAP-ENV:Envelope>"
    )
    response = qb.client.post(qb.reg.path, data=body, headers={"SOAPAction": "sendRequestXML"})
    result = etree.fromstring(response.data).findtext(f".//{{{TNS}}}sendRequestXMLResult")
    assert "AccountQueryRq" in result


# -- hardened XML and the WSDL -------------------------------------------------------------------


def post(qb, body: bytes, action: str | None):
    headers = {"Content-Type": "text/xml; charset=utf-8"}
    if action:
        headers["SOAPAction"] = f'"{TNS}{action}"'
    return qb.client.post(qb.reg.path, data=body, headers=headers)


@pytest.mark.parametrize(
    "body",
    [
        b"not xml at all",
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "boom">]><soap:Envelope '
        b'xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><authenticate '
        b'xmlns="http://developer.intuit.com/"><strUserName>&e;</strUserName></authenticate>'
        b"</soap:Body></soap:Envelope>",
        b'<?xml version="1.0"?><!DOCTYPE x SYSTEM "http://example.com/x.dtd"><a/>',
        b"<Envelope/>",
    ],
)
def test_malformed_bodies_get_the_methods_error_value(qb, body):
    response = post(qb, body, "authenticate")
    assert response.status_code == 200
    root = etree.fromstring(response.data)
    assert [i.text or "" for i in root.iter(f"{{{TNS}}}string")] == ["", "busy", "300", ""]
    assert b"Fault" not in response.data and b"Traceback" not in response.data
    response = post(qb, body, "receiveResponseXML")
    assert etree.fromstring(response.data).findtext(f".//{{{TNS}}}receiveResponseXMLResult") == "-1"


def test_bodies_over_10_mb_are_refused_before_parsing(qb):
    response = post(qb, b"<" + b"x" * (10 * 1024 * 1024 + 10), "sendRequestXML")
    assert response.status_code == 200
    assert etree.fromstring(response.data).findtext(f".//{{{TNS}}}sendRequestXMLResult") in (
        None,
        "",
    )


def test_an_unidentifiable_call_is_a_400_not_a_stack_trace(qb):
    response = post(qb, b"garbage", None)
    assert response.status_code == 400 and b"Traceback" not in response.data


def test_the_wsdl_points_at_the_registration_url(qb):
    response = qb.client.get(f"{qb.reg.path}?wsdl")
    root = etree.fromstring(response.data)
    address = root.find(".//{http://schemas.xmlsoap.org/wsdl/soap/}address")
    assert address.get("location") == qb.reg.app_url
    operations = {op.get("name") for op in root.iter("{http://schemas.xmlsoap.org/wsdl/}operation")}
    assert {"authenticate", "sendRequestXML", "receiveResponseXML", "closeConnection"} <= operations


def test_server_client_version_and_interactive_methods(qb):
    assert qb.call("serverVersion").startswith("qbtransfer")
    assert qb.call("clientVersion", strVersion="2.3.0.215") == ""
    assert qb.call("clientVersion", strVersion="2.0.1.5").startswith("W:")
    assert qb.call("getInteractiveURL", wcTicket="t", sessionID="s") == ""
    assert qb.call("interactiveDone", wcTicket="t") == "Done"
    assert "not used" in qb.call("interactiveRejected", wcTicket="t", reason="no")


def test_two_web_connectors_racing_for_one_connector(qb):
    """Both authenticate at the same moment from two registrations: one runs, one is busy."""
    import threading

    other = qb.engine.issue_qwc(
        qb.reg.connector_id, public_url="https://qb.example.com", issued_by="t"
    )["registration_id"]
    answers: list[list[str]] = []
    barrier = threading.Barrier(2)

    def race(registration: str) -> None:
        barrier.wait()
        answers.append(qb.engine.qbwc_authenticate(registration, "qbwc-api", API_PASSWORD))

    threads = [threading.Thread(target=race, args=(r,)) for r in (qb.reg.registration_id, other)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(a[1] for a in answers) == ["", "busy"]
