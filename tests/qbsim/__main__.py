"""`python -m tests.qbsim run ...`: run one QBWC update against a live server with a simulated
QuickBooks company, printing QBWC's log, so a person can watch a whole sync without Windows.

    echo "$PASSWORD" | python -m tests.qbsim run --url http://localhost:8000/qbwc/REG-ID \\
        --user qbwc-api --password-stdin --company company.json --save company.json
"""

from __future__ import annotations

import argparse
import json
import sys

from lxml import etree

from tests.qbsim.company import Company
from tests.qbsim.webconnector import WebConnectorSim


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.qbsim")
    commands = parser.add_subparsers(dest="command", required=True)
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

    url, user, owner_id, file_id, app_name = args.url, args.user, None, None, "qbtransfer"
    if args.qwc:
        qwc = etree.parse(args.qwc).getroot()
        url = url or qwc.findtext("AppURL")
        user = user or qwc.findtext("UserName")
        owner_id, file_id = qwc.findtext("OwnerID"), qwc.findtext("FileID")
        app_name = qwc.findtext("AppName") or app_name
    if not url or not user:
        parser.error("give --url and --user, or --qwc")
    password = sys.stdin.readline().rstrip("\r\n")
    company = Company.load(args.company) if args.company else Company()
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
    result = sim.run()
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


if __name__ == "__main__":
    sys.exit(main())
