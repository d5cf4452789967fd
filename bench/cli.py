"""`python -m bench`: run every scenario, print the table, write it to bench/RESULTS.md.

The 10,000-employee runs take many minutes (Leapsome allows 30 requests a second), so progress lines
are printed as it goes and RESULTS.md is rewritten after every run (marked partial until the end).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import shutil
import sys
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench.report import render, startup_seconds, table, verdicts
from bench.runner import Options, Row, Suite, run_tap_only
from bench.sections import kept_sections
from harness.processes import ROOT

DEFAULT_RESULTS = ROOT / "bench" / "RESULTS.md"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--sizes", default="1000,10000", help="company sizes for the full pipeline (comma-separated)")
    parser.add_argument("--tap-only-size", type=int, default=50000, help="size for the tap alone (0: skip)")
    parser.add_argument("--skip-naive", action="store_true", help="do not run the naive baseline")
    parser.add_argument("--quick", action="store_true", help="smoke run: N=200, tap alone at 1,000")
    parser.add_argument("--latency-ms", type=float, default=20.0, help="sandbox latency per request")
    parser.add_argument(
        "--parallel",
        action="store_true",
        help="run the naive suites next to ours (own sandboxes, same machine): half the time, noisier wall times",
    )
    parser.add_argument("--results", type=Path, default=DEFAULT_RESULTS, help="where to write the Markdown")
    parser.add_argument(
        "--workdir", type=Path, default=ROOT / "bench" / "out", help="logs and per-run files (git-ignored)"
    )
    parser.add_argument("--heartbeat", type=float, default=30.0, help="seconds between progress lines")
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes, args.tap_only_size = "200", 1000
    args.size_list = [int(s) for s in str(args.sizes).split(",") if s.strip()]
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    shutil.rmtree(args.workdir, ignore_errors=True)
    kept = kept_sections(args.results)  # e.g. `python -m bench.snapshot_churn`'s table: not ours to drop
    args.workdir.mkdir(parents=True)
    lock = threading.Lock()
    rows: list[Row] = []
    settings = (
        f"sizes {args.sizes}, tap alone {args.tap_only_size or 'skipped'}, latency {args.latency_ms:g} ms, "
        f"naive {'skipped' if args.skip_naive else 'in parallel with ours' if args.parallel else 'after ours'}"
    )
    startup = startup_seconds()

    def say(line: str) -> None:
        with lock:
            print(f"[{dt.datetime.now():%H:%M:%S}] {line}", flush=True)

    def emit(row: Row) -> None:
        with lock:
            rows.append(row)
            args.results.write_text(render(rows, finished=False, settings=settings, startup=startup) + kept)
            raw = [{**dataclasses.asdict(r), "ratio": r.ratio} for r in rows]
            (args.workdir / "results.json").write_text(json.dumps(raw, indent=1))  # every counter, by route

    opts = Options(latency_ms=args.latency_ms, workdir=args.workdir, heartbeat_s=args.heartbeat)
    say(f"benchmark: {settings}; results in {args.results}, logs in {args.workdir}")

    def ours() -> None:
        for size in args.size_list:
            Suite(size, "ours", opts, say, emit).run()
        if args.tap_only_size:
            emit(run_tap_only(args.tap_only_size, opts, say))

    def naive() -> None:
        for size in args.size_list:
            Suite(size, "naive", opts, say, emit).run()

    jobs = [ours] if args.skip_naive else [ours, naive]
    if args.parallel:
        with ThreadPoolExecutor(len(jobs)) as pool:
            for future in [pool.submit(job) for job in jobs]:
                future.result()
    else:
        for job in jobs:
            job()
    text = render(rows, finished=True, settings=settings, startup=startup)
    args.results.write_text(text + kept)
    print()
    print(table(rows))
    print()
    print("\n".join(verdicts(rows, startup)))
    print(f"\nwritten to {args.results}")
    return 0 if all(r.ok and not r.problems for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
