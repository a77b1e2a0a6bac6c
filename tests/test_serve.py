"""The README's promise: on a fresh machine `qbtransfer serve` answers /healthz on the embedded
SQLite default, creating var/qbtransfer.sqlite3 under the working directory."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, timeout: float = 20.0) -> int:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.status
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_serve_on_the_sqlite_default(tmp_path: Path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "PUBLIC_URL", "PORT")}
    cmd = [sys.executable, "-m", "web.cli", "serve", "--port", str(port)]
    repo = Path(__file__).resolve().parents[1]
    proc = subprocess.Popen(
        cmd,
        cwd=tmp_path,
        env=env | {"PYTHONPATH": str(repo)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert wait_for(f"http://127.0.0.1:{port}/healthz") == 200
        assert wait_for(f"http://127.0.0.1:{port}/support") == 200
        assert (tmp_path / "var" / "qbtransfer.sqlite3").exists()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
