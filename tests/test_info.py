"""`qbtransfer info`, QBTRANSFER_HOME and the notice a command gives when it creates a new,
empty database (the CLI run from another folder used to do that silently)."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import cli_api_user
from web.database import masked_url


def test_info_describes_the_store_in_use(cli, settings, monkeypatch):
    url = settings.database_url
    if url.startswith("postgresql"):  # the test server trusts: any password is accepted
        url = url.replace("postgresql://postgres@", "postgresql://postgres:s3cret-pw@")
        monkeypatch.setenv("DATABASE_URL", url)
    cli_api_user(cli)
    result = cli("info", "--json")
    assert result.exit_code == 0, result
    info = result.json()
    assert "s3cret-pw" not in result.stdout + result.stderr
    assert info["version"] == "0.1.0"
    assert info["events"] == info["log_position"] >= 2  # the account and the user
    assert info["store_bytes"] > 0
    assert info["public_url"] == "https://qb.example.com"
    assert set(info["read_models"]) == {
        "QuickBooksLists",
        "Sessions",
        "PsaRecords",
        "Transfers",
        "TransferHistory",
        "Notices",
    }
    assert all(m["runner"] == "none" for m in info["read_models"].values())
    if "postgresql" in url:
        assert info["database_url"].startswith("postgresql://postgres:***@127.0.0.1")
        assert info["database"].startswith("PostgreSQL postgres@127.0.0.1:")
    else:
        assert info["database_file"] == str(Path(url.removeprefix("sqlite:///")).resolve())
    text = cli("info").stdout
    assert "events" in text and "read model Transfers" in text and "lag" in text


def test_qbtransfer_home_chooses_where_var_lives_and_a_new_database_is_announced(
    cli, tmp_path, monkeypatch
):
    home = tmp_path / "home"
    monkeypatch.delenv("DATABASE_URL")
    monkeypatch.setenv("QBTRANSFER_HOME", str(home))
    monkeypatch.chdir(tmp_path)
    first = cli("info", "--json")
    assert first.json()["database_file"] == str((home / "var" / "qbtransfer.sqlite3").resolve())
    notice = first.stderr.strip().splitlines()
    assert len(notice) == 1 and notice[0].startswith("notice: created a new, empty database at")
    assert "QBTRANSFER_HOME" in notice[0]
    assert (home / "var" / "qbtransfer.sqlite3").exists()
    assert not (tmp_path / "var").exists()
    assert cli("info").stderr == ""  # the second command finds it

    monkeypatch.delenv("QBTRANSFER_HOME")  # the default stays var/ under the working folder
    other = cli("users", "list", "--json")
    assert other.json() == {"users": []} and "notice: created" in other.stderr
    assert (tmp_path / "var" / "qbtransfer.sqlite3").exists()


def test_a_new_postgresql_store_is_announced_too(cli, monkeypatch):
    from tests.conftest import postgres_or_skip, postgres_schema

    postgres_or_skip()
    with postgres_schema() as url:
        monkeypatch.setenv("DATABASE_URL", url)
        first = cli("users", "list")
        assert first.stderr.startswith("notice: created a new, empty event store (PostgreSQL")
        assert cli("users", "list").stderr == ""


def test_passwords_are_masked_in_database_urls():
    assert masked_url("postgresql://u:p%40ss@db.example:6432/q?schema=s") == (
        "postgresql://u:***@db.example:6432/q?schema=s"
    )
    assert masked_url("postgresql://u@db/q") == "postgresql://u@db/q"
    assert masked_url(None) is None
