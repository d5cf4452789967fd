"""`python -m harness.incremental`: one plain incremental run of `tap-personio | target-leapsome` against sandboxes.

What the daily schedule does, without Meltano's start-up: the state of the previous run (kept in
`WORKDIR/state.json`) goes in, the new one is written back. The webhook tests and benchmark use it as the
receiver's command, and as "the next scheduled run" that picks up events lost in transit.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from harness.pipeline import run_pipeline
from sandbox.leapsome import API_TOKEN
from sandbox.personio import CLIENT_ID, CLIENT_SECRET


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m harness.incremental", description=__doc__)
    parser.add_argument("--personio", required=True, help="Personio sandbox URL")
    parser.add_argument("--leapsome", required=True, help="Leapsome sandbox URL (without /scim/v1)")
    parser.add_argument("--workdir", type=Path, required=True, help="state.json and the run's logs")
    args = parser.parse_args(argv)
    state_file = args.workdir / "state.json"
    state = json.loads(state_file.read_text()) if state_file.exists() else None
    tap = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "base_url": args.personio}
    target = {"api_token": API_TOKEN, "base_url": f"{args.leapsome}/scim/v1", "progress_interval": 60}
    run = run_pipeline(args.workdir / "last-run", tap, target, state=state)
    if run.ok and run.state is not None:
        args.workdir.mkdir(parents=True, exist_ok=True)
        state_file.write_text(json.dumps(run.state))
    print(
        f"incremental run: tap exit {run.tap.returncode}, target exit {run.target.returncode}, "
        f"{run.wall_seconds:.1f} s",
        file=sys.stderr,
    )
    return 0 if run.ok else 1


if __name__ == "__main__":
    sys.exit(main())
