"""Configuration from the environment.

Everything the engine needs to know about where it runs comes from a handful of environment
variables (see the README's configuration table). This module turns them into a `Settings`
value and turns `DATABASE_URL` into the environment eventsourcing's persistence modules read.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from engine import sqlite_store
from engine.errors import ConfigurationError
from engine.sqlite_store import is_sqlite
from engine.text import excerpt

# The PostgreSQL store's PERSISTENCE_MODULE topic: named, not imported, so that a SQLite
# deployment never loads psycopg.
POSTGRES_STORE = "engine.postgres_store:SerializedPostgresFactory"

DEFAULT_SQLITE_PATH = Path("var") / "qbtransfer.sqlite3"
DEFAULT_PORT = 8000
METRICS_MODES = ("off", "on", "token")
LOG_FORMATS = ("text", "json")

# The application name fixes PostgreSQL table names (transferengine_events, ...) and the prefix
# of application-specific environment keys; it must not follow a class rename.
APPLICATION_NAME = "TransferEngine"


def is_postgres(env: Mapping[str, str]) -> bool:
    """Whether an eventsourcing environment is a PostgreSQL store's."""
    return env.get("PERSISTENCE_MODULE") in (POSTGRES_STORE, "eventsourcing.postgres")


@dataclass(frozen=True)
class Settings:
    """Where the engine keeps its events and how the outside world reaches it."""

    database_url: str | None = None
    public_url: str | None = None
    port: int = DEFAULT_PORT
    base_dir: Path = Path(".")
    extra_trusted_hosts: tuple[str, ...] = ()
    metrics: str = "off"  # GET /metrics: off, on, or token (an admin API token is needed)
    log_format: str = "text"  # or json: one JSON object per line, for log shippers
    smtp_url: str | None = field(default=None, repr=False)  # carries a password
    mail_from: str = "qbtransfer@localhost"
    # Signs the admin pages' session cookies; unset, one is made and kept in var/ (every
    # process of one machine shares it; several machines need this set, the same on each).
    secret_key: str | None = field(default=None, repr=False)
    # SQLite's page cache per connection, in KiB (None: SQLite's own 2 MB); see for_serving.
    page_cache_kib: int | None = None

    def for_serving(self) -> Settings:
        """These settings for a process that lives long (serve, worker, the web app): its
        SQLite connections keep small page caches, so its memory stays flat."""
        if self.page_cache_kib is not None:
            return self
        return replace(self, page_cache_kib=sqlite_store.LONG_LIVED_PAGE_CACHE_KIB)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read settings from `environ` (default: the process environment)."""
        environ = os.environ if environ is None else environ
        port_text = environ.get("PORT") or str(DEFAULT_PORT)
        try:
            port = int(port_text)
        except ValueError:
            raise ConfigurationError(f"PORT must be a number, not {excerpt(port_text)}") from None
        metrics = (environ.get("METRICS") or "off").strip().lower()
        if metrics not in METRICS_MODES:
            raise ConfigurationError(
                f"METRICS must be one of {', '.join(METRICS_MODES)}, not {excerpt(metrics)}"
            )
        log_format = (environ.get("LOG_FORMAT") or "text").strip().lower()
        if log_format not in LOG_FORMATS:
            raise ConfigurationError(
                f"LOG_FORMAT must be one of {', '.join(LOG_FORMATS)}, not {excerpt(log_format)}"
            )
        return cls(
            metrics=metrics,
            log_format=log_format,
            smtp_url=environ.get("SMTP_URL") or None,
            mail_from=environ.get("MAIL_FROM") or "qbtransfer@localhost",
            secret_key=environ.get("SECRET_KEY") or None,
            database_url=environ.get("DATABASE_URL") or None,
            public_url=(environ.get("PUBLIC_URL") or "").rstrip("/") or None,
            port=port,
            base_dir=Path(environ["QBTRANSFER_HOME"]).expanduser()
            if environ.get("QBTRANSFER_HOME")
            else Path.cwd(),
            extra_trusted_hosts=tuple(
                h.strip().lower() for h in environ.get("TRUSTED_HOSTS", "").split(",") if h.strip()
            ),
        )

    @property
    def trusted_hosts(self) -> list[str]:
        """The host names requests may carry in their Host header: PUBLIC_URL's, the loopback
        names (QBWC or a proxy on this machine), and any in TRUSTED_HOSTS."""
        public = urlsplit(self.effective_public_url).hostname or "localhost"
        return sorted({public.lower(), "localhost", "127.0.0.1", "::1", *self.extra_trusted_hosts})

    @property
    def effective_public_url(self) -> str:
        """The URL QBWC and browsers use to reach this server, when none is stored."""
        return self.public_url_with(None)

    def public_url_with(self, stored: str | None) -> str:
        """The URL QBWC and browsers use to reach this server: PUBLIC_URL when set (it
        overrides), else the one stored with `account set --public-url`, else localhost."""
        return self.public_url or stored or f"http://localhost:{self.port}"

    def public_url_source(self, stored: str | None) -> str:
        """Where `public_url_with(stored)` comes from, in words."""
        if self.public_url:
            return "the PUBLIC_URL environment variable"
        return "the account setting" if stored else "the default (nothing is configured)"

    def hosts_with(self, stored: str | None) -> list[str]:
        """The trusted hosts once the stored public URL is known."""
        extra = urlsplit(stored).hostname if stored and not self.public_url else None
        return sorted({*self.trusted_hosts, *([extra.lower()] if extra else [])})

    @property
    def outbox(self) -> Path:
        """Where messages go as .eml files when no SMTP_URL is set."""
        return self.base_dir / "var" / "outbox"

    def eventstore_env(self) -> dict[str, str]:
        """The eventsourcing environment for `DATABASE_URL`, with compression on."""
        env = database_env(self.database_url, self.base_dir)
        env["COMPRESSOR_TOPIC"] = "engine.compression:FastZlibCompressor"
        if self.page_cache_kib is not None and is_sqlite(env):
            env[sqlite_store.PAGE_CACHE_KEY] = str(self.page_cache_kib)
        return env

    def describe_database(self) -> str:
        """A human description of the store, without any password."""
        env = database_env(self.database_url, self.base_dir)
        if is_sqlite(env):
            return f"SQLite {env['SQLITE_DBNAME']}"
        return (
            f"PostgreSQL {env['POSTGRES_USER']}@{env['POSTGRES_HOST']}:{env['POSTGRES_PORT']}"
            f"/{env['POSTGRES_DBNAME']} (schema {env['POSTGRES_SCHEMA']})"
        )


def database_env(database_url: str | None, base_dir: Path) -> dict[str, str]:
    """Translate a SQLAlchemy-style database URL into eventsourcing persistence settings.

    Unset means the embedded SQLite file `var/qbtransfer.sqlite3` under `base_dir`, whose folder
    is created on first use.
    """
    if not database_url:
        return _sqlite_env(base_dir / DEFAULT_SQLITE_PATH)
    parts = urlsplit(database_url)
    if parts.scheme == "sqlite":
        # sqlite:///relative/path has the path "/relative/path"; sqlite:////abs has "//abs".
        raw = unquote(parts.path)
        if parts.netloc:
            raise ConfigurationError(
                "DATABASE_URL for SQLite takes no host: use sqlite:///relative/path "
                "or sqlite:////absolute/path"
            )
        if not raw.startswith("/") or raw == "/":
            raise ConfigurationError("DATABASE_URL for SQLite needs a file path after sqlite:///")
        path = Path(raw[1:])
        return _sqlite_env(path if path.is_absolute() else base_dir / path)
    if parts.scheme in ("postgresql", "postgres", "postgresql+psycopg"):
        dbname = unquote(parts.path.lstrip("/"))
        if not dbname:
            raise ConfigurationError("DATABASE_URL for PostgreSQL must name a database")
        query = parse_qs(parts.query)
        return {
            "PERSISTENCE_MODULE": POSTGRES_STORE,
            "POSTGRES_DBNAME": dbname,
            "POSTGRES_HOST": parts.hostname or "127.0.0.1",
            "POSTGRES_PORT": str(parts.port or 5432),
            "POSTGRES_USER": unquote(parts.username or "postgres"),
            "POSTGRES_PASSWORD": unquote(parts.password or ""),
            "POSTGRES_SCHEMA": query.get("schema", ["public"])[0],
            "POSTGRES_POOL_SIZE": query.get("pool_size", ["2"])[0],
            "POSTGRES_MAX_OVERFLOW": query.get("max_overflow", ["8"])[0],
            # A wrong host or port fails in seconds, not after the library's 30.
            "POSTGRES_CONNECT_TIMEOUT": "5",
        }
    raise ConfigurationError(
        f"DATABASE_URL scheme {parts.scheme or '(none)'!r} is not supported: "
        "use sqlite:///path or postgresql://user:password@host:port/database"
    )


def _sqlite_env(path: Path) -> dict[str, str]:
    path.parent.mkdir(parents=True, exist_ok=True)
    return {"PERSISTENCE_MODULE": sqlite_store.MODULE, "SQLITE_DBNAME": str(path)}


def read_model_path(event_store: str, read_model: str) -> str:
    """Each read model gets its own SQLite file beside the event store's (SQLite tracking
    tables are not prefixed, so two models in one file would share a position)."""
    path = Path(event_store)
    return str(path.with_name(f"{path.stem}.{read_model.lower()}{path.suffix}"))
