"""Users and the account's password policy."""

from __future__ import annotations

import zlib
from datetime import UTC, datetime, timedelta

import pytest

from engine.aggregates.user import User
from engine.errors import Conflict, InvalidValue, NotFound
from tests.helpers import API_PASSWORD, make_api_user


def all_stored_bytes(engine) -> bytes:
    """Every stored event, decompressed, as one blob (what an attacker with the database sees)."""
    blobs = []
    for n in engine.recorder.select_notifications(start=1, limit=10_000):
        try:
            blobs.append(zlib.decompress(n.state))
        except zlib.error:
            blobs.append(n.state)
    return b"\n".join(blobs)


def test_an_api_only_user_is_created_with_a_hashed_password(engine):
    user = make_api_user(engine)
    assert user["security_level"] == "api_only"
    assert user["tracking_id"] == "Custom (qbtransfer)"
    assert user["status"] == "active"
    assert user["has_password"] is True
    assert user["password_set_at"] is not None
    assert user["failed_attempts"] == 0
    assert "password" not in user and "password_hash" not in user
    stored = all_stored_bytes(engine)
    assert API_PASSWORD.encode() not in stored
    assert b"scrypt:" in stored  # the hash, from werkzeug's scrypt helper


def test_an_api_only_user_needs_a_tracking_identifier(engine):
    with pytest.raises(InvalidValue, match="tracking identifier"):
        engine.create_user("api", security_level="api_only", tracking_id="  ")
    with pytest.raises(NotFound):
        engine.get_user("api")


def test_usernames_are_unique_ignoring_case(engine):
    make_api_user(engine, "QBWC-User")
    with pytest.raises(Conflict, match="already exists"):
        make_api_user(engine, "qbwc-user")
    assert [u["username"] for u in engine.list_users()] == ["QBWC-User"]


@pytest.mark.parametrize("bad", ["", "has space", "-starts-with-dash", "x" * 65, "semi;colon"])
def test_bad_usernames_are_refused(popo_engine, bad):
    with pytest.raises(InvalidValue, match="username"):
        popo_engine.create_user(bad, security_level="admin")


def test_unknown_security_levels_are_refused(popo_engine):
    with pytest.raises(InvalidValue, match="security level"):
        popo_engine.create_user("x", security_level="superuser")


def test_short_passwords_are_refused_and_nothing_is_recorded(engine):
    before = engine.recorder.max_notification_id()
    with pytest.raises(InvalidValue, match="at least 8"):
        make_api_user(engine, password="short")
    assert engine.recorder.max_notification_id() == before


def test_strong_passwords_are_enforced_when_the_account_requires_them(engine):
    engine.change_account(strong_passwords=True)
    with pytest.raises(InvalidValue, match="strong passwords.*uppercase letter.*symbol"):
        make_api_user(engine, password="alllowercase123")
    user = make_api_user(engine, password="Str0ng&Long-Pass")
    assert user["has_password"]


def test_a_user_can_be_deactivated_locked_and_reactivated(engine):
    make_api_user(engine)
    assert engine.change_user("qbwc-api", status="inactive")["status"] == "inactive"
    assert engine.change_user("qbwc-api", status="locked")["status"] == "locked"
    assert engine.change_user("qbwc-api", status="active")["status"] == "active"
    with pytest.raises(InvalidValue, match="user status"):
        engine.change_user("qbwc-api", status="deleted")


def test_expiring_a_password_and_setting_a_new_one(engine):
    make_api_user(engine)
    assert engine.change_user("qbwc-api", expire_password=True)["password_expired"] is True
    user = engine.change_user("qbwc-api", password="Another-pass-1")
    assert user["password_expired"] is False


def test_passwords_expire_after_the_policy_days(engine):
    make_api_user(engine)
    engine.change_account(password_expiry_days=30)
    assert engine.get_user("qbwc-api")["password_expired"] is False
    engine.clock = lambda: datetime.now(UTC) + timedelta(days=31)
    assert engine.get_user("qbwc-api")["password_expired"] is True
    engine.change_account(password_expiry_days=0)
    assert engine.get_user("qbwc-api")["password_expired"] is False


def test_failed_sign_ins_lock_the_user_when_the_attempts_run_out():
    now = datetime.now(UTC)
    user = User.create(
        "api", security_level="api_only", tracking_id="t", display_name=None, now=now
    )
    assert [user.record_failed_sign_in(3, now) for _ in range(2)] == [2, 1]
    assert user.status == "active"
    assert user.record_failed_sign_in(3, now) == 0
    assert user.status == "locked"
    user.change_status("active")
    assert user.failed_attempts == 0


def test_a_correct_sign_in_clears_failed_attempts_only_when_there_are_some():
    now = datetime.now(UTC)
    user = User.create(
        "api", security_level="api_only", tracking_id="t", display_name=None, now=now
    )
    user.collect_events()
    user.record_sign_in(now)
    assert user.collect_events() == []
    user.record_failed_sign_in(10, now)
    user.record_sign_in(now)
    assert user.failed_attempts == 0


def test_password_hashes_never_appear_in_reprs():
    now = datetime.now(UTC)
    user = User.create(
        "api", security_level="api_only", tracking_id="t", display_name=None, now=now
    )
    user.set_password("scrypt:32768:8:1$salt$deadbeef", now)
    assert "deadbeef" not in repr(user)
    assert all("deadbeef" not in repr(e) for e in user.collect_events())


def test_the_account_policy_is_validated(engine):
    account = engine.get_account()
    assert account["status"] == "active"
    assert account["password_expiry_days"] is None
    assert account["strong_passwords"] is False
    assert account["lockout_attempts"] == 10
    with pytest.raises(InvalidValue, match="lockout attempts"):
        engine.change_account(lockout_attempts=0)
    with pytest.raises(InvalidValue, match="account status"):
        engine.change_account(status="cancelled")
    with pytest.raises(InvalidValue, match="password expiry"):
        engine.change_account(password_expiry_days=-1)
    changed = engine.change_account(status="suspended", lockout_attempts=5, password_expiry_days=90)
    assert (changed["status"], changed["lockout_attempts"], changed["password_expiry_days"]) == (
        "suspended",
        5,
        90,
    )
    assert engine.get_account()["owner_id"] == changed["owner_id"]
