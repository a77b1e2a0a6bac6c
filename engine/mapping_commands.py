"""Mapping commands and the readiness check, mixed into the TransferEngine. QuickBooks' records
come from a QuickBooksDirectory and the PSA's from a PsaCatalog, both handed in by the caller
(the read models implement them)."""

from __future__ import annotations

from typing import Any

from eventsourcing.application import AggregateNotFoundError

from engine import readiness
from engine.aggregates.mapping import Mapping
from engine.commanding import command
from engine.core import Needs
from engine.errors import NotFound
from engine.mapping import CATEGORIES, category, choices, resolve_target, target_exists
from engine.ports import PsaCatalog, QuickBooksDirectory
from engine.psa import KINDS, display_name
from engine.queue import Routing
from engine.text import excerpt


class MappingCommands(Needs):
    """What each PSA code stands for in a connector's QuickBooks company file."""

    def _mapping(self, connector_id: Any) -> Mapping:
        try:
            return self.repository.get(Mapping.create_id(connector_id))
        except AggregateNotFoundError:
            return Mapping(connector_id)

    def _check_psa_id(self, cat: Any, psa_id: str) -> None:
        if psa_id in cat.fixed_ids:
            return
        if cat.psa_kind is None or self._psa(cat.psa_kind, psa_id) is None:  # type: ignore
            allowed = f" (or {', '.join(cat.fixed_ids)})" if cat.fixed_ids else ""
            what = KINDS[cat.psa_kind].singular if cat.psa_kind else "PSA id"
            raise NotFound(f"no {what} {excerpt(psa_id)} has been imported{allowed}")

    @command
    def set_mapping(
        self,
        connector_ref: str,
        category_name: str,
        psa_id: str,
        quickbooks_ref: str,
        *,
        directory: QuickBooksDirectory,
        by: str,
    ) -> dict[str, Any]:
        """Map a PSA code to a QuickBooks record named by ListID or full name."""
        cat = category(category_name)
        connector = self._connector(connector_ref)
        self._check_psa_id(cat, psa_id)
        target = resolve_target(cat, connector.id, quickbooks_ref, directory)
        mapping = self._mapping(connector.id)
        mapping.set(cat.name, psa_id, target, by, self.clock())
        self.save(mapping)
        return {
            "connector_id": str(connector.id),
            "category": cat.name,
            "psa_id": psa_id,
            "quickbooks": target,
        }

    @command
    def clear_mapping(
        self, connector_ref: str, category_name: str, psa_id: str, *, by: str
    ) -> dict[str, Any]:
        """Remove a mapping; the transfer falls back to the category's default."""
        cat = category(category_name)
        connector = self._connector(connector_ref)
        mapping = self._mapping(connector.id)
        if not mapping.clear(cat.name, psa_id, by, self.clock()):
            raise NotFound(
                f"{cat.name} {excerpt(psa_id)} is not mapped on web connector {connector.name!r}"
            )
        self.save(mapping)
        return {
            "connector_id": str(connector.id),
            "category": cat.name,
            "psa_id": psa_id,
            "quickbooks": None,
            "default": cat.default,
        }

    def get_mappings(
        self,
        connector_ref: str,
        *,
        directory: QuickBooksDirectory,
        catalog: PsaCatalog,
        category_name: str | None = None,
    ) -> dict[str, Any]:
        """Every PSA code of each category with what it maps to (or its default), and whether
        QuickBooks still has the record."""
        connector = self._connector(connector_ref)
        mapping = self._mapping(connector.id)
        names = [category(category_name).name] if category_name else list(CATEGORIES)
        out: dict[str, list[dict[str, Any]]] = {}
        for name in names:
            cat = CATEGORIES[name]
            rows: list[dict[str, Any]] = [
                {"psa_id": fixed, "psa_name": fixed} for fixed in cat.fixed_ids
            ]
            if cat.psa_kind is not None:
                rows = [
                    {"psa_id": r["psa_id"], "psa_name": display_name(cat.psa_kind, r["data"])}
                    for r in catalog.records_of(cat.psa_kind)
                ] + rows
            for row in rows:
                target = mapping.get(name, row["psa_id"])
                row["quickbooks"] = target
                row["missing_in_quickbooks"] = bool(
                    target and not target_exists(target, connector.id, directory)
                )
                row["default"] = None if target else cat.default
            out[name] = rows
        return {"connector_id": str(connector.id), "connector": connector.name, "categories": out}

    def mapping_choices(
        self, connector_ref: str, category_name: str, *, directory: QuickBooksDirectory
    ) -> dict[str, Any]:
        """What a category's PSA codes may be mapped to on a connector: the special choices
        and the synced QuickBooks records that suit it, by full name."""
        cat = category(category_name)
        connector = self._connector(connector_ref)
        return {
            "category": cat.name,
            "label": cat.label,
            "default": cat.default,
            "choices": choices(cat, connector.id, directory),
        }

    def check_readiness(
        self, connector_ref: str, *, directory: QuickBooksDirectory, catalog: PsaCatalog
    ) -> dict[str, Any]:
        """Per transfer type, what blocks the connector's transfers."""
        account = self._account()
        connector = self._connector(connector_ref, account)
        return readiness.check(
            readiness.Context(
                connector=connector,
                routing=Routing(
                    connector.id, account.default_connector_id, account.inventory_connector_id
                ),
                mapping=self._mapping(connector.id),
                directory=directory,
                catalog=catalog,
            )
        )
