"""The README's promise: on a fresh machine `qbtransfer serve` answers /healthz on the embedded
SQLite default, creating var/qbtransfer.sqlite3 under the working directory."""

from __future__ import annotations

import urllib.request
from pathlib import Path

import pytest

from tests.helpers import free_port, serving, wait_for


def test_serve_on_the_sqlite_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    for name in ("DATABASE_URL", "PUBLIC_URL", "PORT"):
        monkeypatch.delenv(name, raising=False)
    port = free_port()
    with serving(tmp_path, port, {}):
        assert wait_for(f"http://127.0.0.1:{port}/healthz") == 200
        assert wait_for(f"http://127.0.0.1:{port}/support") == 200
        assert (tmp_path / "var" / "qbtransfer.sqlite3").exists()


def test_serve_keeps_every_setting_of_the_environment(tmp_path: Path, monkeypatch):
    for name in ("DATABASE_URL", "PUBLIC_URL", "PORT"):
        monkeypatch.delenv(name, raising=False)
    port = free_port()
    with serving(tmp_path, port, {"METRICS": "on", "TRUSTED_HOSTS": "books.internal"}):
        assert wait_for(f"http://127.0.0.1:{port}/metrics") == 200  # METRICS survived --port
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/healthz", headers={"Host": "books.internal"}
        )
        with urllib.request.urlopen(request, timeout=5) as answer:
            assert answer.status == 200  # and so did TRUSTED_HOSTS
