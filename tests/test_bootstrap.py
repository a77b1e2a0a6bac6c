"""The composition root: one engine, built the same way for the web app, the command line and
the worker, with the read models wired in as its ports."""

from __future__ import annotations

from uuid import UUID

from projections.runtime import fresh_view
from tests.helpers import register_connector, run_session
from tests.qbsim import Company
from web import ENGINE_KEY, create_app
from web.bootstrap import bootstrap
from web.cli import common


def test_the_engine_looks_things_up_in_the_read_models_it_was_given(settings):
    engine = bootstrap(settings)
    try:
        reg = register_connector(engine)
        company = Company("Acme Books")
        company.seed_bulk(customers=3)
        company.write_file_id(reg.owner_id, reg.file_id)
        company.begin_session()
        run_session(engine, reg, company)
        fresh_view(settings, engine, "quickbookslists").close()  # the runner's step, once
        found = engine.directory.find(UUID(reg.connector_id), "customers", "customer 00001")
        assert found is not None and found["full_name"] == "Customer 00001"
        assert engine.catalog.records_of("organizations") == []
        opened = [engine.directory._view, engine.catalog._view]
        assert all(view is not None for view in opened)
    finally:
        engine.close()
    assert engine.directory._view is None and engine.catalog._view is None


def test_the_web_app_and_the_command_line_build_the_engine_through_the_bootstrap(
    settings, monkeypatch
):
    built = []
    monkeypatch.setattr("web.bootstrap.TransferEngine", _recording(built))
    app = create_app(settings)
    with app.app_context():
        engine = app.extensions[ENGINE_KEY].get()
    assert built == [engine] and engine.directory is not None
    app.extensions[ENGINE_KEY].close()
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    with common.engine() as cli_engine:
        assert built[-1] is cli_engine and cli_engine.catalog is not None


def _recording(built):
    from engine.application import TransferEngine

    def build(*args, **kwargs):
        engine = TransferEngine(*args, **kwargs)
        built.append(engine)
        return engine

    return build
