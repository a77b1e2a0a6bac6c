"""A simulated QuickBooks Desktop company file: its lists, transactions, deletion history and
data extensions, seedable from and dumpable to JSON.

`Company.process(qbxml)` answers message sets like QuickBooks' request processor
(`processor.py`); the requests themselves are answered in `queries.py`, `writes.py` and
`transactions.py`.
"""

from __future__ import annotations

import json
import random
import re
import uuid
from pathlib import Path
from typing import Any

from lxml import etree

from tests.qbsim.model import LIST_KINDS, TXN_TYPES, SimClock, to_element
from tests.qbsim.processor import (  # noqa: F401 - re-exported for handlers and tests
    HANDLERS,
    Answer,
    QbError,
    RequestProcessor,
    RequestProcessorError,
    handles,
)

QBWC_OWNER = "{00000000-0000-0000-0000-000000000000}"
DOTNET_EPOCH_OFFSET = 62_135_596_800  # seconds from 0001-01-01 to 1970-01-01 (.NET ticks)
DEFAULT_VERSIONS = (
    "1.0",
    "2.0",
    "3.0",
    "4.0",
    "5.0",
    "6.0",
    "7.0",
    "8.0",
    "10.0",
    "11.0",
    "12.0",
    "13.0",
    "14.0",
    "15.0",
    "16.0",
)


class Company(RequestProcessor):
    """An in-memory QuickBooks company: lists, transactions, deletion history, data extensions."""

    def __init__(
        self,
        name: str = "Simulated Company",
        *,
        path: str | None = None,
        country: str = "US",
        product: str = "QuickBooks Pro 2024",
        versions: tuple[str, ...] = DEFAULT_VERSIONS,
        file_mode: str = "SingleUser",
        seed: int = 1,
    ) -> None:
        self.name = name
        self.path = path or (
            "C:\\Users\\Public\\Documents\\Intuit\\QuickBooks\\Company Files\\"
            + re.sub(r"[^A-Za-z0-9]+", "", name)
            + ".QBW"
        )
        self.country, self.product, self.versions = country, product, tuple(versions)
        self.file_mode = file_mode
        self.seed = seed
        self.clock = SimClock(seed)
        self.rng = random.Random(seed)
        self.can_start = True  # False: QuickBooks "could not start" (HRESULT 0x80040408)
        self.lists: dict[str, dict[str, dict[str, Any]]] = {k: {} for k in LIST_KINDS}
        self.names: dict[str, dict[str, str]] = {}  # name group -> casefolded FullName -> ListID
        self.txns: dict[str, dict[str, dict[str, Any]]] = {t: {} for t in TXN_TYPES}
        self.deleted_lists: list[dict[str, str]] = []
        self.deleted_txns: list[dict[str, str]] = []
        self.data_ext: dict[tuple[str, str], str] = {}
        self.message_sets: dict[str, str] = {}
        self.injected: list[list[Any]] = []  # [request name, status code, times left]
        self.counters = {"list": 0x80000000, "txn": 0, "ref": {}}
        self.session: str | None = None
        self.iterators: dict[str, dict[str, Any]] = {}

    # -- identity ----------------------------------------------------------------------------

    def new_list_id(self) -> str:
        self.counters["list"] += 1
        return f"{self.counters['list']:08X}-{int(self.clock.now.timestamp())}"

    def new_txn_id(self) -> str:
        self.counters["txn"] += 1
        return f"{self.counters['txn']:X}-{int(self.clock.now.timestamp())}"

    def next_ref_number(self, txn_type: str) -> str:
        refs = self.counters["ref"]
        refs[txn_type] = refs.get(txn_type, 0) + 1
        return str(refs[txn_type])

    def stamp_new(self, record: dict[str, Any]) -> None:
        """Set TimeCreated, TimeModified and EditSequence the way QuickBooks shapes them."""
        now = self.clock.tick()
        record["TimeCreated"] = record["TimeModified"] = self.clock.stamp(now)
        record["EditSequence"] = str(int(now.timestamp()))

    def stamp_modified(self, record: dict[str, Any]) -> None:
        now = self.clock.tick()
        record["TimeModified"] = self.clock.stamp(now)
        record["EditSequence"] = str(int(now.timestamp()))

    # -- finding records ---------------------------------------------------------------------

    def find(self, kinds: list[str], ref: dict[str, Any] | str) -> dict[str, Any] | None:
        """The record a `*Ref` (ListID or FullName) points at, among `kinds`."""
        if isinstance(ref, str):
            ref = {"FullName": ref}
        list_id, full_name = ref.get("ListID"), ref.get("FullName")
        for kind in kinds:
            if list_id:
                if list_id in self.lists[kind]:
                    return self.lists[kind][list_id]
                continue
            if full_name:
                group = LIST_KINDS[kind].names
                found = self.names.get(group, {}).get(full_name.casefold())
                if found in self.lists[kind]:
                    return self.lists[kind][found]
        return None

    def name_taken(self, kind: str, full_name: str) -> dict[str, Any] | None:
        list_id = self.names.get(LIST_KINDS[kind].names, {}).get(full_name.casefold())
        if list_id is None:
            return None
        return next((self.lists[k][list_id] for k in LIST_KINDS if list_id in self.lists[k]), None)

    def index_name(self, kind: str, record: dict[str, Any], old_full_name: str | None = None):
        group = self.names.setdefault(LIST_KINDS[kind].names, {})
        if old_full_name is not None:
            group.pop(old_full_name.casefold(), None)
        group[record["FullName"].casefold()] = record["ListID"]

    def all_records(self, kinds: list[str]) -> list[dict[str, Any]]:
        return [record for kind in kinds for record in self.lists[kind].values()]

    def txn(self, txn_id: str) -> dict[str, Any] | None:
        return next((t[txn_id] for t in self.txns.values() if txn_id in t), None)

    # -- outside the qbXML API: what a person does in QuickBooks -------------------------------

    def delete_list_record(self, kind: str, ref: str) -> dict[str, Any]:
        """Delete a list record (by ListID or FullName), keeping it in the deletion history."""
        record = self.find([kind], {"ListID": ref}) or self.find([kind], {"FullName": ref})
        if record is None:
            raise KeyError(f"no {kind} {ref!r}")
        del self.lists[kind][record["ListID"]]
        self.names[LIST_KINDS[kind].names].pop(record["FullName"].casefold(), None)
        self.deleted_lists.append(
            {
                "ListDelType": LIST_KINDS[kind].obj,
                "ListID": record["ListID"],
                "TimeCreated": record["TimeCreated"],
                "TimeDeleted": self.clock.stamp(self.clock.tick()),
                "FullName": record["FullName"],
            }
        )
        return record

    def delete_txn(self, txn_id: str) -> dict[str, Any]:
        """Delete a transaction, keeping it in the deletion history."""
        for txn_type, txns in self.txns.items():
            if txn_id in txns:
                record = txns.pop(txn_id)
                self.deleted_txns.append(
                    {
                        "TxnDelType": txn_type,
                        "TxnID": txn_id,
                        "TimeCreated": record["TimeCreated"],
                        "TimeDeleted": self.clock.stamp(self.clock.tick()),
                        "RefNumber": record.get("RefNumber", ""),
                    }
                )
                return record
        raise KeyError(f"no transaction {txn_id!r}")

    def inject_status(self, request_name: str, code: int, times: int = 1) -> None:
        """Make the next `times` requests named `request_name` fail with `code` (e.g. a lock)."""
        self.injected.append([request_name, code, times])

    def receive_payment(
        self, invoice_txn_id: str, amount: str, date: str, ref_number: str = ""
    ) -> dict[str, Any]:
        """A customer pays an invoice in QuickBooks (IsPaid once the balance reaches zero)."""
        from tests.qbsim.transactions import receive_payment

        return receive_payment(self, invoice_txn_id, amount, date, ref_number)

    def write_file_id(self, owner_id: str, file_id: str) -> None:
        """What QBWC does the first time an application connects: store its FileID, in the
        letter case the .qwc has it (readers must compare GUIDs without regard to case)."""
        self.data_ext[(owner_id, "FileID")] = file_id

    def new_guid(self) -> str:
        """A braced GUID, the same sequence for the same seed."""
        return "{" + str(uuid.UUID(int=self.rng.getrandbits(128))).upper() + "}"

    def begin_session(self, owner_id: str = QBWC_OWNER, machine: str = "SIMPC") -> str:
        """QBWC opened the company (BeginSession) and took its AppLock, a private data
        extension `LOCKED:<machine>:<.NET ticks>`; iterators of other sessions stop working."""
        self.session = self.new_guid()
        ticks = (int(self.clock.now.timestamp()) + DOTNET_EPOCH_OFFSET) * 10_000_000
        self.data_ext[(owner_id, "AppLock")] = f"LOCKED:{machine}:{ticks}"
        return self.session

    def end_session(self, owner_id: str = QBWC_OWNER, machine: str = "SIMPC") -> None:
        """QBWC ended the QuickBooks session and released its AppLock."""
        self.session = None
        self.data_ext[(owner_id, "AppLock")] = f"UNLOCKED:{machine}"

    # -- the request processor ---------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        """Everything in the company, as JSON data `from_json` reads back."""
        return {
            "format": "qbsim-company/1",
            "company": {
                "name": self.name,
                "path": self.path,
                "country": self.country,
                "product": self.product,
                "versions": list(self.versions),
                "file_mode": self.file_mode,
                "seed": self.seed,
            },
            "clock": self.clock.stamp(),
            "counters": self.counters,
            "lists": {k: list(v.values()) for k, v in self.lists.items() if v},
            "transactions": {t: list(v.values()) for t, v in self.txns.items() if v},
            "deleted": {"lists": self.deleted_lists, "transactions": self.deleted_txns},
            "data_ext": [
                {"OwnerID": o, "DataExtName": n, "DataExtValue": v}
                for (o, n), v in self.data_ext.items()
            ],
            "message_sets": self.message_sets,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Company:
        """A company from `to_json` output, or from a hand-written seed whose records need only
        their own fields (ids, times and FullNames are filled in, parents before children)."""
        from tests.qbsim.writes import add_list_record

        info = data.get("company", {})
        company = cls(
            info.get("name", "Simulated Company"),
            path=info.get("path"),
            country=info.get("country", "US"),
            product=info.get("product", "QuickBooks Pro 2024"),
            versions=tuple(info.get("versions", DEFAULT_VERSIONS)),
            file_mode=info.get("file_mode", "SingleUser"),
            seed=info.get("seed", 1),
        )
        if "clock" in data:
            company.clock.now = company.clock.parse(data["clock"])
        if "counters" in data:
            company.counters = data["counters"]
        for kind, records in data.get("lists", {}).items():
            if kind not in LIST_KINDS:
                raise ValueError(f"unknown list {kind!r}; known: {', '.join(LIST_KINDS)}")
            for record in records:
                if "ListID" in record:
                    company.lists[kind][record["ListID"]] = dict(record)
                    company.index_name(kind, record)
                else:
                    add_list_record(company, kind, dict(record))
        for txn_type, records in data.get("transactions", {}).items():
            for record in records:
                company.txns[txn_type][record["TxnID"]] = dict(record)
        company.deleted_lists = list(data.get("deleted", {}).get("lists", []))
        company.deleted_txns = list(data.get("deleted", {}).get("transactions", []))
        for ext in data.get("data_ext", []):
            company.data_ext[(ext["OwnerID"], ext["DataExtName"])] = ext["DataExtValue"]
        company.message_sets = dict(data.get("message_sets", {}))
        return company

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_json(), indent=1), encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path) -> Company:
        return cls.from_json(json.loads(Path(path).read_text(encoding="utf-8")))

    def seed_bulk(self, *, customers: int = 0, accounts: int = 0, items: int = 0) -> None:
        """Fill the company quickly with many records (QuickBooks Pro's list limits are 14,500
        names and 10,000 accounts)."""
        types = ("Income", "Expense", "OtherCurrentAsset", "CostOfGoodsSold", "Bank")
        for i in range(accounts):
            self._bulk("account", f"Account {i:05d}", {"AccountType": types[i % len(types)]})
        for i in range(customers):
            self._bulk("customer", f"Customer {i:05d}", {"CompanyName": f"Customer {i:05d} Inc"})
        for i in range(items):
            self._bulk("item_service", f"Service {i:05d}", {})

    def _bulk(self, kind: str, name: str, fields: dict[str, Any]) -> None:
        from tests.qbsim.writes import add_list_record

        add_list_record(self, kind, {"Name": name, **fields})


def list_ret(kind: str, record: dict[str, Any], include: list[str] | None = None) -> etree._Element:
    """A list record as its `*Ret` element (trimmed to IncludeRetElement when given)."""
    data = record if not include else {k: v for k, v in record.items() if k in include}
    return to_element(LIST_KINDS[kind].ret, data)


# Handlers register themselves on import.
from tests.qbsim import queries as _queries  # noqa: E402,F401
from tests.qbsim import transactions as _transactions  # noqa: E402,F401
from tests.qbsim import writes as _writes  # noqa: E402,F401
