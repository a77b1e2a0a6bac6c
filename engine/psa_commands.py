"""PSA commands: importing the PSA's records, queuing and withdrawing documents, and sending
organizations and resources to a connector. Mixed into the TransferEngine."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from engine.aggregates.psa import Document, PsaRecord
from engine.commanding import command
from engine.errors import InvalidValue, NotFound
from engine.kinds import TransferKind
from engine.psa import KINDS, display_name, document_kind, record_id
from engine.psa.importing import ImportRefused, plan_import
from engine.text import excerpt
from engine.transfers import TransferCommands
from engine.views import iso


class PsaCommands(TransferCommands):
    """The PSA's records inside the engine."""

    def _psa(self, kind: str, psa_id: str) -> PsaRecord | Document | None:
        try:
            return self.repository.get(record_id(kind, psa_id))
        except AggregateNotFoundError:
            return None

    def _psa_or_refuse(self, kind: str, psa_id: str) -> Any:
        found = self._psa(kind, psa_id)
        if found is None:
            raise NotFound(f"no {KINDS[kind].singular} {excerpt(psa_id)} has been imported")
        return found

    # -- import ------------------------------------------------------------------------------

    @command
    def import_psa(
        self, data: Any, *, by: str, dry_run: bool = False, continue_on_error: bool = False
    ) -> dict[str, Any]:
        """Import a `qbtransfer-psa/1` document. With errors and without `continue_on_error`
        nothing is imported (ImportRefused carries the report); `dry_run` saves nothing."""
        now = self.clock()
        plan = plan_import(data, self._psa, now, by=by)
        if plan.problems and not continue_on_error:
            raise ImportRefused(plan.report(imported=False, dry_run=dry_run))
        if not dry_run and plan.aggregates:
            imported = {a.id: a for a in plan.aggregates}
            ready = [a for a in plan.aggregates if isinstance(a, Document)]
            account = self._account()
            transfers = self._queue_ready(
                ready, account, "marked ready by the import", now, parties=imported
            )
            transfers += self._resync(plan.aggregates, account, now)
            self.save(*plan.aggregates, *transfers)
        return plan.report(imported=not dry_run, dry_run=dry_run)

    # -- documents ---------------------------------------------------------------------------

    def get_document(self, document_type: str, psa_id: str) -> dict[str, Any]:
        """One document, with its status and the data last imported."""
        return document_view(self._psa_or_refuse(document_kind(document_type), psa_id))

    @command
    def mark_ready(
        self,
        document_type: str,
        psa_ids: list[str],
        *,
        by: str,
    ) -> list[dict[str, Any]]:
        """Queue documents for their connector's next run: all of them, or none if one cannot
        be queued."""
        kind, now = document_kind(document_type), self.clock()
        documents = [self._psa_or_refuse(kind, psa_id) for psa_id in psa_ids]
        for document in documents:
            document.mark_ready(by, now)
        transfers = self._queue_ready(documents, self._account(), f"marked ready by {by}", now)
        self.save(*documents, *transfers)
        return [document_view(d) for d in documents]

    @command
    def withdraw(
        self,
        document_type: str,
        psa_ids: list[str],
        *,
        by: str,
    ) -> list[dict[str, Any]]:
        """Take documents off the queue: all of them, or none if one cannot be withdrawn."""
        kind, now = document_kind(document_type), self.clock()
        documents = [self._psa_or_refuse(kind, psa_id) for psa_id in psa_ids]
        account, transfers = self._account(), []
        for document in documents:
            document.withdraw(by, now)
            transfers += self._dequeue(document, account, now)
        self.save(*documents, *transfers)
        return [document_view(d) for d in documents]

    @command
    def mark_transferred(
        self, document_type: str, psa_id: str, *, connector_ref: str, reference: str, by: str
    ) -> dict[str, Any]:
        """Record by hand that a document is already in QuickBooks (so it is never sent)."""
        document: Document = self._psa_or_refuse(document_kind(document_type), psa_id)
        connector = self._connector(connector_ref)
        reference = (reference or "").strip()
        if not reference:
            raise InvalidValue("give the QuickBooks reference (number or TxnID) it has there")
        now = self.clock()
        document.mark_transferred(connector.id, {"reference": reference, "manual": True}, by, now)
        transfers = [t for t in self._transfers_of(connector.id, document) if not t.is_done]
        for transfer in transfers:
            transfer.mark_transferred(reference, by, now)
        self.save(document, *transfers)
        return document_view(document)

    @command
    def set_paid_date(
        self, document_type: str, psa_id: str, paid_date: str | None, *, by: str
    ) -> dict[str, Any]:
        """Set an invoice's paid date by hand (None clears it); QuickBooks never overwrites a
        paid date set this way."""
        document: Document = self._psa_or_refuse(document_kind(document_type), psa_id)
        if document.kind != TransferKind.INVOICES:
            raise InvalidValue("only invoices have a paid date")
        if paid_date is not None:
            try:
                paid_date = date.fromisoformat(paid_date).isoformat()
            except ValueError:
                raise InvalidValue(f"{excerpt(paid_date)} is not a date (YYYY-MM-DD)") from None
        document.set_paid_date(paid_date, by, self.clock())
        self.save(document)
        return document_view(document)

    # -- organizations and resources ---------------------------------------------------------

    @command
    def assign(
        self,
        kind: str,
        psa_id: str,
        connector_ref: str | None,
        *,
        by: str,
    ) -> dict[str, Any]:
        """Send an organization's or resource's work to a connector; None: the default."""
        if kind not in ("organizations", "resources"):
            raise InvalidValue("only organizations and resources are assigned to connectors")
        record: PsaRecord = self._psa_or_refuse(kind, psa_id)
        connector_id: UUID | None = None
        if connector_ref is not None:
            connector = self._connector(connector_ref)
            connector_id = None if connector.is_default else connector.id
        record.assign(connector_id, by, self.clock())
        self.save(record)
        return record_view(record)

    def get_psa_record(self, kind: str, psa_id: str) -> dict[str, Any]:
        """One reference record."""
        if kind not in KINDS:
            raise InvalidValue(f"unknown kind {excerpt(kind)}")
        found = self._psa_or_refuse(kind, psa_id)
        return document_view(found) if isinstance(found, Document) else record_view(found)


def record_view(record: PsaRecord) -> dict[str, Any]:
    """A reference record for people and scripts."""
    return {
        "kind": record.kind,
        "id": record.psa_id,
        "name": display_name(record.kind, record.data),
        "connector_id": str(record.connector_id) if record.connector_id else None,
        "data": record.data,
        "imported_at": iso(record.imported_at),
    }


def document_view(document: Document) -> dict[str, Any]:
    """A document for people and scripts."""
    return {
        "type": document.kind,
        "id": document.psa_id,
        "number": display_name(document.kind, document.data),
        "status": document.status,
        "changed_after_transfer": document.changed_after_transfer,
        "quickbooks": document.quickbooks,
        "paid_date": (getattr(document, "paid", None) or {}).get("date"),
        "data": document.data,
        "imported_at": iso(document.imported_at),
    }
