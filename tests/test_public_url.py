"""The public URL is a stored setting (`account set --public-url`, an event) that the command
line and the API both use; PUBLIC_URL overrides it; a .qwc for localhost comes with a warning."""

from __future__ import annotations

import dataclasses

import pytest
from lxml import etree

from engine.aggregates import Account
from tests.helpers import cli_api_user
from tests.test_cli import refused


@pytest.fixture
def no_env_url(cli, monkeypatch):
    monkeypatch.delenv("PUBLIC_URL")
    return cli


@pytest.fixture
def connector(cli):
    cli_api_user(cli)
    return cli("connectors", "create", "--name", "Books", "--api-user", "qbwc-api", "--json").json()


def app_url(qwc_text: str) -> str:
    return etree.fromstring(qwc_text.encode()).findtext("AppURL")


def test_without_any_setting_the_qwc_points_at_localhost_and_says_so(no_env_url, connector):
    result = no_env_url("connectors", "qwc", connector["id"])
    assert result.exit_code == 0
    assert app_url(result.stdout).startswith("http://localhost:8000/qbwc/")
    warning = result.stderr.strip().splitlines()
    assert len(warning) == 1 and warning[0].startswith("warning: this .qwc points at http://")
    assert "account set --public-url" in warning[0]
    shown = no_env_url("account", "show", "--json").json()
    assert shown["public_url"] is None and shown["effective_public_url"] == "http://localhost:8000"
    assert shown["public_url_from"].startswith("the default")


def test_the_stored_url_is_used_by_the_cli_and_the_api_alike(
    no_env_url, connector, settings, engine, api_headers
):
    stored = no_env_url("account", "set", "--public-url", "https://books.msp.example/qb/", "--json")
    assert stored.json()["public_url"] == "https://books.msp.example/qb"
    assert stored.json()["public_url_from"] == "the account setting"
    result = no_env_url("connectors", "qwc", connector["id"])
    assert app_url(result.stdout).startswith("https://books.msp.example/qb/qbwc/")
    assert result.stderr == ""

    from web import create_app

    app = create_app(dataclasses.replace(settings, public_url=None), engine=engine)
    client = app.test_client()
    answer = client.post(f"/api/v1/connectors/{connector['id']}/qwc", headers=api_headers)
    assert app_url(answer.get_data(as_text=True)).startswith("https://books.msp.example/qb/")
    assert "X-Qbtransfer-Warning" not in answer.headers
    # The stored host is trusted in the Host header, as PUBLIC_URL's would be.
    wsdl = client.get("/qbwc/x?wsdl", headers={"Host": "books.msp.example"})
    assert wsdl.status_code == 200 and b"https://books.msp.example/qb/qbwc/x" in wsdl.data
    assert client.get("/support", headers={"Host": "evil.example"}).status_code == 400

    # Changed through the API, the command line sees it at once.
    patched = client.patch("/api/v1/account", json={"public_url": ""}, headers=api_headers)
    assert patched.status_code == 200 and patched.json["public_url"] is None
    answer = client.post(f"/api/v1/connectors/{connector['id']}/qwc", headers=api_headers)
    assert answer.headers["X-Qbtransfer-Warning"].startswith("this .qwc points at http://local")
    assert app_url(no_env_url("connectors", "qwc", connector["id"]).stdout).startswith(
        "http://localhost:8000/"
    )
    account = engine.repository.get(Account.create_id())
    changes = [e for e in account.collect_events() if isinstance(e, Account.PublicUrlSet)]
    history = [
        e.public_url
        for e in engine.repository.event_store.get(Account.create_id())
        if isinstance(e, Account.PublicUrlSet)
    ]
    assert not changes and history == ["https://books.msp.example/qb", None]


def test_the_environment_variable_overrides_the_stored_url(cli, connector):
    cli("account", "set", "--public-url", "https://stored.example")
    shown = cli("account", "show", "--json").json()
    assert shown["effective_public_url"] == "https://qb.example.com"  # the fixture's PUBLIC_URL
    assert shown["public_url_from"] == "the PUBLIC_URL environment variable"
    assert app_url(cli("connectors", "qwc", connector["id"]).stdout).startswith(
        "https://qb.example.com/"
    )


@pytest.mark.parametrize(
    "url, match",
    [
        ("http://books.example", "not https"),
        ("https://10.0.0.5", "IP address"),
        ("https://books.example/?x=1", "no query"),
        ("https://user:pw@books.example", "must not carry a user name or password"),
        ("books.example", "not an absolute http(s) URL"),
    ],
)
def test_a_url_qbwc_could_not_use_is_refused(cli, settings, url, match):
    line = refused(cli, settings, "account", "set", "--public-url", url, match=match)
    assert "pw" not in line
