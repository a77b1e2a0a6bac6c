"""The embedded store: eventsourcing's SQLite persistence, with a bounded page cache for the
processes that live long.

SQLite gives every connection up to 2 MB of page cache. A server keeps pooled connections to
eight files (the event store and seven read models), and their caches fill as the files grow:
over a 1,000-session soak `qbtransfer serve` crept up by some 14 KB a session
(docs/performance.md). Bounded at LONG_LIVED_PAGE_CACHE_KIB per connection, its memory stays
flat, and the operating system's file cache still holds the pages. A command that comes and
goes keeps SQLite's default: a rebuild reads the whole log and writes index pages all over,
and with the small cache ran 13 % slower.
"""

from __future__ import annotations

from eventsourcing.sqlite import SQLiteConnection, SQLiteConnectionPool, SQLiteFactory

LONG_LIVED_PAGE_CACHE_KIB = 64  # serve, worker and the web app (Settings.for_serving)
MODULE = "engine.sqlite_store:BoundedCacheSQLiteFactory"  # the PERSISTENCE_MODULE topic
PAGE_CACHE_KEY = "SQLITE_PAGE_CACHE_KIB"  # in the eventsourcing environment; unset: SQLite's


class BoundedCachePool(SQLiteConnectionPool):
    """The library's pool, each new connection's page cache set to `page_cache_kib`."""

    def __init__(self, *, page_cache_kib: int, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(**kwargs)
        self.page_cache_kib = page_cache_kib

    def _create_connection(self) -> SQLiteConnection:
        connection = super()._create_connection()
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = -{self.page_cache_kib}")  # negative: KiB
        return connection


class BoundedCacheSQLiteFactory(SQLiteFactory):
    """The library's SQLite persistence; with `SQLITE_PAGE_CACHE_KIB` in the environment, on a
    `BoundedCachePool`."""

    def __init__(self, env):  # type: ignore[no-untyped-def]
        super().__init__(env)
        kib = self.env.get(PAGE_CACHE_KEY)
        if kib:
            library_pool = self.datastore.pool
            # The library's datastore opens no connection before its first use.
            self.datastore.pool = BoundedCachePool(
                db_name=library_pool.db_name,
                lock_timeout=library_pool.lock_timeout,
                page_cache_kib=int(kib),
            )


def is_sqlite(env: dict[str, str]) -> bool:
    """Whether an eventsourcing environment is the embedded SQLite store's."""
    return env.get("PERSISTENCE_MODULE") in (MODULE, "eventsourcing.sqlite")
