"""The simulated Web Connector follows QBWC's state machine, speaking SOAP exactly as the WSDL
says. A tiny scripted SOAP server records and checks every envelope it receives."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from lxml import etree

from tests.qbsim import Company
from tests.qbsim.soap import SOAP_NS, wsdl_operations
from tests.qbsim.webconnector import Faults, WebConnectorSim
from web.qbwc import TNS

CUSTOMER_QUERY = (
    '<?xml version="1.0" encoding="utf-8"?><?qbxml version="13.0"?><QBXML>'
    '<QBXMLMsgsRq onError="stopOnError"><CustomerQueryRq requestID="q1">'
    "<MaxReturned>10</MaxReturned></CustomerQueryRq></QBXMLMsgsRq></QBXML>"
)
CUSTOMER_ADD = (
    '<?xml version="1.0" encoding="utf-8"?><?qbxml version="13.0"?><QBXML>'
    '<QBXMLMsgsRq onError="stopOnError"><CustomerAddRq requestID="w1"><CustomerAdd>'
    "<Name>Written once</Name></CustomerAdd></CustomerAddRq></QBXMLMsgsRq></QBXML>"
)


def check_envelope(body: bytes, soap_action: str, content_type: str) -> tuple[str, dict]:
    """Everything QBWC's envelope must be, per the WSDL; returns the operation and params."""
    assert content_type == "text/xml; charset=utf-8"
    root = etree.fromstring(body)
    assert root.tag == f"{{{SOAP_NS}}}Envelope"
    body_el = root.find(f"{{{SOAP_NS}}}Body")
    [call] = list(body_el)
    qname = etree.QName(call)
    assert qname.namespace == TNS
    operation = qname.localname
    assert soap_action == f'"{TNS}{operation}"'
    expected = wsdl_operations()[operation]
    names = [etree.QName(c).localname for c in call]
    assert all(etree.QName(c).namespace == TNS for c in call)
    order = [p.name for p in expected]
    assert names == [n for n in order if n in names], f"{operation}: {names} not in WSDL order"
    for param in expected:
        if param.min_occurs >= 1:
            assert param.name in names, f"{operation} lacks required {param.name}"
    params = {etree.QName(c).localname: c.text or "" for c in call}
    for param in expected:
        if param.type == "int" and param.name in params:
            int(params[param.name])
    return operation, params


def response_envelope(operation: str, result) -> bytes:
    if isinstance(result, bytes):
        return result
    if isinstance(result, list):
        inner = "".join(f"<string>{escape(s)}</string>" for s in result)
    else:
        inner = escape(str(result))
    return (
        f'<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="{SOAP_NS}">'
        f'<soap:Body><{operation}Response xmlns="{TNS}"><{operation}Result>{inner}'
        f"</{operation}Result></{operation}Response></soap:Body></soap:Envelope>"
    ).encode()


class ScriptedServer:
    """A SOAP server whose answers come from `brain(operation, params)`."""

    def __init__(self, brain: Callable[[str, dict], object]) -> None:
        self.brain = brain
        self.calls: list[tuple[str, dict]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers["Content-Length"]))
                operation, params = check_envelope(
                    body, self.headers["SOAPAction"], self.headers["Content-Type"]
                )
                outer.calls.append((operation, params))
                data = response_envelope(operation, outer.brain(operation, params))
                self.send_response(200)
                self.send_header("Content-Type", "text/xml; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/qbwc/reg-1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.02,), daemon=True)

    def __enter__(self) -> ScriptedServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def ops(self) -> list[str]:
        return [op for op, _ in self.calls]


def script(**answers):
    """A brain answering each operation from a list of answers (the last one repeats)."""
    queues = {
        op: list(v)
        if isinstance(v, list) and v and isinstance(v[0], (list, int, str, bytes))
        else [v]
        for op, v in answers.items()
    }

    def brain(operation: str, params: dict):
        queue = queues.get(operation)
        if not queue:
            return {
                "serverVersion": "sim 1.0",
                "clientVersion": "",
                "closeConnection": "OK",
                "getLastError": "an error",
                "connectionError": "done",
            }.get(operation, "")
        return queue.pop(0) if len(queue) > 1 else queue[0]

    return brain


@pytest.fixture
def company() -> Company:
    c = Company("Acme Books")
    c.seed_bulk(customers=3)
    return c


def run(server: ScriptedServer, company: Company, **kw) -> object:
    sleeps: list[float] = []
    sim = WebConnectorSim(server.url, "qbwc-api", "pw", company, sleep=sleeps.append, **kw)
    result = sim.run()
    result.sleeps = sleeps
    return result


def test_a_whole_update(company):
    brain = script(
        authenticate=[["tkt", "", "", ""]],
        sendRequestXML=[CUSTOMER_QUERY, CUSTOMER_QUERY],
        receiveResponseXML=[50, 100],
    )
    with ScriptedServer(brain) as server:
        result = run(server, company)
    assert server.ops() == [
        "serverVersion",
        "clientVersion",
        "authenticate",
        "sendRequestXML",
        "receiveResponseXML",
        "sendRequestXML",
        "receiveResponseXML",
        "closeConnection",
    ]
    assert result.outcome == "completed" and result.progress == [50, 100]
    sends = [p for op, p in server.calls if op == "sendRequestXML"]
    assert "HostQueryRs" in sends[0]["strHCPResponse"] and sends[1]["strHCPResponse"] == ""
    assert sends[0]["ticket"] == "tkt" and sends[0]["qbXMLMajorVers"] == "16"
    assert sends[0]["strCompanyFileName"] == company.path
    receive = next(p for op, p in server.calls if op == "receiveResponseXML")
    assert 'CustomerQueryRs requestID="q1"' in receive["response"] and receive["hresult"] == ""
    assert server.calls[0][1] == {}  # serverVersion has no parameters
    assert server.calls[2][1] == {"strUserName": "qbwc-api", "strPassword": "pw"}
    assert all("\t: QBWebConnector." in line and " UTC" in line for line in result.log)
    assert company.session is None


@pytest.mark.parametrize(
    "answer, outcome, continues",
    [
        ("E:Please upgrade QBWC", "client-version", False),
        ("O:2.4.0.0", "client-version", False),
        ("W:Newer QBWC recommended", "none", True),
    ],
)
def test_client_version_answers(company, answer, outcome, continues):
    brain = script(clientVersion=answer, authenticate=[["t", "none", "", ""]])
    with ScriptedServer(brain) as server:
        result = run(server, company)
    assert result.outcome == outcome
    assert ("authenticate" in server.ops()) is continues
    if answer.startswith("O:"):
        assert "2.4.0.0" in result.message


@pytest.mark.parametrize(
    "status, slots", [("nvu", ["", "5430060"]), ("none", ["600", ""]), ("busy", ["300", ""])]
)
def test_authenticate_refusals_close_the_connection(company, status, slots):
    brain = script(authenticate=[["tkt-9", status, *slots]])
    with ScriptedServer(brain) as server:
        result = run(server, company)
    assert server.ops()[-2:] == ["authenticate", "closeConnection"]
    assert server.calls[-1][1] == {"ticket": "tkt-9"}
    assert result.outcome == status
    if status == "nvu":
        assert result.every_min == 90501  # the code shows in QBWC's Every-Min column
    else:
        assert result.postpone_seconds == int(slots[0])


def test_an_authenticate_array_qbwc_cannot_read_is_qbwc1012(company):
    wrong_ns = response_envelope("authenticate", "").replace(
        b"</authenticateResult>",
        b'<a:string xmlns:a="http://schemas.microsoft.com/2003/10/Serialization/Arrays">t</a:string>'
        b'<a:string xmlns:a="http://schemas.microsoft.com/2003/10/Serialization/Arrays"/>'
        b"</authenticateResult>",
    )
    for answer in (wrong_ns, ["only-a-ticket"]):
        with ScriptedServer(script(authenticate=answer)) as server:
            result = run(server, company)
        assert result.outcome == "error" and result.message.startswith("QBWC1012")
        assert "Index was outside the bounds of the array" in result.message


def test_a_company_file_path_that_cannot_be_opened_goes_through_connection_error(company):
    brain = script(
        authenticate=[["t", "C:\\other\\file.QBW", "", ""]],
        connectionError=[company.path],
        sendRequestXML=CUSTOMER_QUERY,
        receiveResponseXML=100,
    )
    with ScriptedServer(brain) as server:
        result = run(server, company)
    errors = [p for op, p in server.calls if op == "connectionError"]
    assert errors == [
        {
            "ticket": "t",
            "hresult": "0x80040403",
            "message": "Could not open the specified QuickBooks company data file.",
        }
    ]
    assert result.outcome == "completed"


def test_quickbooks_could_not_start(company):
    company.can_start = False
    brain = script(authenticate=[["t", "", "", ""]], connectionError="done")
    with ScriptedServer(brain) as server:
        result = run(server, company)
    assert server.ops()[-1] == "connectionError"
    assert server.calls[-1][1]["hresult"] == "0x80040408"
    assert result.outcome == "connection-error"


def test_empty_send_request_goes_to_get_last_error_and_noop_waits(company):
    brain = script(
        authenticate=[["t", "", "", ""]],
        sendRequestXML=["", "", CUSTOMER_QUERY],
        getLastError=["NoOp", "Nothing more today"],
        receiveResponseXML=[-1],
    )
    with ScriptedServer(brain) as server:
        result = run(server, company, noop_wait=5.0)
    assert server.ops()[3:] == [
        "sendRequestXML",
        "getLastError",
        "sendRequestXML",
        "getLastError",
        "closeConnection",
    ]
    assert result.sleeps == [5.0]
    assert result.outcome == "error" and result.message == "Nothing more today"


def test_a_negative_progress_asks_get_last_error_then_closes(company):
    brain = script(
        authenticate=[["t", "", "", ""]],
        sendRequestXML=CUSTOMER_QUERY,
        receiveResponseXML=-101,
        getLastError="Could not save the data",
    )
    with ScriptedServer(brain) as server:
        result = run(server, company)
    assert server.ops()[-3:] == ["receiveResponseXML", "getLastError", "closeConnection"]
    assert result.message == "Could not save the data" and result.progress == [-101]


def test_a_rejected_message_arrives_as_an_hresult(company):
    bad = CUSTOMER_QUERY.replace("<MaxReturned>10</MaxReturned>", "<Bogus/>")
    brain = script(authenticate=[["t", "", "", ""]], sendRequestXML=bad, receiveResponseXML=100)
    with ScriptedServer(brain) as server:
        run(server, company)
    receive = next(p for op, p in server.calls if op == "receiveResponseXML")
    assert receive["response"] == "" and receive["hresult"] == "0x80040400"
    assert receive["message"].startswith("QuickBooks found an error when parsing")


def test_a_response_lost_after_quickbooks_applied_it(company):
    brain = script(authenticate=[["t", "", "", ""]], sendRequestXML=CUSTOMER_ADD)
    with ScriptedServer(brain) as server:
        result = run(server, company, faults=Faults(lose_response_after=1))
    assert server.ops()[-1] == "sendRequestXML"
    assert result.outcome == "crashed"
    assert company.find(["customer"], "Written once") is not None  # applied, never reported


def test_a_dropped_connection_a_repeated_call_and_a_long_pause(company):
    brain = script(
        authenticate=[["t", "", "", ""]],
        sendRequestXML=CUSTOMER_QUERY,
        receiveResponseXML=[10, 100],
    )
    with ScriptedServer(brain) as server:
        dropped = run(server, company, faults=Faults(drop_connection=("receiveResponseXML", 1)))
    assert dropped.outcome == "error" and dropped.message.startswith("QBWC1042")
    assert server.ops()[-1] == "receiveResponseXML"  # the server got it; QBWC never heard back
    brain = script(
        authenticate=[["t", "", "", ""]], sendRequestXML=CUSTOMER_QUERY, receiveResponseXML=[100]
    )
    with ScriptedServer(brain) as server:
        repeated = run(
            server,
            company,
            faults=Faults(
                repeat_call=("sendRequestXML", 1), pause=("receiveResponseXML", 1, 3700.0)
            ),
        )
    assert server.ops().count("sendRequestXML") == 2
    assert repeated.sleeps == [3700.0] and repeated.outcome == "completed"


def test_the_command_line_runs_an_update_and_saves_the_company(company, tmp_path: Path):
    seed = tmp_path / "company.json"
    company.save(seed)
    brain = script(
        authenticate=[["t", "", "", ""]], sendRequestXML=CUSTOMER_ADD, receiveResponseXML=100
    )
    saved = tmp_path / "after.json"
    with ScriptedServer(brain) as server:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "tests.qbsim",
                "run",
                "--url",
                server.url,
                "--user",
                "qbwc-api",
                "--password-stdin",
                "--company",
                str(seed),
                "--save",
                str(saved),
            ],
            input="pw\n",
            capture_output=True,
            text=True,
            timeout=60,
            cwd=Path(__file__).resolve().parents[1],
        )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["outcome"] == "completed"
    assert "Calling authenticate()" in done.stderr
    assert Company.load(saved).find(["customer"], "Written once") is not None


# -- as real QBWC logs show it ---------------------------------------------------------------


def nil_result(operation: str) -> bytes:
    return (
        f'<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="{SOAP_NS}" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soap:Body>'
        f'<{operation}Response xmlns="{TNS}"><{operation}Result xsi:nil="true" />'
        f"</{operation}Response></soap:Body></soap:Envelope>"
    ).encode()


def absent_result(operation: str) -> bytes:
    return (
        f'<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="{SOAP_NS}">'
        f'<soap:Body><{operation}Response xmlns="{TNS}" /></soap:Body></soap:Envelope>'
    ).encode()


@pytest.mark.parametrize("answer", [nil_result, absent_result], ids=["nil", "absent"])
def test_a_null_send_request_result_fails_the_update_without_close_connection(company, answer):
    brain = script(authenticate=[["t", "", "", ""]], sendRequestXML=answer("sendRequestXML"))
    with ScriptedServer(brain) as server:
        result = run(server, company)
    assert result.outcome == "error" and result.message.startswith("QBWC1041")
    assert "Object reference not set to an instance of an object" in result.message
    assert "do_sendRequestXML" in result.message
    assert server.ops()[-1] == "sendRequestXML"  # no getLastError, no closeConnection


@pytest.mark.parametrize("answer", [["t"], [], nil_result("authenticate")])
def test_fewer_than_two_strings_from_authenticate_is_qbwc1012_without_close(company, answer):
    with ScriptedServer(script(authenticate=[answer] if isinstance(answer, list) else answer)) as s:
        result = run(s, company)
    assert result.outcome == "error" and result.message.startswith("QBWC1012")
    assert "Index Out Of Range" in result.message
    assert "closeConnection" not in s.ops()


@pytest.mark.parametrize("status", ["NONE", "None", "NVU", "Busy", "bUsY"])
def test_none_nvu_and_busy_are_read_in_any_letter_case(company, status):
    with ScriptedServer(script(authenticate=[["t", status, "300", ""]])) as server:
        result = run(server, company)
    assert result.outcome == status.lower()
    assert "sendRequestXML" not in server.ops()


def test_the_quickbooks_session_ends_and_its_applock_is_released_before_close(company):
    owner = "{8a8ee7d0-1c1b-4d4e-9f3e-0b6d2c1c5a11}"  # lower case, as written in the .qwc
    locks: list[str] = []

    def brain(operation, params):
        locks.append(company.data_ext.get((owner, "AppLock"), ""))
        return {
            "authenticate": ["t", "", "", ""],
            "sendRequestXML": CUSTOMER_QUERY,
            "receiveResponseXML": 100,
            "closeConnection": "OK",
        }.get(operation, "")

    with ScriptedServer(brain) as server:
        result = run(
            server, company, owner_id=owner, file_id="{5e0a3b9e-7c47-4c8e-b7b0-5f1f6a1f9c2d}"
        )
    assert result.outcome == "completed"
    ops = server.ops()
    during = locks[ops.index("sendRequestXML")]
    assert during.startswith("LOCKED:SIMPC:")
    ticks = int(during.rsplit(":", 1)[1])
    assert ticks // 10_000_000 - 62_135_596_800 == int(company.clock.now.timestamp())  # .NET ticks
    assert locks[ops.index("closeConnection")] == "UNLOCKED:SIMPC"
    # FileID keeps the letter case it was written with.
    assert company.data_ext[(owner, "FileID")] == "{5e0a3b9e-7c47-4c8e-b7b0-5f1f6a1f9c2d}"
    ended = next(i for i, line in enumerate(result.log) if "QBSession.EndSession" in line)
    closing = next(i for i, line in enumerate(result.log) if "Calling closeConnection" in line)
    assert ended < closing


def test_the_log_reads_like_qbwcs(company):
    brain = script(
        authenticate=[["tkt", "", "", ""]],
        sendRequestXML=[CUSTOMER_QUERY, CUSTOMER_QUERY],
        receiveResponseXML=[83, 100],
    )
    with ScriptedServer(brain) as server:
        result = run(server, company)
    text = "\n".join(result.log)
    assert (
        'Received from authenticate() following parameters:<authRet[0]="tkt"><authRet[1]="">'
        in text
    )
    assert 'Received from receiveResponseXML() following parameter:<more="83">' in text
    assert "There are more requests to process." in text
    assert 'following parameter:<more="100">' in text and "Done. No more to process." in text
    assert "Response received from QuickBooks: size (bytes) = " in text
