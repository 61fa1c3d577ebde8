"""`python -m chaos [--leases N]` (from tests/): the full chaos run and its report (`make chaos`)."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from chaos.run import Options, run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="chaos", description=__doc__)
    parser.add_argument("--leases", type=int, default=200)
    parser.add_argument("--companies", type=int, default=10)
    parser.add_argument("--caseworkers", type=int, default=None, help="default: one per five leases, at least 8")
    parser.add_argument("--relay-crash", default="0.02", help="the relay fault switch's value (probability or count)")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--keep", action="store_true", help="keep the process logs")
    parser.add_argument("--load", type=int, default=0,
                        help="CPU hogs per core beside the system (3 or more: a busy node); with it workers die more often")
    parser.add_argument("--kill-every", default=None,
                        help="seconds between two SIGKILLs, 'min,max' (default 2,6; with --load 1,3)")
    args = parser.parse_args(argv)
    kill_every = args.kill_every or ("1,3" if args.load else "2,6")
    low, high = (float(x) for x in kill_every.split(","))
    options = Options(leases=args.leases, companies=args.companies,
                      caseworkers=args.caseworkers or max(8, args.leases // 5), relay_crash=args.relay_crash,
                      seed=args.seed, load=args.load, kill_every=(low, high))
    workdir = Path(tempfile.mkdtemp(prefix="chaos-run-"))
    print(f"chaos run: {options.leases} leases, load {options.load} per core, a SIGKILL every "
          f"{options.kill_every[0]:g}-{options.kill_every[1]:g}s, logs in {workdir}", flush=True)
    try:
        report = run(options, workdir, log=lambda line: print(line, flush=True))
    except BaseException as exc:
        print(f"chaos run aborted: {exc}", file=sys.stderr)
        return 2
    print(report.text())
    return 0 if report.passed else 1


if __name__ == "__main__":
    sys.exit(main())
