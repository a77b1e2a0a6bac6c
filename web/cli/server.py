"""`qbtransfer serve` and `qbtransfer worker`."""

from __future__ import annotations

import dataclasses

import click

from engine.settings import Settings


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="The address to listen on.")
@click.option("--port", type=int, help="Default: $PORT, else 8000.")
def serve(host, port):
    """Run everything in one process: the QBWC endpoint, the API, the support page, the read
    models and the scheduler (the embedded default)."""
    from werkzeug.serving import run_simple

    from web import create_app
    from web.background import start_background
    from web.bootstrap import bootstrap
    from web.database import new_store_notice

    settings = Settings.from_env()
    # The default AppURL (localhost) must reach this very process: it carries --port.
    port = port or settings.port
    settings = dataclasses.replace(settings, port=port).for_serving()
    engine = bootstrap(settings, announce=lambda: click.echo(new_store_notice(settings), err=True))
    app = create_app(settings, engine=engine)
    background = start_background(settings)
    public_url = settings.public_url_with(engine.stored_public_url())
    click.echo(
        f"qbtransfer serving on http://{host}:{port} ({settings.describe_database()}); "
        f"QBWC reaches it at {public_url}; {background.describe()}",
        err=True,
    )
    try:
        run_simple(host, port, app, threaded=True, use_reloader=False)
    finally:
        background.stop()


@click.command()
def worker():
    """Run the background work: projection runners and scheduled jobs (one process only)."""
    import signal
    import threading

    from web import logs
    from web.background import start_background

    settings = Settings.from_env().for_serving()
    logs.configure(settings)
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    background = start_background(settings)
    click.echo(f"qbtransfer worker running: {background.describe()}", err=True)
    try:
        while not stopped.wait(1.0):
            background.check()
    except KeyboardInterrupt:
        pass
    finally:
        background.stop()
    click.echo("qbtransfer worker stopped", err=True)
