"""The locks that make one process the writer of a read model (and one the scheduler): a file
lock beside the SQLite file, a PostgreSQL advisory lock on a connection of its own. Both are
let go by the kernel or the server when their process dies."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import time
from collections.abc import Iterator
from typing import Any, Protocol

from engine.application import TransferEngine
from engine.errors import DomainError
from engine.settings import read_model_path
from engine.sqlite_store import is_sqlite


class ReadModelLagging(DomainError):
    """A read model's runner has not reached the log's head in time (or its lock is held)."""

    code = "read_model_lagging"
    status = 503


class Lock(Protocol):
    def acquire(self, timeout: float) -> bool: ...

    def release(self) -> None: ...

    def close(self) -> None: ...


class FileLock:
    """flock(2) on a file beside the read model: per open file, so threads exclude each other
    too; the kernel lets go when the process dies."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._fd: int | None = None

    def acquire(self, timeout: float) -> bool:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    os.close(fd)
                    return False
                time.sleep(0.02)
                continue
            self._fd = fd
            return True

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def close(self) -> None:
        self.release()


class AdvisoryLock:
    """A PostgreSQL session advisory lock on a connection of its own, kept open between
    acquisitions (a runner takes its writer lock ten times a second); the server lets go when
    the connection (or the process) ends."""

    def __init__(self, conninfo: dict[str, Any], key: int) -> None:
        self.conninfo, self.key = conninfo, key
        self._conn: Any = None
        self._held = False

    def _connection(self) -> Any:
        import psycopg

        if self._conn is None or self._conn.closed:
            self._conn = psycopg.connect(**self.conninfo, autocommit=True)
        return self._conn

    def acquire(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while True:
            try:
                row = (
                    self._connection()
                    .execute("SELECT pg_try_advisory_lock(%s)", (self.key,))
                    .fetchone()
                )
            except Exception:
                self.close()  # a broken connection: a new one next time
                raise
            if row[0]:
                self._held = True
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.02)

    def release(self) -> None:
        if self._held and self._conn is not None:
            self._held = False
            try:
                self._conn.execute("SELECT pg_advisory_unlock(%s)", (self.key,))
            except Exception:
                self.close()  # closing the connection lets go of the lock as well

    def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                self._conn.close()
            self._conn = None
        self._held = False


def lock_for(engine: TransferEngine, name: str, kind: str) -> Lock:
    """The `kind` ("writer" or "runner") lock of the read model `name` of `engine`'s store."""
    env = engine.env
    if is_sqlite(env):
        return FileLock(f"{read_model_path(env['SQLITE_DBNAME'], name)}.{kind}.lock")
    scope = f"qbtransfer:{env['POSTGRES_DBNAME']}/{env['POSTGRES_SCHEMA']}/{name.lower()}/{kind}"
    key = int.from_bytes(hashlib.sha256(scope.encode()).digest()[:8], "big", signed=True)
    conninfo = {
        "dbname": env["POSTGRES_DBNAME"],
        "host": env["POSTGRES_HOST"],
        "port": int(env["POSTGRES_PORT"]),
        "user": env["POSTGRES_USER"],
        "password": env.get("POSTGRES_PASSWORD") or None,
    }
    return AdvisoryLock(conninfo, key)


@contextlib.contextmanager
def holding(lock: Lock, timeout: float, what: str) -> Iterator[None]:
    """`lock`, held for the block; ReadModelLagging when it cannot be had in `timeout`."""
    try:
        if not lock.acquire(timeout):
            raise ReadModelLagging(f"{what}: another process is writing it; try again shortly")
        try:
            yield
        finally:
            lock.release()
    finally:
        lock.close()
