"""One entry point for the benchmarks: `python -m tests.bench NAME [options]`.

    python -m tests.bench handshake [--peer] [--database-url URL]   # big first handshake
    python -m tests.bench transfer [--mixed] [--database-url URL]   # 10,000 invoices
    python -m tests.bench rebuild [--events N] [--database-url URL] # read models from 1 M events
    python -m tests.bench soak [--sessions 1000]                    # memory and latency over time
    python -m tests.bench load [--database-url URL] [--connectors 50] # gunicorn, 50 Web Connectors
    python -m tests.bench crash [--database-url URL] [--victim web|worker] # a kill at each boundary
    python -m tests.bench failover [--database-url URL]             # a standby worker takes over
    python -m tests.bench notices|lookups|readiness [...]

Each prints its figures as JSON, beside the target (and the peer, where there is one) it is
compared with; `python -m tests.bench NAME --help` lists its options. The figures on record,
with the machine and the command behind each, are in docs/performance.md.
"""

from __future__ import annotations

import importlib
import sys

BENCHMARKS = {
    "handshake": ("tests.bench_handshake", "server CPU and memory of the first handshake"),
    "transfer": ("tests.bench_transfers", "invoices (and --mixed types) through one session"),
    "rebuild": ("tests.bench_rebuild", "rebuilding every read model from a large log"),
    "notices": ("tests.bench_notices", "time from a session's end to its e-mail digest"),
    "lookups": ("tests.bench_lookups", "finding a QuickBooks record in the lists read model"),
    "readiness": ("tests.bench_readiness", "the readiness check on 1,000 queued invoices"),
    "soak": ("tests.bench_soak", "1,000 sessions in a row: memory and latency over time"),
    "load": ("tests.bench_load", "many Web Connectors at once on gunicorn: latency per method"),
    "crash": ("tests.crash", "SIGKILL at every boundary of a session: nothing lost or doubled"),
    "failover": ("tests.bench_failover", "a killed worker's standby takes over: how soon"),
}


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark `argv[0]` names with the rest of `argv`."""
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] not in BENCHMARKS:
        names = "\n".join(f"  {name:<10} {text}" for name, (_, text) in BENCHMARKS.items())
        print(f"usage: python -m tests.bench NAME [options]\n\n{names}", file=sys.stderr)
        return 0 if args[:1] in (["-h"], ["--help"]) else 2
    module = importlib.import_module(BENCHMARKS[args[0]][0])
    module.main(args[1:])
    return 0


if __name__ == "__main__":
    sys.exit(main())
