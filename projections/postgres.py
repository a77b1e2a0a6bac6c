"""Read models on PostgreSQL: `<projection>_<table>` in the event store's schema. Imported
only when the store is PostgreSQL."""

from __future__ import annotations

import re
from typing import Any

from eventsourcing.postgres import PostgresTrackingRecorder
from psycopg.sql import SQL, Composed

from projections.base import ReadModelView


class PostgresReadModel(PostgresTrackingRecorder, ReadModelView):
    """A read model in PostgreSQL: `<projection>_<table>` in the event store's schema."""

    def __init__(self, datastore: Any, *, tracking_table_name: str, **kwargs: Any) -> None:
        super().__init__(datastore, tracking_table_name=tracking_table_name, **kwargs)
        self.prefix = tracking_table_name.removesuffix("_tracking")
        for name in self.all_tables():
            self.check_identifier_length(f"{self.prefix}_{name}")
        # The library's create_table() wants psycopg SQL objects, not plain strings.
        self.sql_create_statements.extend(Composed([SQL(s)]) for s in self._create_statements())

    def table(self, name: str) -> str:
        return f'"{self.datastore.schema}"."{self.prefix}_{name}"'

    def tracking_table(self) -> str:
        return f'"{self.datastore.schema}"."{self.tracking_table_name}"'

    def _index_name(self, index: str) -> str:
        return f"{self.prefix}_{index}"

    def _sql(self, text: str) -> str:
        # Placeholders only appear outside quotes in our statements.
        return re.sub(r"\?", "%s", text.format(**{t: self.table(t) for t in self.all_tables()}))
