"""PostgreSQL mistakes in DATABASE_URL: one line, within seconds, naming host, port and
database but never the password; a schema the URL names is created when missing."""

from __future__ import annotations

import time
import uuid
from urllib.parse import urlsplit

import pytest

from engine.errors import ConfigurationError
from engine.settings import Settings
from tests.conftest import POSTGRES_URL, _dsn, postgres_or_skip
from web.bootstrap import bootstrap


def refused(url: str, tmp_path) -> str:
    started = time.monotonic()
    with pytest.raises(ConfigurationError) as caught:
        bootstrap(Settings(database_url=url, base_dir=tmp_path))
    assert time.monotonic() - started < 5  # not the library's 30-second wait
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_a_wrong_port_fails_at_once_naming_where_never_the_password(tmp_path):
    message = refused("postgresql://alice:s3cr3t-pw@127.0.0.1:1/books", tmp_path)
    assert "PostgreSQL at 127.0.0.1:1, database 'books' as user 'alice'" in message
    assert "Connection refused" in message or "connection failed" in message
    assert "s3cr3t-pw" not in message
    assert "DATABASE_URL" in message


def test_a_missing_database_says_so(tmp_path):
    postgres_or_skip()
    parts = urlsplit(_dsn(POSTGRES_URL))
    message = refused(parts._replace(path="/no_such_db_qbt").geturl(), tmp_path)
    assert 'database "no_such_db_qbt" does not exist' in message


def test_a_missing_schema_is_created(tmp_path):
    postgres_or_skip()
    import psycopg

    schema = f"t_new_{uuid.uuid4().hex[:8]}"
    engine = bootstrap(
        Settings(database_url=f"{_dsn(POSTGRES_URL)}?schema={schema}", base_dir=tmp_path)
    )
    try:
        assert engine.list_connectors() == []
    finally:
        engine.close()
        with psycopg.connect(_dsn(POSTGRES_URL), autocommit=True) as conn:
            found = conn.execute(
                "SELECT 1 FROM information_schema.schemata WHERE schema_name = %s", (schema,)
            ).fetchone()
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    assert found is not None
