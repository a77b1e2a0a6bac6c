"""Before the engine opens its PostgreSQL event store: can it be reached, and does the schema
the URL names exist? A wrong host, port or database fails within seconds with one line that
names them (never the password) and what to do; a missing schema is created."""

from __future__ import annotations

from typing import Any

from engine.errors import ConfigurationError

CONNECT_TIMEOUT_S = 4


def prepare_postgres(env: dict[str, Any]) -> None:
    """Check the event store's PostgreSQL server and create the URL's schema when missing."""
    import psycopg  # only PostgreSQL deployments need it loaded
    from psycopg import sql

    where = (
        f"PostgreSQL at {env['POSTGRES_HOST']}:{env['POSTGRES_PORT']}, database "
        f"{env['POSTGRES_DBNAME']!r} as user {env['POSTGRES_USER']!r}"
    )
    try:
        with psycopg.connect(
            host=env["POSTGRES_HOST"],
            port=int(env["POSTGRES_PORT"]),
            dbname=env["POSTGRES_DBNAME"],
            user=env["POSTGRES_USER"],
            password=env.get("POSTGRES_PASSWORD") or None,
            connect_timeout=CONNECT_TIMEOUT_S,
            autocommit=True,
        ) as connection:
            schema = env.get("POSTGRES_SCHEMA") or "public"
            connection.execute(
                sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema))
            )
    except psycopg.Error as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        password = env.get("POSTGRES_PASSWORD")
        if password:
            reason = reason.replace(password, "***")
        raise ConfigurationError(
            f"cannot use {where}: {reason}. Check that the server runs and that DATABASE_URL "
            "names the right host, port, database and user"
        ) from None
