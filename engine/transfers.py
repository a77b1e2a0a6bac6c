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

    def _transfer(self, connector_id: UUID, kind: str, psa_id: str) -> Transfer | None:
        found = self._get(transfer_id(connector_id, kind, psa_id))
        return found if isinstance(found, Transfer) else None

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
            transfer = self._transfer(connector_id, document.kind, document.psa_id)
            if transfer is None:
                transfer = Transfer(
                    connector_id=connector_id,
                    kind=document.kind,
                    psa_id=document.psa_id,
                    document_id=document.id,
                    number=display_name(document.kind, document.data),
                    party=self._party_name(document, parties or {}),
                    amount=str(document_amount(document.data)),
                    reason=reason,
                    at=now,
                )
            elif transfer.status in (TransferStatus.WITHDRAWN, TransferStatus.FAILED):
                transfer.requeue(reason, "engine", now)
            else:
                continue
            changed.append(transfer)
        return changed

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
        """Take a withdrawn document's transfer off its queue (refused once it was sent)."""
        connector_id = self._destination(document, account, {})
        transfer = (
            self._transfer(connector_id, document.kind, document.psa_id) if connector_id else None
        )
        if transfer is None or transfer.is_done or transfer.status == TransferStatus.WITHDRAWN:
            return []
        if transfer.is_unsure:
            raise Conflict(
                f"{document.kind} {document.psa_id} was sent to QuickBooks and its answer is "
                "not known yet; it cannot be withdrawn until the next session has looked for it"
            )
        transfer.dequeue("the document was withdrawn", now)
        return [transfer]

    def _queue_connector(self, connector: WebConnector, kinds: list[str], now: datetime) -> list:
        """Queue every document already ready of the kinds just switched on for `connector`
        (the PSA read model lists them)."""
        if not kinds or self.catalog is None:
            return []
        account = self._account()
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
        said last."""
        return transfer_view(self._transfer_or_refuse(connector_ref, document_type, psa_id))

    def _transfer_or_refuse(self, connector_ref: str, document_type: str, psa_id: str) -> Transfer:
        connector = self._connector(connector_ref)
        transfer = self._transfer(connector.id, document_kind(document_type), psa_id)
        if transfer is None:
            raise NotFound(
                f"no transfer of {excerpt(document_type)} {excerpt(psa_id)} through "
                f"web connector {connector.name!r}"
            )
        return transfer

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
            transfer = self._transfer(connector.id, kind, psa_id)
            if transfer is None:
                raise NotFound(
                    f"{kind} {excerpt(psa_id)} has no transfer through {connector.name!r}"
                )
            transfer.requeue("requeued by a person", by, now)
            transfers.append(transfer)
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
        transfer = self._transfer(connector.id, kind, psa_id)
        if transfer is None:
            raise NotFound(f"{kind} {excerpt(psa_id)} has no transfer through {connector.name!r}")
        document: Document = self.repository.get(transfer.document_id)
        warning = transfer.mark_not_transferred(by, now)
        document.mark_not_transferred(by, now)
        self.save(transfer, document)
        return {**transfer_view(transfer), "warning": warning}


def transfer_view(transfer: Transfer) -> dict[str, Any]:
    """A transfer for people and scripts."""
    return {
        "id": str(transfer.id),
        "connector_id": str(transfer.connector_id),
        "type": transfer.kind,
        "document_id": transfer.psa_id,
        "number": transfer.number,
        "status": transfer.status,
        "attempts": transfer.attempts,
        "quickbooks": transfer.quickbooks,
        "failure": transfer.failure,
        "doubt": transfer.doubt if transfer.status == TransferStatus.IN_DOUBT else None,
        "sent_at": iso(transfer.sent_at),
        "updated_at": iso(transfer.updated_at),
    }


def document_amount(data: dict[str, Any]) -> Decimal:
    """A document's total as the PSA has it: its lines (or items) and its tax."""
    lines = data.get("lines") or data.get("items") or []
    total = sum((Decimal(str(line.get("amount") or "0")) for line in lines), Decimal(0))
    return (total + Decimal(str(data.get("tax_amount") or "0"))).quantize(Decimal("0.01"))
