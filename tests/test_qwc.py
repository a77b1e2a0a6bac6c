"""The .qwc writer, the validator that guards it, and registrations."""

from __future__ import annotations

import re
from urllib.parse import urlsplit
from uuid import UUID, uuid4

import pytest
from lxml import etree

from engine.errors import InvalidValue
from engine.qwc import QwcRefused, QwcSpec, build_qwc, validate_qwc
from tests.helpers import make_api_user

GOOD = """<?xml version="1.0"?>
<QBWCXML>
  <AppName>Acme Sync</AppName>
  <AppID></AppID>
  <AppURL>https://sync.example.com/qbwc/1</AppURL>
  <AppDescription>Pushes Acme orders into QuickBooks</AppDescription>
  <AppSupport>https://sync.example.com/support</AppSupport>
  <UserName>tenant-42</UserName>
  <OwnerID>{0B1E6F0C-1F7A-4B8E-9D2C-6A51C2C0A001}</OwnerID>
  <FileID>{7C9D2E44-5B1A-4E0F-8A33-90F1D2C4B7E2}</FileID>
  <QBType>QBFS</QBType>
  <Scheduler><RunEveryNMinutes>15</RunEveryNMinutes></Scheduler>
  <IsReadOnly>false</IsReadOnly>
  <UnattendedModePref>umpOptional</UnattendedModePref>
  <PersonalDataPref>pdpNotNeeded</PersonalDataPref>
  <AuthFlags>0xF</AuthFlags>
  <Notify>false</Notify>
  <Style>Document</Style>
</QBWCXML>"""


def replace(tag: str, value: str) -> str:
    return re.sub(f"<{tag}>.*?</{tag}>", f"<{tag}>{value}</{tag}>", GOOD, flags=re.S)


def remove(tag: str) -> str:
    return re.sub(f"<{tag}>.*?</{tag}>", "", GOOD, flags=re.S)


def test_a_good_file_passes():
    assert validate_qwc(GOOD) == []


@pytest.mark.parametrize(
    "text, problem",
    [
        ("<QBWCXML><AppName>x</QBWCXML>", "not well-formed"),
        ("<QBWC/>", "root element"),
        (GOOD.replace("<QBWCXML>", '<!DOCTYPE QBWCXML [<!ENTITY x "y">]><QBWCXML>'), "DOCTYPE"),
        (replace("AppName", "A & B"), "not well-formed"),
        (remove("AppURL"), "<AppURL> is missing"),
        (remove("AppID"), "<AppID> is missing"),
        (replace("UserName", ""), "<UserName> is empty"),
        (GOOD.replace("<QBType>", "<Password>x</Password><QBType>"), "unknown element <Password>"),
        (
            GOOD.replace(
                "<PersonalDataPref>pdpNotNeeded</PersonalDataPref>",
                "<PersonalDataPrep>pdpNotNeeded</PersonalDataPrep>",
            ),
            "unknown element <PersonalDataPrep>",
        ),
        (
            GOOD.replace("<Notify>false</Notify>", "<Notify>false</Notify><Notify>true</Notify>"),
            "more than once",
        ),
        (replace("AppURL", "http://sync.example.com/qbwc"), "not https"),
        (replace("AppURL", "https://203.0.113.7/qbwc"), "IP address"),
        (replace("AppURL", "sync.example.com/qbwc"), "not an absolute"),
        (replace("AppSupport", "https://203.0.113.7/support"), "QBWC1002"),
        (replace("AppSupport", "https://help.other.org/support"), "same domain"),
        (replace("AppSupport", "https://community.intuit.com/x"), "Intuit"),
        (replace("AppDescription", "d" * 81), "longer than 80"),
        (replace("OwnerID", "0B1E6F0C-1F7A-4B8E-9D2C-6A51C2C0A001"), "GUID in braces"),
        (replace("FileID", "{not-a-guid}"), "GUID in braces"),
        (replace("QBType", "QBO"), "<QBType>"),
        (replace("IsReadOnly", "yes"), "<IsReadOnly>"),
        (replace("UnattendedModePref", "umpSometimes"), "<UnattendedModePref>"),
        (replace("PersonalDataPref", "pdpMaybe"), "<PersonalDataPref>"),
        (replace("Style", "SOAP12"), "<Style>"),
        (replace("AuthFlags", "15"), "hex bitmask"),
        (replace("Scheduler", "<RunEveryNMinutes>0</RunEveryNMinutes>"), "positive whole number"),
        (
            replace(
                "Scheduler",
                "<RunEveryNMinutes>15</RunEveryNMinutes><RunEveryNSeconds>30</RunEveryNSeconds>",
            ),
            "exactly one",
        ),
        (replace("Scheduler", "<RunEveryNHours>1</RunEveryNHours>"), "unknown element"),
        (GOOD.replace("<Style>", "<CertURL>http://certs.example.com</CertURL><Style>"), "CertURL"),
    ],
)
def test_every_rule_is_checked(text, problem):
    problems = validate_qwc(text)
    assert any(problem in p for p in problems), problems


def test_localhost_may_use_plain_http():
    text = replace("AppURL", "http://localhost:8000/qbwc/1")
    text = re.sub(
        "<AppSupport>.*?</AppSupport>",
        "<AppSupport>http://localhost:8000/support</AppSupport>",
        text,
    )
    assert validate_qwc(text) == []


def spec(**overrides) -> QwcSpec:
    values = dict(
        app_name="A & B <sync>",
        app_url="https://qb.example.com/qbwc/x",
        app_support="https://qb.example.com/support",
        app_description="d",
        username="user&co",
        owner_id=uuid4(),
        file_id=uuid4(),
        run_every_minutes=15,
    )
    values.update(overrides)
    return QwcSpec(**values)


def test_the_writer_escapes_values_and_its_output_validates():
    text = build_qwc(spec())
    root = etree.fromstring(text.encode())
    assert root.findtext("AppName") == "A & B <sync>"
    assert root.findtext("UserName") == "user&co"
    assert "&amp;" in text and "&lt;sync&gt;" in text
    assert validate_qwc(text) == []


def test_the_writer_refuses_what_the_validator_refuses():
    with pytest.raises(QwcRefused, match="not https") as info:
        build_qwc(spec(app_url="http://qb.example.com/qbwc/x"))
    assert info.value.problems


# -- registrations through the engine --------------------------------------------------------


@pytest.fixture
def connector(engine):
    make_api_user(engine)
    return engine.create_connector(name="Acme & Sons (default)", api_username="qbwc-api")


def issue(engine, connector, public_url="https://qb.example.com", **kw):
    return engine.issue_qwc(connector["id"], public_url=public_url, issued_by="test", **kw)


def test_each_download_is_a_new_registration_with_its_own_app_url(engine, connector):
    first, second = issue(engine, connector), issue(engine, connector)
    assert first["registration_id"] != second["registration_id"]
    for issued in (first, second):
        root = etree.fromstring(issued["qwc"].encode())
        assert root.findtext("AppURL") == f"https://qb.example.com/qbwc/{issued['registration_id']}"
        assert root.findtext("AppSupport") == "https://qb.example.com/support"
        assert root.findtext("UserName") == "qbwc-api"
        assert root.findtext("QBType") == "QBFS"
        assert root.findtext("Scheduler/RunEveryNMinutes") == "15"
        assert validate_qwc(issued["qwc"]) == []
    regs = engine.list_registrations(connector["id"])
    assert [r["id"] for r in regs] == [first["registration_id"], second["registration_id"]]
    assert regs[0]["issued_by"] == "test" and regs[0]["connector_id"] == connector["id"]
    names = [type(e).__qualname__ for e in engine.events.get(UUID(connector["id"]))]
    assert names.count("WebConnector.QwcIssued") == 2


def test_file_id_is_stable_per_connector_and_owner_id_per_installation(engine, connector):
    other = engine.create_connector(name="Other file", api_username="qbwc-api")
    a1, a2, b = issue(engine, connector), issue(engine, connector), issue(engine, other)

    def field(issued, tag):
        return etree.fromstring(issued["qwc"].encode()).findtext(tag)

    assert field(a1, "FileID") == field(a2, "FileID") == connector["file_id"]
    assert field(b, "FileID") == other["file_id"] != connector["file_id"]
    assert field(a1, "OwnerID") == field(b, "OwnerID") == engine.get_account()["owner_id"]
    assert field(a1, "AppName") == field(a2, "AppName") != field(b, "AppName")
    assert field(a1, "AppName") == "qbtransfer - Acme & Sons (default)"


def test_the_scheduler_follows_the_connector_interval(engine, connector):
    engine.change_connector(connector["id"], auto_run_minutes=45)
    root = etree.fromstring(issue(engine, connector)["qwc"].encode())
    assert root.findtext("Scheduler/RunEveryNMinutes") == "45"


@pytest.mark.parametrize(
    "public_url, problem",
    [
        ("http://qb.example.com", "PUBLIC_URL"),
        ("https://192.0.2.10", "IP address"),
        ("http://127.0.0.1:8000", "IP address"),
        ("https://[2001:db8::1]", "IP address"),
    ],
)
def test_unreachable_app_urls_are_refused_explaining_public_url(
    engine, connector, public_url, problem
):
    before = engine.recorder.max_notification_id()
    with pytest.raises(InvalidValue, match=problem):
        issue(engine, connector, public_url=public_url)
    assert engine.recorder.max_notification_id() == before


def test_localhost_over_http_is_allowed(engine, connector):
    issued = issue(engine, connector, public_url="http://localhost:8000/")
    assert urlsplit(issued["app_url"]).netloc == "localhost:8000"


def test_a_qwc_is_only_for_the_connectors_api_user(engine, connector):
    make_api_user(engine, "someone-else")
    with pytest.raises(InvalidValue, match="90303"):
        issue(engine, connector, username="someone-else")
    engine.change_user("qbwc-api", status="locked")
    with pytest.raises(InvalidValue, match="is locked"):
        issue(engine, connector)


def test_registrations_can_be_revoked_once(engine, connector):
    issued = issue(engine, connector)
    revoked = engine.revoke_registration(
        issued["registration_id"], reason="laptop stolen", revoked_by="test"
    )
    assert revoked["revoked"] is True and revoked["revoked_reason"] == "laptop stolen"
    with pytest.raises(Exception, match="already revoked"):
        engine.revoke_registration(issued["registration_id"], reason="", revoked_by="test")
    assert engine.get_registration(issued["registration_id"])["revoked"] is True
