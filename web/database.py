"""The event store as a place: before the engine opens PostgreSQL, can it be reached and does
the schema the URL names exist (a wrong host, port or database fails within seconds with one
line that names them, never the password, and what to do; a missing schema is created), was
the store there already, what to say when it was not, and how big is it?"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from engine.errors import ConfigurationError
from engine.settings import APPLICATION_NAME, Settings, is_postgres

if TYPE_CHECKING:
    from engine.application import TransferEngine

CONNECT_TIMEOUT_S = 4


def prepare_postgres(env: dict[str, Any]) -> bool:
    """Check the event store's PostgreSQL server and create the URL's schema when missing;
    True when the store's tables already exist there (False: a new, empty store)."""
    import psycopg  # only PostgreSQL deployments need it loaded
    from psycopg import sql

    from engine.postgres_store import ddl_lock

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
            with connection.transaction():  # processes booting together (engine.postgres_store)
                connection.execute(ddl_lock(schema))
                connection.execute(
                    sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema))
                )
            found = connection.execute(
                "SELECT to_regclass(%s)", [f'"{schema}".{_events_table()}']
            ).fetchone()
            return found is not None and found[0] is not None
    except psycopg.Error as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        password = env.get("POSTGRES_PASSWORD")
        if password:
            reason = reason.replace(password, "***")
        raise ConfigurationError(
            f"cannot use {where}: {reason}. Check that the server runs and that DATABASE_URL "
            "names the right host, port, database and user"
        ) from None


def _events_table() -> str:
    return f"{APPLICATION_NAME.lower()}_events"


def new_store_notice(settings: Settings) -> str:
    """What to tell whoever just created a new, empty store, perhaps by mistake."""
    if settings.database_url:
        return (
            f"notice: created a new, empty event store ({settings.describe_database()}); "
            "if you expected your data, check DATABASE_URL"
        )
    return (
        f"notice: created a new, empty database at {sqlite_path(settings)}: the embedded "
        "database lives in var/ under the folder a command runs from (or under "
        "QBTRANSFER_HOME); run from the folder that holds var/, or set QBTRANSFER_HOME or "
        "DATABASE_URL"
    )


def sqlite_path(settings: Settings) -> Path:
    """The SQLite event store's file (absolute)."""
    return Path(settings.eventstore_env()["SQLITE_DBNAME"]).resolve()


def masked_url(database_url: str | None) -> str | None:
    """DATABASE_URL with any password replaced by ***."""
    if not database_url:
        return None
    parts = urlsplit(database_url)
    if parts.password is None:
        return database_url
    host = parts.hostname or ""
    netloc = f"{parts.username or ''}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


@dataclass(frozen=True)
class StoreStats:
    """How much the event store holds."""

    events: int
    bytes: int


def store_stats(settings: Settings, engine: TransferEngine) -> StoreStats:
    """The number of stored events and the bytes the store takes (with the read models)."""
    recorder: Any = engine.recorder
    env = settings.eventstore_env()
    if is_postgres(env):
        from psycopg import sql

        schema = env.get("POSTGRES_SCHEMA") or "public"
        count = sql.SQL("SELECT COUNT(*) FROM {}.{}").format(
            sql.Identifier(schema), sql.Identifier(recorder.events_table_name)
        )
        size = (
            "SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s AND c.relkind = 'r'"
        )
        with recorder.datastore.transaction(commit=False) as cursor:
            cursor.execute(count)
            events = _first(cursor.fetchone())
            cursor.execute(size, [schema])
            return StoreStats(events, _first(cursor.fetchone()))
    with recorder.datastore.transaction(commit=False) as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {recorder.events_table_name}")
        events = _first(cursor.fetchone())
    path = sqlite_path(settings)
    size = sum(f.stat().st_size for f in path.parent.glob(f"{path.stem}*") if f.is_file())
    return StoreStats(events, size)


def _first(row: Any) -> int:
    """The one value of a one-column row (a tuple, or a dict with PostgreSQL's row factory)."""
    return int(next(iter(row.values())) if isinstance(row, dict) else row[0])
