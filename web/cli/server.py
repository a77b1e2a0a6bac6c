"""`qbtransfer serve` and `qbtransfer worker`."""

from __future__ import annotations

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

    settings = Settings.from_env()
    port = port or settings.port
    if settings.public_url is None:
        # The .qwc AppURL must reach this very process when nothing else is configured.
        settings = Settings(
            database_url=settings.database_url,
            public_url=None,
            port=port,
            base_dir=settings.base_dir,
        )
    from web import ENGINE_KEY
    from web.background import start_background
    from web.database import new_store_notice, store_exists

    existed = store_exists(settings)
    app = create_app(settings)
    background = start_background(settings)
    if not existed:
        click.echo(new_store_notice(settings), err=True)
    public_url = settings.public_url_with(app.extensions[ENGINE_KEY].get().stored_public_url())
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

    settings = Settings.from_env()
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
