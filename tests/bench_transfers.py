"""Benchmark: invoices from Ready to Transferred, through QBWC sessions driven in process against
the simulated company, on SQLite (default) or PostgreSQL (`--database-url`).

    python -m tests.bench_transfers [--database-url URL] [--invoices 10000] [--organizations 200]
                                    [--mixed]

Each invoice has 3 lines; the organizations are split between customers QuickBooks has and ones
the transfer creates. Reports wall time, the engine's CPU per invoice (the process's CPU minus
the simulated QuickBooks' own), messages and peak memory. Targets (issue 11): at most 3 ms of
server CPU per invoice, 60 s wall, 300 MB, for 10,000 invoices.

`--mixed` adds the other types (issue 12): 2,000 time entries (400 weekly timesheets of 5
days, so 2,000 TimeTrackingAdds), 500 expense reports (each a new `v-` vendor's bill for the
first report of its resource) and 200 purchase orders with one receipt each, all transferred
in the same session as the invoices; CPU is then reported per QuickBooks transaction.
"""

from __future__ import annotations

import argparse
import json
import resource
import tempfile
import time
from pathlib import Path

from engine.settings import Settings
from projections.runtime import fresh_view
from tests.helpers import API_PASSWORD, demo_company, register_connector
from tests.qbsim.writes import add_list_record
from tests.test_import import DEMO
from web.bootstrap import bootstrap

TXNS = ("Invoice", "TimeTracking", "Bill", "PurchaseOrder", "ItemReceipt")


class TimedCompany:
    """The simulated company, with the CPU it spends answering counted apart."""

    def __init__(self, company) -> None:
        self.company, self.cpu, self.messages = company, 0.0, 0

    def process(self, request: str) -> str:
        started = time.process_time()
        try:
            return self.company.process(request)
        finally:
            self.cpu += time.process_time() - started
            self.messages += 1


def psa_file(invoices: int, organizations: int) -> dict:
    data = json.loads(DEMO.read_text())
    data["organizations"] = [
        {"id": f"ORG-B{o:04d}", "name": f"Bench Client {o:04d}", "transmission_method": "print"}
        for o in range(organizations)
    ]
    lines = [
        {"billing_code_id": "BC-1", "description": "Remote support", "quantity": "2",
         "rate": "150.00", "amount": "300.00", "taxable": False},
        {"billing_code_id": "BC-3", "description": "Managed workstations", "quantity": "10",
         "rate": "45.00", "amount": "450.00", "taxable": False},
        {"billing_code_id": "BC-2", "description": "On-site", "quantity": "1",
         "rate": "175.00", "amount": "175.00", "taxable": False},
    ]  # fmt: skip
    data["invoices"] = [
        {
            "id": f"INV-B{i:05d}",
            "number": f"B{i:05d}",
            "organization_id": f"ORG-B{i % organizations:04d}",
            "invoice_date": "2026-11-02",
            "ready_to_transfer": True,
            "lines": lines,
        }
        for i in range(invoices)
    ]
    for kind in ("timesheets", "expense_reports", "purchase_orders"):
        data[kind] = []
    return data


RESOURCES = 20
DAYS = ("2026-11-02", "2026-11-03", "2026-11-04", "2026-11-05", "2026-11-06")


def mixed(data: dict, organizations: int) -> dict:
    """The other document types on top of `psa_file`'s invoices."""
    data["resources"] = [
        {"id": f"RES-B{r:02d}", "first_name": f"Tech{r:02d}", "last_name": "Bench"}
        for r in range(RESOURCES)
    ]
    data["timesheets"] = [
        {
            "id": f"TS-B{t:04d}", "resource_id": f"RES-B{t % RESOURCES:02d}",
            "period_start": DAYS[0], "period_end": "2026-11-08", "status": "approved",
            "ready_to_transfer": True,
            "entries": [
                {"date": day, "hours": "7.5", "organization_id": f"ORG-B{t % organizations:04d}",
                 "billing_code_id": "BC-1", "payroll_category_id": "PAY-1"}
                for day in DAYS
            ],
        }
        for t in range(400)
    ]  # fmt: skip
    data["expense_reports"] = [
        {
            "id": f"EXR-B{e:04d}", "resource_id": f"RES-B{e % RESOURCES:02d}",
            "period_end": "2026-11-08", "status": "approved", "ready_to_transfer": True,
            "items": [
                {"date": "2026-11-03", "expense_category_id": "EXP-1", "amount": "58.29",
                 "billable": True, "reimbursable": True,
                 "organization_id": f"ORG-B{e % organizations:04d}"},
                {"date": "2026-11-04", "expense_category_id": "EXP-2", "amount": "23.10",
                 "reimbursable": True},
            ],
        }
        for e in range(500)
    ]  # fmt: skip
    data["purchase_orders"] = [
        {
            "id": f"PO-B{p:04d}", "number": f"B{p:04d}", "vendor_name": "Ingram Micro",
            "order_date": "2026-11-01", "status": "received", "ready_to_transfer": True,
            "lines": [{"product_id": "PRD-1", "quantity": "2", "unit_cost": "910.00"},
                      {"product_id": "PRD-2", "quantity": "4", "unit_cost": "149.00"}],
            "received": [{"product_id": "PRD-2", "quantity": "4", "date": "2026-11-05"}],
        }
        for p in range(200)
    ]  # fmt: skip
    return data


def prepare_mixed(qb) -> None:
    """An employee of each resource's name (timesheets never create one)."""
    for r in range(RESOURCES):
        add_list_record(qb, "employee", {"FirstName": f"Tech{r:02d}", "LastName": "Bench"})


def map_mixed(engine, reg) -> None:
    for category, psa_id, target in (
        ("payroll-categories", "PAY-1", "Regular Pay"),
        ("expense-billable", "EXP-1", "Travel"),
        ("expense-reimbursable", "EXP-2", "Meals and Entertainment"),
    ):
        engine.set_mapping(
            reg.connector_id, category, psa_id, target, directory=engine.directory, by="bench"
        )


def run(engine, reg, company: TimedCompany) -> None:
    """One QBWC update through the engine's commands, as the SOAP endpoint calls them."""
    qb = company.company
    ticket, answer = engine.qbwc_authenticate(reg.registration_id, "qbwc-api", API_PASSWORD)[:2]
    if answer == "none":  # nothing to do: QBWC asks again at its next poll
        return
    qb.begin_session()
    request = engine.qbwc_send_request(
        reg.registration_id, ticket, qb.hcp_response(), qb.path, "US", 13, 0
    )
    while request:
        answer = company.process(request)
        if engine.qbwc_receive_response(reg.registration_id, ticket, answer, "", "") >= 100:
            break
        request = engine.qbwc_send_request(reg.registration_id, ticket, "", qb.path, "US", 13, 0)
    engine.qbwc_close(reg.registration_id, ticket)
    qb.end_session()


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(prog="python -m tests.bench_transfers")
    parser.add_argument("--database-url", help="default: a fresh SQLite file")
    parser.add_argument("--invoices", type=int, default=10_000)
    parser.add_argument("--organizations", type=int, default=200)
    parser.add_argument("--mixed", action="store_true", help="timesheets, expenses, POs too")
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="qbt-transfers-"))
    url = args.database_url or f"sqlite:///{workdir / 'events.sqlite3'}"
    settings = Settings(database_url=url, base_dir=workdir)
    engine = bootstrap(settings)
    try:
        reg = register_connector(engine)
        qb = demo_company()
        for o in range(0, args.organizations, 2):  # half the customers exist already
            add_list_record(qb, "customer", {"Name": f"Bench Client {o:04d}"})
        qb.write_file_id(reg.owner_id, reg.file_id)
        if args.mixed:
            prepare_mixed(qb)
        company = TimedCompany(qb)
        run(engine, reg, company)
        data = psa_file(args.invoices, args.organizations)
        engine.import_psa(mixed(data, args.organizations) if args.mixed else data, by="bench")
        kinds = ("invoices", "timesheets", "expense_reports", "purchase_orders")
        for name in ("quickbookslists", "transfers", "psarecords"):
            fresh_view(settings, engine, name).close()  # what the runners do meanwhile
        if args.mixed:
            map_mixed(engine, reg)
        engine.change_connector(
            reg.connector_id, transfers=dict.fromkeys(kinds if args.mixed else kinds[:1], True)
        )
        for name in ("quickbookslists", "transfers", "psarecords"):
            fresh_view(settings, engine, name).close()
        company.cpu, company.messages = 0.0, 0
        wall, cpu = time.perf_counter(), time.process_time()
        run(engine, reg, company)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        made = {txn: len(qb.txns[txn]) for txn in TXNS}
        transferred = sum(made.values())
        engine_cpu = cpu - company.cpu
        figures = {
            "database": settings.describe_database(),
            "invoices": args.invoices,
            "transferred": transferred,
            "in_quickbooks": made,
            "messages": company.messages,
            "wall_s": round(wall, 2),
            "engine_cpu_s": round(engine_cpu, 2),
            "engine_cpu_ms_per_transaction": round(1000 * engine_cpu / max(1, transferred), 2),
            "simulated_quickbooks_cpu_s": round(company.cpu, 2),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        }
    finally:
        engine.close()
    print(json.dumps(figures, indent=1))
    return figures


if __name__ == "__main__":
    main()
