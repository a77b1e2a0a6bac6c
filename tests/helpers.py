"""Small builders that keep tests reading like stories."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from engine.application import TransferEngine
from engine.errors import NotFound
from engine.settings import Settings
from tests.qbsim.soap import envelope, parse_result
from web.qbwc import TNS

API_PASSWORD = "Sync-pass-2026"


def make_api_user(
    app: TransferEngine, username: str = "qbwc-api", password: str | None = API_PASSWORD
) -> dict:
    """An active API-only user with a tracking identifier."""
    return app.create_user(
        username, security_level="api_only", tracking_id="Custom (qbtransfer)", password=password
    )


@dataclass
class Registered:
    """A connector with a downloaded .qwc: what a QBWC installation has."""

    connector_id: str
    registration_id: str
    path: str  # the AppURL's path
    app_url: str
    owner_id: str
    file_id: str


def cli_api_user(cli, username: str = "qbwc-api") -> None:
    """The API-only user QBWC signs in as, created through the command line as an admin would."""
    created = cli(
        "users", "create", username, "--api-only", "--tracking-id", "T1", "--password-stdin",
        stdin=API_PASSWORD + "\n",
    )  # fmt: skip
    assert created.exit_code == 0, created


def register_connector(
    app: TransferEngine,
    public_url: str = "https://qb.example.com",
    name: str = "Acme Books",
    username: str = "qbwc-api",
) -> Registered:
    """An API user (if missing), a connector and a .qwc for it."""
    try:
        app.get_user(username)
    except NotFound:
        make_api_user(app, username)
    connector = app.create_connector(name=name, api_username=username)
    issued = app.issue_qwc(connector["id"], public_url=public_url, issued_by="tests")
    root = etree.fromstring(issued["qwc"].encode())
    return Registered(
        connector["id"],
        issued["registration_id"],
        f"/qbwc/{issued['registration_id']}",
        issued["app_url"],
        root.findtext("OwnerID"),
        root.findtext("FileID"),
    )


def soap_call(client, path: str, operation: str, **params):
    """One SOAP call through a Flask test client, enveloped exactly as QBWC does it."""
    response = client.post(
        path,
        data=envelope(operation, params),
        headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"{TNS}{operation}"'},
    )
    assert response.status_code == 200, response.data[:500]
    assert response.content_type.startswith("text/xml")
    result = parse_result(operation, response.data)
    # QBWC does not survive a nil or absent result, nor an authenticate array of fewer than
    # two strings: no answer of the endpoint, on any path a test takes, may be one.
    assert result is not None, f"{operation} answered a nil or absent result"
    assert operation != "authenticate" or len(result) >= 2, result
    return int(result) if operation == "receiveResponseXML" else result


def run_session(engine: TransferEngine, reg: Registered, company) -> str:
    """One whole QBWC update through the engine's commands (as the SOAP endpoint calls them);
    returns the session id."""
    ticket, status = engine.qbwc_authenticate(reg.registration_id, "qbwc-api", API_PASSWORD)[:2]
    if status not in ("", company.path):
        return engine.get_session_id(ticket)
    company.begin_session()
    request = engine.qbwc_send_request(
        reg.registration_id, ticket, company.hcp_response(), company.path, "US", 13, 0
    )
    while request:
        progress = engine.qbwc_receive_response(
            reg.registration_id, ticket, company.process(request), "", ""
        )
        if progress >= 100:
            break
        request = engine.qbwc_send_request(
            reg.registration_id, ticket, "", company.path, "US", 13, 0
        )
    engine.qbwc_close(reg.registration_id, ticket)
    company.end_session()
    return engine.get_session_id(ticket)


def demo_company():
    """A QuickBooks company made for the demo PSA file: most of what it needs, not all."""
    from tests.qbsim import Company

    company = Company.from_json(
        {
            "company": {"name": "MSP Books"},
            "lists": {
                "account": [
                    {"Name": "Autotask Other", "AccountType": "Income"},
                    {"Name": "Consulting Income", "AccountType": "Income"},
                    {"Name": "Travel", "AccountType": "Expense"},
                    {"Name": "Meals and Entertainment", "AccountType": "Expense"},
                    {"Name": "Cost of Goods Sold", "AccountType": "CostOfGoodsSold"},
                    {"Name": "Inventory Asset", "AccountType": "OtherCurrentAsset"},
                    {"Name": "Employee Advances", "AccountType": "OtherCurrentAsset"},
                ],
                "class": [
                    {"Name": "Managed Services"},
                    {"Name": "Projects"},
                    {"Name": "Infrastructure", "ParentRef": {"FullName": "Projects"}},
                ],
                "employee": [{"Name": "Dana Whitfield"}],
                "vendor": [{"Name": "Ingram Micro"}],
                "payroll_item_wage": [{"Name": "Regular Pay"}, {"Name": "Vacation Pay"}],
                "item_service": [{"Name": "Remote Support"}],
                "item_inventory": [
                    {
                        "Name": "Dell Latitude 5550 Laptop",
                        "IncomeAccountRef": {"FullName": "Autotask Other"},
                        "COGSAccountRef": {"FullName": "Cost of Goods Sold"},
                        "AssetAccountRef": {"FullName": "Inventory Asset"},
                    }
                ],
                "customer": [{"Name": "Acme Dental Group", "Email": "billing@acmedental.example"}],
                "standard_terms": [{"Name": "Net 30"}],
                "sales_tax_code": [{"Name": "Tax"}, {"Name": "Non"}],
                "ship_method": [{"Name": "UPS Ground"}],
            },
        }
    )
    company.clock.advance(days=1)
    return company


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


REPO = Path(__file__).resolve().parents[1]


def local_settings(workdir: Path, database_url: str | None = None) -> Settings:
    """Settings for a server of this machine on a free port (SQLite in `workdir` unless
    `database_url` says otherwise), reached at http://localhost:PORT."""
    port = free_port()
    return Settings(
        database_url=database_url or f"sqlite:///{workdir / 'events.sqlite3'}",
        public_url=f"http://localhost:{port}",
        port=port,
        base_dir=workdir,
    )


def process_env(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment of a `qbtransfer` process (serve, worker, gunicorn) on `settings`'s
    store, with `extra` (PUBLIC_URL, say) on top."""
    return {
        **os.environ,
        "DATABASE_URL": settings.database_url or "",
        "QBTRANSFER_HOME": str(settings.base_dir),
        "PYTHONPATH": str(REPO),
        **extra,
    }


def read_models_at_head(settings: Settings, engine: TransferEngine) -> bool:
    """Whether every read model has applied every event stored (whoever runs them)."""
    from projections.runtime import READ_MODELS, read_model_status

    return all(read_model_status(settings, engine, name)["lag"] == 0 for name in READ_MODELS)


def wait_read_models_at_head(settings: Settings, timeout: float = 20.0) -> bool:
    """Wait, up to `timeout` seconds, for the read models of another process to reach the
    log's head: whether they did."""
    engine = TransferEngine(env=settings.eventstore_env())
    try:
        deadline = time.monotonic() + timeout
        while not read_models_at_head(settings, engine):
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)
        return True
    finally:
        engine.close()


@contextlib.contextmanager
def fresh_schema(base_url: str, *, create: bool = True) -> Iterator[str]:
    """A fresh schema in the PostgreSQL database `base_url` names, dropped afterwards; yields
    a DATABASE_URL pointing at it. With `create` false the schema does not exist yet: the
    store makes it on first use."""
    import uuid

    import psycopg

    base = base_url.split("?", 1)[0]
    schema = f"t_{uuid.uuid4().hex[:12]}"
    if create:
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{base}?schema={schema}"
    finally:
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def log_size(engine: TransferEngine) -> tuple[int, int]:
    """How many events the store holds, and their bytes (compressed, as stored)."""
    count = size = 0
    start = 1
    while batch := engine.recorder.select_notifications(start=start, limit=10_000):
        count += len(batch)
        size += sum(len(n.state) for n in batch)
        start = batch[-1].id + 1
    return count, size


def wait_for(url: str, timeout: float = 20.0) -> int:
    """Poll `url` until it answers; its HTTP status."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.status
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


@contextlib.contextmanager
def serving(cwd: Path, port: int, env: dict[str, str]) -> Iterator[subprocess.Popen]:
    """`qbtransfer serve` in its own process (as a user starts it), stopped afterwards."""
    repo = Path(__file__).resolve().parents[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "web.cli", "serve", "--port", str(port)],
        cwd=cwd,
        env={**os.environ, **env, "PYTHONPATH": str(repo)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(f"http://127.0.0.1:{port}/healthz")
        yield server
    finally:
        server.terminate()
        server.wait(timeout=30)


class StepDriver:
    """A session's steps driven without QBWC: the pipeline, a lists aggregate in memory."""

    def __init__(self, steps: list[str], lists, now=None, work=None) -> None:
        from datetime import UTC, datetime

        from engine.queue import Routing
        from engine.steps.base import StepContext
        from engine.steps.pipeline import SessionWork

        self.steps, self.lists = steps, lists
        self.work = work or SessionWork()
        self.seq, self.request_ids = 0, []
        self.context = StepContext(
            connector_id=lists.connector_id,
            now=now or datetime.now(UTC),
            qbxml_version="13.0",
            load=lambda aggregate_id: lists if aggregate_id == lists.id else None,
            load_routing=lambda: Routing(lists.connector_id, lists.connector_id, None),
        )

    def send(self):
        """The next message (None when every step has finished); its work becomes current."""
        from engine.steps import pipeline

        self.seq += 1
        message = pipeline.next_message(self.steps, self.work, self.seq, self.context)
        if message is not None:
            self.work, self.request_ids = message.work, message.request_ids
        return message

    def answer(self, qbxml: str):
        """QuickBooks' answer to the last message; returns the new work."""
        from engine.qbxml.parser import parse_response
        from engine.steps import pipeline

        self.work = pipeline.absorb(
            self.steps, self.work, self.request_ids, parse_response(qbxml), self.context
        )
        return self.work

    @property
    def progress(self) -> int:
        from engine.steps import pipeline

        return pipeline.progress(self.steps, self.work)

    def state(self, name: str):
        """The state of the started step `name`."""
        return self.work.active[self.steps.index(name)]
