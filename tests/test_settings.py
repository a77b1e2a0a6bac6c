"""DATABASE_URL and the other settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.errors import ConfigurationError
from engine.settings import Settings, database_env


def test_unset_means_the_embedded_sqlite_file_created_on_first_use(tmp_path: Path):
    env = database_env(None, tmp_path)
    assert env["PERSISTENCE_MODULE"] == "engine.sqlite_store:BoundedCacheSQLiteFactory"
    assert env["SQLITE_DBNAME"] == str(tmp_path / "var" / "qbtransfer.sqlite3")
    assert "APPLICATION_RECORDER_TOPIC" not in env  # the library's own recorder
    assert (tmp_path / "var").is_dir()


def test_sqlite_urls_relative_and_absolute(tmp_path: Path):
    assert database_env("sqlite:///data/q.db", tmp_path)["SQLITE_DBNAME"] == str(
        tmp_path / "data" / "q.db"
    )
    absolute = tmp_path / "abs" / "q.db"
    assert database_env(f"sqlite:///{absolute}", Path("/elsewhere"))["SQLITE_DBNAME"] == str(
        absolute
    )


def test_postgres_urls():
    env = database_env("postgresql://qb:s%40cret@db.internal:5433/qbt?schema=tenant1", Path("."))
    assert env["PERSISTENCE_MODULE"] == "engine.postgres_store:SerializedPostgresFactory"
    assert (env["POSTGRES_USER"], env["POSTGRES_PASSWORD"]) == ("qb", "s@cret")
    assert (env["POSTGRES_HOST"], env["POSTGRES_PORT"], env["POSTGRES_DBNAME"]) == (
        "db.internal",
        "5433",
        "qbt",
    )
    assert env["POSTGRES_SCHEMA"] == "tenant1"
    assert database_env("postgres://u@h/d", Path("."))["POSTGRES_SCHEMA"] == "public"


@pytest.mark.parametrize(
    "url, problem",
    [
        ("mysql://u@h/d", "not supported"),
        ("postgresql://u@h/", "name a database"),
        ("sqlite://host/x.db", "takes no host"),
        ("sqlite:///", "needs a file path"),
    ],
)
def test_bad_urls_are_explained(url, problem, tmp_path):
    with pytest.raises(ConfigurationError, match=problem):
        database_env(url, tmp_path)


def test_compression_is_on_and_passwords_stay_out_of_descriptions(tmp_path):
    settings = Settings(database_url="postgresql://qb:hunter2@db/qbt", base_dir=tmp_path)
    assert settings.eventstore_env()["COMPRESSOR_TOPIC"] == "engine.compression:FastZlibCompressor"
    assert "hunter2" not in settings.describe_database()


def test_public_url_and_port_from_the_environment():
    settings = Settings.from_env({"PUBLIC_URL": "https://qb.example.com/", "PORT": "9000"})
    assert settings.effective_public_url == "https://qb.example.com"
    assert Settings.from_env({"PORT": "9000"}).effective_public_url == "http://localhost:9000"
    with pytest.raises(ConfigurationError, match="PORT"):
        Settings.from_env({"PORT": "nine"})


def test_a_serving_process_bounds_sqlites_page_caches_and_a_command_keeps_the_default(
    tmp_path: Path,
):
    from engine import sqlite_store
    from projections.runtime import READ_MODELS, open_view
    from web.bootstrap import bootstrap

    def caches(settings: Settings) -> set[int]:
        engine = bootstrap(settings)
        try:
            with engine.recorder.datastore.transaction(commit=False) as cursor:
                cursor.execute("PRAGMA cache_size")
                found = {cursor.fetchone()[0]}
            for name in READ_MODELS:
                view = open_view(settings, name)
                try:
                    found.add(view.query("PRAGMA cache_size")[0]["cache_size"])
                finally:
                    view.close()
        finally:
            engine.close()
        return found

    settings = Settings(database_url=f"sqlite:///{tmp_path / 'e.sqlite3'}", base_dir=tmp_path)
    assert caches(settings.for_serving()) == {-sqlite_store.LONG_LIVED_PAGE_CACHE_KIB}
    assert caches(settings) == {-2000}  # SQLite's default, for a rebuild's speed
    assert settings.for_serving().for_serving() == settings.for_serving()
