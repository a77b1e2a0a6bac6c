"""Fixtures: every test that touches the store runs on SQLite and on PostgreSQL.

PostgreSQL is reached through `TEST_POSTGRES_URL` (default: the local trust-auth server). Each
test gets its own schema, dropped afterwards. When PostgreSQL is missing the PostgreSQL half is
skipped, except under `CI=true`, where it fails.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from engine.application import TransferEngine
from engine.settings import Settings
from web.bootstrap import bootstrap

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() == "true"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--full-proofs",
        action="store_true",
        help="run the long proofs whole (every crash boundary, the full load), not their "
        "bounded CI form",
    )


def _postgres_problem() -> str | None:
    try:
        import psycopg

        with psycopg.connect(_dsn(POSTGRES_URL), connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except Exception as exc:  # any failure means "not usable here"
        return f"PostgreSQL at {POSTGRES_URL} is not usable: {exc}"
    return None


def _dsn(url: str) -> str:
    return url.split("?", 1)[0]


_PG_PROBLEM: list[str | None] = []


def postgres_or_skip() -> None:
    """Skip (or, under CI=true, fail) when PostgreSQL is not usable."""
    if not _PG_PROBLEM:
        _PG_PROBLEM.append(_postgres_problem())
    if _PG_PROBLEM[0]:
        if IN_CI:
            pytest.fail(_PG_PROBLEM[0] + " (CI=true: PostgreSQL is required)")
        pytest.skip(_PG_PROBLEM[0])


@contextlib.contextmanager
def postgres_schema() -> Iterator[str]:
    """A fresh schema in the test database; yields a DATABASE_URL pointing at it (with a
    small pool: a test opens many engines)."""
    from tests.helpers import fresh_schema

    with fresh_schema(POSTGRES_URL) as url:
        yield f"{url}&pool_size=1&max_overflow=4"


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request, tmp_path: Path) -> Iterator[str]:
    """A DATABASE_URL for an empty store, once per backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'events.sqlite3'}"
        return
    postgres_or_skip()
    with postgres_schema() as url:
        yield url


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=database_url, public_url="https://qb.example.com", base_dir=tmp_path
    )


@pytest.fixture
def engine(settings: Settings) -> Iterator[TransferEngine]:
    app = bootstrap(settings)
    try:
        yield app
    finally:
        app.close()


@pytest.fixture
def popo_engine() -> Iterator[TransferEngine]:
    """An in-memory engine for tests of rules that do not depend on the store."""
    app = TransferEngine(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    yield app
    app.close()


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str

    def json(self) -> dict:
        lines = [line for line in self.stdout.splitlines() if line.strip()]
        assert len(lines) == 1, f"expected one JSON line, got {self.stdout!r}"
        value = json.loads(lines[0])
        assert isinstance(value, dict)
        return value


@pytest.fixture
def cli(settings: Settings, monkeypatch: pytest.MonkeyPatch):
    """Run `qbtransfer ...` in-process against the test store, as a script would."""
    from web.cli import main

    monkeypatch.setenv("DATABASE_URL", settings.database_url or "")
    monkeypatch.setenv("PUBLIC_URL", settings.public_url or "")
    # The store exists, as it does for an admin's everyday commands (a command that creates
    # one says so on stderr: tests/test_info.py).
    TransferEngine(env=settings.eventstore_env()).close()

    def run(*args: str, stdin: str = "") -> CliResult:
        out, err = io.StringIO(), io.StringIO()
        old_stdin = sys.stdin
        sys.stdin = io.StringIO(stdin)
        code = 0
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                try:
                    main(list(args))
                except SystemExit as exc:
                    code = exc.code if isinstance(exc.code, int) else 1
        finally:
            sys.stdin = old_stdin
        return CliResult(code, out.getvalue(), err.getvalue())

    return run


@pytest.fixture
def live(engine: TransferEngine, settings: Settings, web_app):
    """The web app on a real port, with a connector registered to reach it."""
    from tests.test_qbwc_sync import serving_app

    with serving_app(engine, settings, web_app) as served:
        yield served


@pytest.fixture
def shop(settings: Settings):
    """The demo company synced once, the demo PSA file imported, invoices switched on:
    (engine, registration, company, settings)."""
    from tests.test_transfers_invoices import DEMO, synced_demo

    engine, reg, company = synced_demo(settings)
    engine.import_psa(DEMO, by="tests")
    engine.change_connector(reg.connector_id, transfers={"invoices": True})
    try:
        yield engine, reg, company, settings
    finally:
        engine.close()


@pytest.fixture
def api_headers(engine: TransferEngine) -> dict[str, str]:
    """The header of an admin API token."""
    return {"Authorization": f"Bearer {engine.create_token('tests')['token']}"}


@pytest.fixture
def web_app(settings: Settings, engine: TransferEngine):
    """The Flask app on the test store; the read-model views it opens are closed afterwards
    (the engine fixture closes the engine)."""
    from web import ENGINE_KEY, create_app

    app = create_app(settings, engine=engine)
    yield app
    app.extensions[ENGINE_KEY].close_views()
