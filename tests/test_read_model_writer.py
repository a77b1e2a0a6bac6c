"""One writer per read model, on SQLite and PostgreSQL: QBWC sessions and many concurrent reads
at once leave the runners alive and every read model equal to a rebuild; a runner that fails on
an event says which and carries on; a rebuild is safe while the runners run."""

from __future__ import annotations

import threading
import time

import pytest

from projections import sessions as sessions_projection
from projections.locks import ReadModelLagging
from projections.runtime import (
    READ_MODELS,
    open_view,
    read_model_status,
    rebuild,
    running_projections,
)
from projections.writer import ensure_current
from tests.helpers import register_connector, run_session
from tests.qbsim import Company
from web.views import connector_detail, sessions_list


def dumps(settings) -> dict[str, dict]:
    out = {}
    for name in READ_MODELS:
        view = open_view(settings, name)
        try:
            out[name] = view.dump()
        finally:
            view.close()
    return out


def wait_until(condition, what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def company_for(reg) -> Company:
    company = Company("Acme Books")
    company.seed_bulk(customers=30, accounts=10)
    company.write_file_id(reg.owner_id, reg.file_id)
    return company


def test_sessions_and_concurrent_reads_leave_runners_alive_and_models_equal_to_a_rebuild(
    engine, settings
):
    regs = [register_connector(engine, name=f"Books {i}") for i in range(3)]
    problems: list[BaseException] = []
    with running_projections(settings, engine) as runners:

        def sync(reg) -> None:
            try:
                company = company_for(reg)
                for _ in range(2):
                    run_session(engine, reg, company)
                    engine.request_deletion_sync(reg.connector_id)
            except BaseException as exc:  # pragma: no cover - reported below
                problems.append(exc)

        def read() -> None:
            try:
                for _ in range(15):
                    for reg in regs:
                        connector_detail(settings, engine, reg.connector_id)
                    sessions_list(settings, engine)
            except BaseException as exc:  # pragma: no cover - reported below
                problems.append(exc)

        threads = [threading.Thread(target=sync, args=(reg,)) for reg in regs]
        threads += [threading.Thread(target=read) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        assert not problems, problems
        for runner in runners:
            wait_until(lambda r=runner: r.state.state == "running", f"{runner.model.name} runner")
            assert runner.is_alive()
        for name in READ_MODELS:
            wait_until(lambda n=name: read_model_status(settings, engine, n)["lag"] == 0, name)
        before = dumps(settings)
        for name in READ_MODELS:
            rebuild(settings, engine, name)  # while the runners run
        assert dumps(settings) == before
        for runner in runners:
            assert runner.is_alive() and runner.state.state == "running", runner.state


def test_a_failing_event_is_named_retried_and_does_not_kill_the_runner(
    engine, settings, monkeypatch
):
    reg = register_connector(engine)
    real = sessions_projection.SessionsProjection.process_event
    broken = {"on": True}

    def flaky(self, event, tracking):
        if broken["on"] and type(event).__name__ == "AuthenticationRefused":
            raise RuntimeError("the sessions view cannot take this today")
        return real(self, event, tracking)

    monkeypatch.setattr(sessions_projection.SessionsProjection, "process_event", flaky)
    monkeypatch.setattr("projections.writer.MAX_BACKOFF_SECONDS", 0.2)
    with running_projections(settings, engine) as runners:
        engine.qbwc_authenticate(reg.registration_id, "nobody", "x")  # refused: breaks it
        sessions = next(r for r in runners if r.model.name == "Sessions")
        wait_until(lambda: sessions.state.state == "failed", "the runner reported nothing")
        status = read_model_status(settings, engine, "sessions")
        assert status["runner"]["alive"] and status["runner"]["state"] == "failed"
        assert status["runner"]["topic"].endswith("QbwcSession.AuthenticationRefused")
        assert status["runner"]["event_id"] == status["position"] + 1
        assert "cannot take this today" in status["runner"]["error"]
        view = open_view(settings, "sessions")
        try:
            with pytest.raises(ReadModelLagging, match="AuthenticationRefused"):
                ensure_current(engine, view, READ_MODELS["sessions"], timeout=0.5)
        finally:
            view.close()
        broken["on"] = False  # the fix is deployed: the runner carries on by itself
        wait_until(lambda: sessions.state.state == "running", "the runner did not recover")
        assert sessions.is_alive() and sessions.state.restarts >= 1
        wait_until(lambda: read_model_status(settings, engine, "sessions")["lag"] == 0, "lag")


def test_without_a_runner_a_reader_runs_its_step_and_with_one_it_waits(engine, settings):
    reg = register_connector(engine)
    engine.qbwc_authenticate(reg.registration_id, "nobody", "x")
    assert read_model_status(settings, engine, "sessions")["runner"]["alive"] is False
    assert len(sessions_list(settings, engine)) == 1  # no runner: this process applied it
    with running_projections(settings, engine):
        wait_until(lambda: read_model_status(settings, engine, "sessions")["runner"]["alive"], "up")
        engine.qbwc_authenticate(reg.registration_id, "someone", "y")
        assert len(sessions_list(settings, engine)) == 1  # the same refusal, collapsed
        engine.qbwc_authenticate("not-a-registration", "x", "y")
        assert len(sessions_list(settings, engine)) == 2  # waited for the runner to apply it
