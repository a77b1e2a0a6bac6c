"""`audit export`: the events behind one connector's transfers, as JSON lines for an auditor's
own tools, with a SHA-256 over the file.

Which events: the connector's and its mappings' (the configuration), each of its transfers',
their documents', and the sessions and exchanges (with the qbXML, word for word) that carried
them; those recorded at or after `since`, in log order, one JSON object per line with the
event's log position, aggregate, version, topic, recorded timestamp and fields.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.utils import get_topic

from engine.aggregates.mapping import Mapping
from engine.aggregates.transfer import Transfer
from engine.audit import SCAN_BATCH, plain, scan
from engine.errors import InvalidValue
from engine.text import excerpt


@dataclass(frozen=True)
class Export:
    """What an export wrote."""

    path: Path
    events: int
    sha256: str
    checksum_path: Path

    def as_dict(self) -> dict[str, Any]:
        """For --json."""
        return {
            "output": str(self.path),
            "events": self.events,
            "sha256": self.sha256,
            "checksum_file": str(self.checksum_path),
        }


def export_connector(
    app: Application, connector_id: UUID, since: datetime, output: Path, *, force: bool = False
) -> Export:
    """Write the connector's events since `since` to `output` (atomically: a failed export
    leaves no partial file), and `<output>.sha256` in `sha256sum -c` form."""
    if output.is_dir():
        raise InvalidValue(f"{excerpt(str(output))} is a directory; name the file to write")
    if output.exists() and not force:
        raise InvalidValue(f"{output} exists; give --force to replace it")
    if not output.parent.is_dir():
        raise InvalidValue(f"{output.parent} is not a directory")
    wanted = _aggregates_behind(app, connector_id)
    digest, count = hashlib.sha256(), 0
    handle, temporary = tempfile.mkstemp(dir=output.parent, prefix=f".{output.name}.")
    try:
        with os.fdopen(handle, "wb") as out:
            after = 0
            while batch := app.recorder.select_notifications(
                start=after, limit=SCAN_BATCH, inclusive_of_start=False
            ):
                for notification in batch:
                    if notification.originator_id not in wanted:
                        continue  # filtered before decoding: most of the log is not ours
                    event: Any = app.mapper.to_domain_event(notification)
                    if event.timestamp < since:
                        continue
                    line = json.dumps(_line(notification.id, event), sort_keys=True) + "\n"
                    data = line.encode("utf-8")
                    out.write(data)
                    digest.update(data)
                    count += 1
                after = batch[-1].id
        os.replace(temporary, output)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    checksum = output.with_name(output.name + ".sha256")
    checksum.write_text(f"{digest.hexdigest()}  {output.name}\n", encoding="utf-8")
    return Export(output, count, digest.hexdigest(), checksum)


def _aggregates_behind(app: Application, connector_id: UUID) -> set[UUID]:
    """The connector, its mappings, its transfers, their documents, sessions and exchanges."""
    wanted = {connector_id, Mapping.create_id(connector_id)}
    transfers = []
    for queued in scan(app, Transfer.Queued):
        if queued.connector_id == connector_id:
            transfers.append(queued.originator_id)
            wanted |= {queued.originator_id, queued.document_id}
    for transfer_id in transfers:
        for event in app.events.get(transfer_id):
            for name in ("exchange_id", "session_id"):
                value = getattr(event, name, None)
                if value is not None:
                    wanted.add(value)
    return wanted


def _line(position: int, event: Any) -> dict[str, Any]:
    fields = {
        k: plain(v)
        for k, v in event.__dict__.items()
        if k not in ("originator_id", "originator_version", "timestamp")
    }
    return {
        "position": position,
        "aggregate_id": str(event.originator_id),
        "version": event.originator_version,
        "topic": get_topic(type(event)),
        "recorded_at": event.timestamp.isoformat(),
        "event": fields,
    }
