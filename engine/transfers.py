"""Transfer commands: which connector a ready document goes to, queuing it there, and what a
person may do with a transfer (requeue it, say it is or is not in QuickBooks). Mixed into the
TransferEngine."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from engine import purchase_orders, timesheets
from engine.aggregates import Account, WebConnector
from engine.aggregates.psa import Document, PsaRecord
from engine.aggregates.transfer import Transfer, transfer_id
from engine.commanding import command
from engine.core import Needs
from engine.errors import Conflict, InvalidValue, NotFound
from engine.kinds import DocumentStatus, TransferKind, TransferStatus
from engine.psa import display_name, document_kind, record_id
from engine.queue import PARTIES
from engine.text import excerpt
from engine.views import iso


class TransferCommands(Needs):
    """Queues and transfers."""

    def _transfer(
        self, connector_id: UUID, kind: str, psa_id: str, part: str = ""
    ) -> Transfer | None:
        found = self._get(transfer_id(connector_id, kind, psa_id, part))
        return found if isinstance(found, Transfer) else None

    def _transfers_of(self, connector_id: UUID, document: Document) -> list[Transfer]:
        """The document's transfers through a connector: one, or one per part."""
        found = (
            self._transfer(connector_id, document.kind, document.psa_id, part)
            for part in document_parts(document.kind, document.data)
        )
        return [t for t in found if t is not None]

    def _destination(
        self, document: Document, account: Account, parties: Mapping[UUID, Aggregate]
    ) -> UUID | None:
        """The connector a document goes through: its organization's or resource's, else the
        default; purchase orders go through the inventory connector."""
        if document.kind == TransferKind.PURCHASE_ORDERS:
            return account.inventory_connector_id
        party_field, party_kind = PARTIES[TransferKind(document.kind)]
        party_key = record_id(party_kind, str(document.data.get(party_field, "")))
        party = parties.get(party_key) or self._get(party_key)
        if isinstance(party, PsaRecord) and party.connector_id is not None:
            return party.connector_id
        return account.default_connector_id

    def _queue_ready(
        self,
        documents: Iterable[Document],
        account: Account,
        reason: str,
        now: datetime,
        parties: Mapping[UUID, Aggregate] | None = None,
        only: WebConnector | None = None,
    ) -> list[Transfer]:
        """Queue every ready document on its connector, when that connector transfers its
        kind (`only`: this connector's, as just changed, whatever the others do); returns the
        transfers that changed."""
        connectors: dict[UUID, WebConnector | None] = {only.id: only} if only else {}
        changed = []
        for document in documents:
            if document.status != DocumentStatus.READY:
                continue
            connector_id = self._destination(document, account, parties or {})
            if connector_id is None or (only is not None and connector_id != only.id):
                continue
            if connector_id not in connectors:
                connectors[connector_id] = self._get(connector_id)
            connector = connectors[connector_id]
            if connector is None or not connector.transfers.get(document.kind):
                continue
            for part in document_parts(document.kind, document.data):
                transfer = self._queue_part(document, connector_id, part, reason, now, parties)
                if transfer is not None:
                    changed.append(transfer)
        return changed

    def _queue_part(
        self,
        document: Document,
        connector_id: UUID,
        part: str,
        reason: str,
        now: datetime,
        parties: Mapping[UUID, Aggregate] | None,
    ) -> Transfer | None:
        """Queue one part of a document (None: it already is, or it is in QuickBooks)."""
        transfer = self._transfer(connector_id, document.kind, document.psa_id, part)
        if transfer is None:
            number = display_name(document.kind, document.data)
            return Transfer(
                connector_id=connector_id,
                kind=document.kind,
                psa_id=document.psa_id,
                document_id=document.id,
                number=timesheets.part_label(document.psa_id, part) if part else number,
                party=self._party_name(document, parties or {}),
                amount=str(document_amount(document.data)),
                reason=reason,
                at=now,
                part=part,
            )
        if transfer.status in (TransferStatus.WITHDRAWN, TransferStatus.FAILED):
            transfer.requeue(reason, "engine", now)
            return transfer
        return None

    def _resync(
        self, documents: Iterable[Aggregate], account: Account, now: datetime
    ) -> list[Transfer]:
        """Purchase orders already in QuickBooks that an import changed: a change to what
        QuickBooks holds is queued as a modification, a new receipt as its own transfer."""
        connector_id, out = account.inventory_connector_id, []
        connector = self._get(connector_id) if connector_id else None
        if connector is None or not connector.transfers.get(TransferKind.PURCHASE_ORDERS):
            return []
        for document in documents:
            if not (
                isinstance(document, Document)
                and document.kind == TransferKind.PURCHASE_ORDERS
                and document.status == DocumentStatus.TRANSFERRED
            ):
                continue
            changes = [
                e.changes for e in document.pending_events if isinstance(e, Document.Changed)
            ]
            if not changes:
                continue
            placed = self._transfer(connector.id, document.kind, document.psa_id)
            sent_fields = set().union(*changes) - {"status", "ready_to_transfer", "received"}
            if placed is not None and placed.is_done and placed.txn_id and sent_fields:
                placed.queue_modification(
                    f"changed in the PSA after transfer: {', '.join(sorted(sent_fields))}", now
                )
                out.append(placed)
            for part in document_parts(document.kind, document.data)[1:]:
                queued = self._queue_part(
                    document, connector.id, part, "received in the PSA", now, None
                )
                if queued is not None:
                    out.append(queued)
        return out

    def _party_name(self, document: Document, parties: Mapping[UUID, Aggregate]) -> str:
        """The organization's or resource's name, for the history."""
        if document.kind == TransferKind.PURCHASE_ORDERS:
            return str(document.data.get("vendor_name") or "")
        party_field, party_kind = PARTIES[TransferKind(document.kind)]
        party_id = str(document.data.get(party_field, ""))
        key = record_id(party_kind, party_id)
        party = parties.get(key) or self._get(key)
        return display_name(party_kind, party.data) if isinstance(party, PsaRecord) else party_id

    def _dequeue(self, document: Document, account: Account, now: datetime) -> list[Transfer]:
        """Take a withdrawn document's transfers off its queue (refused once one was sent)."""
        connector_id = self._destination(document, account, {})
        found = self._transfers_of(connector_id, document) if connector_id else []
        open_ = [t for t in found if not t.is_done and t.status != TransferStatus.WITHDRAWN]
        if any(t.is_unsure for t in open_):
            raise Conflict(
                f"{document.kind} {document.psa_id} was sent to QuickBooks and its answer is "
                "not known yet; it cannot be withdrawn until the next session has looked for it"
            )
        for transfer in open_:
            transfer.dequeue("the document was withdrawn", now)
        return open_

    def _queue_connector(
        self, connector: WebConnector, account: Account, kinds: list[str], now: datetime
    ) -> list:
        """Queue every document already ready of the kinds just switched on for `connector`
        (the PSA read model lists them), as `account` now routes them (the command may have
        just made it the inventory connector)."""
        if not kinds or self.catalog is None:
            return []
        documents = []
        for kind in kinds:
            for row in self.catalog.records_of(kind):
                if row.get("status") == DocumentStatus.READY:
                    document = self._get(record_id(kind, row["psa_id"]))
                    if isinstance(document, Document):
                        documents.append(document)
        return self._queue_ready(
            documents, account, f"transfer of {kinds[0]} switched on", now, only=connector
        )

    # -- commands ------------------------------------------------------------------------------

    def get_transfer(self, document_type: str, psa_id: str, connector_ref: str) -> dict[str, Any]:
        """A document's transfer through a connector: where it stands and what QuickBooks
        said last. A document that goes in parts (a timesheet's days, a purchase order and its
        receipts) lists them under `parts`, the first of them on top."""
        connector = self._connector(connector_ref)
        found = self._transfers_or_refuse(connector, document_kind(document_type), psa_id)
        view = transfer_view(found[0])
        if len(found) > 1 or found[0].part:
            view["parts"] = [transfer_view(t) for t in found]
        return view

    def _transfers_or_refuse(
        self, connector: WebConnector, kind: str, psa_id: str
    ) -> list[Transfer]:
        document = self._get(record_id(kind, psa_id))
        found = self._transfers_of(connector.id, document) if isinstance(document, Document) else []
        if not found:
            raise NotFound(
                f"{kind} {excerpt(psa_id)} has no transfer through web connector {connector.name!r}"
            )
        return found

    @command
    def requeue_transfers(
        self,
        connector_ref: str,
        document_type: str,
        psa_ids: list[str],
        *,
        by: str,
    ) -> list[dict[str, Any]]:
        """Send failed transfers again at the next session: all of them, or none if one cannot
        be requeued."""
        connector, kind, now = (
            self._connector(connector_ref),
            document_kind(document_type),
            self.clock(),
        )
        if not psa_ids:
            raise InvalidValue("name at least one document to requeue")
        transfers = []
        for psa_id in psa_ids:
            found = self._transfers_or_refuse(connector, kind, psa_id)
            # A timesheet's days already in QuickBooks stay there; the others go again.
            waiting = [t for t in found if not t.is_done] or found[:1]
            for transfer in waiting:
                transfer.requeue("requeued by a person", by, now)
            transfers += waiting
        self.save(*transfers)
        return [transfer_view(t) for t in transfers]

    @command
    def mark_not_transferred(
        self, connector_ref: str, document_type: str, psa_id: str, *, by: str
    ) -> dict[str, Any]:
        """Say a transferred document is not in QuickBooks after all: it is queued again (a
        duplicate if QuickBooks still holds it; the answer says so)."""
        connector, kind, now = (
            self._connector(connector_ref),
            document_kind(document_type),
            self.clock(),
        )
        found = self._transfers_or_refuse(connector, kind, psa_id)
        # Every part QuickBooks holds (or may hold) goes again; one that holds none refuses.
        # Once parts were deleted in QuickBooks, only those go again (the rest are there).
        settled = [t for t in found if t.status == TransferStatus.DELETED_IN_QUICKBOOKS] or [
            t for t in found if t.is_done or t.status == TransferStatus.IN_DOUBT
        ]
        document: Document = self.repository.get(found[0].document_id)
        warnings = [t.mark_not_transferred(by, now) for t in settled or found[:1]]
        document.mark_not_transferred(by, now)
        self.save(*(settled or found[:1]), document)
        return {**transfer_view((settled or found)[0]), "warning": warnings[0]}


def transfer_view(transfer: Transfer) -> dict[str, Any]:
    """A transfer for people and scripts."""
    return {
        "id": str(transfer.id),
        "connector_id": str(transfer.connector_id),
        "type": transfer.kind,
        "document_id": transfer.psa_id,
        "number": transfer.number,
        "part": transfer.part or None,
        "status": transfer.status,
        "attempts": transfer.attempts,
        "quickbooks": transfer.quickbooks,
        "failure": transfer.failure,
        "doubt": transfer.doubt if transfer.status == TransferStatus.IN_DOUBT else None,
        "sent_at": iso(transfer.sent_at),
        "updated_at": iso(transfer.updated_at),
    }


def document_parts(kind: str, data: dict[str, Any]) -> list[str]:
    """The parts a document goes to QuickBooks as, each its own transfer ("": all at once)."""
    if kind == TransferKind.TIMESHEETS:
        return timesheets.parts(data) or [""]
    if kind == TransferKind.PURCHASE_ORDERS:
        return ["", *purchase_orders.receipt_parts(data)]
    return [""]


def document_amount(data: dict[str, Any]) -> Decimal:
    """A document's total as the PSA has it: its lines (or items) and its tax."""
    lines = data.get("lines") or data.get("items") or []
    total = sum((Decimal(str(line.get("amount") or "0")) for line in lines), Decimal(0))
    return (total + Decimal(str(data.get("tax_amount") or "0"))).quantize(Decimal("0.01"))
