"""`python -m tests.qbsim ...`: make a simulated QuickBooks company file, and run one QBWC
update against a live server with it, printing QBWC's log, so a person can watch a whole sync
without Windows.

    python -m tests.qbsim company new company.json --demo
    echo "$API_PASSWORD" | python -m tests.qbsim run --qwc acme.qwc --password-stdin \\
        --company company.json --save company.json

Every error is one line on stderr, `error: ...`, with exit code 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import NoReturn

from lxml import etree

from tests.qbsim.company import Company
from tests.qbsim.webconnector import WebConnectorSim

BULK = {"customers": 14_000, "accounts": 500, "items": 2_000}  # near QuickBooks Pro's limits


class SimulatorError(Exception):
    """A mistake in how the simulator was called, told in one line."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise SimulatorError(f"{message} (see python -m tests.qbsim --help)")


def main(argv: list[str] | None = None) -> int:
    """Run the simulator's command line; returns the exit code."""
    try:
        return _run(argv)
    except SimulatorError as exc:
        print(f"error: {' '.join(str(exc).split())}", file=sys.stderr)
        return 2


def _run(argv: list[str] | None) -> int:
    parser = _Parser(prog="python -m tests.qbsim")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    company = commands.add_parser("company", help="make a simulated company file")
    company_commands = company.add_subparsers(dest="company_command", required=True)
    new = company_commands.add_parser("new", help="write a new company file (JSON)")
    new.add_argument("file", help="where to write it (refused if it exists)")
    kind = new.add_mutually_exclusive_group()
    kind.add_argument(
        "--demo", action="store_true", help="the company the demo PSA file expects (most of it)"
    )
    kind.add_argument(
        "--bulk", action="store_true", help="thousands of customers, accounts and items"
    )
    run = commands.add_parser("run", help="run one QBWC update against URL")
    run.add_argument("--url", help="the AppURL (default: from --qwc)")
    run.add_argument("--user", help="the UserName (default: from --qwc)")
    run.add_argument(
        "--password-stdin",
        action="store_true",
        required=True,
        help="read the password from standard input",
    )
    run.add_argument("--qwc", help="a .qwc file: AppURL, UserName, OwnerID and FileID come from it")
    run.add_argument("--company", help="a company JSON file to start from (default: empty)")
    run.add_argument("--save", help="write the company, after the update, to this JSON file")
    run.add_argument("--noop-wait", type=float, default=5.0, help="seconds to wait after NoOp")
    args = parser.parse_args(argv)
    if args.command == "company":
        return _new_company(Path(args.file), demo=args.demo, bulk=args.bulk)
    return _update(args)


def _new_company(path: Path, *, demo: bool, bulk: bool) -> int:
    if path.exists():
        raise SimulatorError(f"{path} exists already; give a new file name")
    if not path.parent.is_dir():
        raise SimulatorError(f"folder {path.parent} does not exist")
    if demo:
        from tests.helpers import demo_company

        company = demo_company()
    else:
        company = Company.from_json({"company": {"name": "Simulated Books"}})
        if bulk:
            company.seed_bulk(**BULK)
    company.save(path)
    counts = {kind: len(records) for kind, records in company.lists.items() if records}
    print(json.dumps({"file": str(path), "company": company.name, "records": counts}))
    return 0


def _update(args: argparse.Namespace) -> int:
    url, user, owner_id, file_id, app_name = args.url, args.user, None, None, "qbtransfer"
    if args.qwc:
        qwc = _read(args.qwc, "the .qwc file", lambda p: etree.parse(p).getroot())
        url = url or qwc.findtext("AppURL")
        user = user or qwc.findtext("UserName")
        owner_id, file_id = qwc.findtext("OwnerID"), qwc.findtext("FileID")
        app_name = qwc.findtext("AppName") or app_name
    if not url or not user:
        raise SimulatorError("give --url and --user, or --qwc")
    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise SimulatorError("no password on standard input (expected one line)")
    company = _read(args.company, "the company file", Company.load) if args.company else Company()
    sim = WebConnectorSim(
        url,
        user,
        password,
        company,
        owner_id=owner_id,
        file_id=file_id,
        app_name=app_name,
        noop_wait=args.noop_wait,
    )
    try:
        result = sim.run()
    except OSError as exc:
        raise SimulatorError(f"cannot reach {url}: {exc}; is the server running?") from None
    for line in result.log:
        print(line, file=sys.stderr)
    if args.save:
        company.save(args.save)
    print(
        json.dumps(
            {
                "outcome": result.outcome,
                "message": result.message,
                "messages": result.messages,
                "progress": result.progress,
                "every_min": result.every_min,
            }
        )
    )
    return 0 if result.outcome in ("completed", "none") else 1


def _read(path: str, what: str, reader):
    """`reader(path)`, or one line saying why the file could not be read."""
    if not Path(path).is_file():
        hint = " (make one with: python -m tests.qbsim company new FILE --demo)"
        raise SimulatorError(f"{what} {path} does not exist" + (hint if "company" in what else ""))
    try:
        return reader(path)
    except (OSError, ValueError, KeyError, TypeError, etree.XMLSyntaxError) as exc:
        raise SimulatorError(f"cannot read {what} {path}: {' '.join(str(exc).split())}") from None


if __name__ == "__main__":
    sys.exit(main())
