"""Where the server's log lines go: stderr, as text or (`LOG_FORMAT=json`) one JSON object per
line with the fields of web.telemetry as keys. Only when nothing else configured logging: a host
(pytest, an embedding application) keeps its own handlers."""

from __future__ import annotations

import logging
import sys

from pythonjsonlogger.json import JsonFormatter

from engine.settings import Settings

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure(settings: Settings, *, force: bool = False) -> None:
    """Send log lines to stderr in the configured format, unless logging is already set up
    (with `force`, replace what is there: the server's own entry points)."""
    root = logging.getLogger()
    if root.handlers and not force:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter(settings.log_format))
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(logging.INFO)


def formatter(log_format: str) -> logging.Formatter:
    """The formatter of LOG_FORMAT."""
    if log_format == "json":
        return JsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        )
    return logging.Formatter(TEXT_FORMAT)
