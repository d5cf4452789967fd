"""`python -m bench.webhooks`: how long a Personio change takes to reach Leapsome through the webhook receiver.

Sandboxes as child processes, a complete first sync, then a real `personio-webhooks serve` subscribed in the
Personio sandbox with the default quiet period (15 s) and max delay (60 s). Each trial changes Personio
(one employee's position, or a burst of 50 positions as fast as the admin API takes them) and polls the
Leapsome sandbox's admin view until every change is there. Latency counts from the (first) change.
Requests per burst are compared with one plain incremental run over 50 changes. The receiver runs
`python -m harness.incremental` (the incremental run itself, without Meltano's start-up) unless `--meltano`.
The table goes to stdout and into its section of bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import requests

from bench.runner import free_port
from bench.sections import WEBHOOKS_HEADING, with_section
from harness.meltano import SANDBOX_ENV
from harness.processes import ROOT, Sandboxes, SandboxProcess

BIN = Path(sys.executable).parent
BURST = 50


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (no interpolation: a value that was measured)."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(share * len(ordered) + 0.5) - 1))]


def leapsome_titles(leapsome: SandboxProcess) -> dict[str, Any]:
    return {u.get("externalId"): u.get("title") for u in leapsome.admin("GET", "state")["users"]}


def wait_visible(leapsome: SandboxProcess, wanted: dict[str, str], timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while True:
        titles = leapsome_titles(leapsome)
        if all(titles.get(k) == v for k, v in wanted.items()):
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"changes not in Leapsome after {timeout:.0f} s")
        time.sleep(0.1)


def health(url: str) -> dict[str, Any]:
    return dict(requests.get(f"{url}/health", timeout=10).json())


def wait_idle(url: str) -> dict[str, Any]:
    while True:
        status = health(url)
        if not status["running"] and not status["pending"]:
            return status
        time.sleep(0.1)


def requests_of(sandbox: SandboxProcess) -> int:
    return int(sandbox.admin("GET", "counters")["total"])


def change(personio: SandboxProcess, people: list[int], label: str) -> dict[str, str]:
    wanted: dict[str, str] = {}
    for emp_id in people:
        title = f"{label} {secrets.token_hex(3)}"
        personio.admin("PATCH", f"employees/{emp_id}", {"position": title})
        wanted[str(emp_id)] = title
    return wanted


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.webhooks", description=__doc__)
    parser.add_argument("--trials", type=int, default=20, help="trials of single changes")
    parser.add_argument("--burst-trials", type=int, default=20, help="trials of bursts of 50 changes")
    parser.add_argument("--employees", type=int, default=1000)
    parser.add_argument("--quiet-period", type=float, default=15.0)
    parser.add_argument("--max-delay", type=float, default=60.0)
    parser.add_argument("--meltano", action="store_true", help="the receiver runs `meltano run personio-to-leapsome`")
    parser.add_argument("--results", type=Path, default=ROOT / "bench" / "RESULTS.md")
    parser.add_argument("--workdir", type=Path, default=ROOT / "bench" / "out" / "webhooks")
    args = parser.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    rng = random.Random(1)
    with Sandboxes() as sandboxes:
        personio = sandboxes.start("personio", free_port(), "--employees", str(args.employees))
        leapsome = sandboxes.start("leapsome", free_port())
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PERSONIO_WEBHOOKS_", "TAP_", "TARGET_"))}
        if args.meltano:
            db = args.workdir / "meltano.db"
            db.unlink(missing_ok=True)
            env.update(SANDBOX_ENV)
            env.update({"MELTANO_ENVIRONMENT": "dev", "MELTANO_DATABASE_URI": f"sqlite:///{db}",
                        "TAP_PERSONIO_BASE_URL": personio.url, "TARGET_LEAPSOME_BASE_URL": f"{leapsome.url}/scim/v1",
                        "PATH": f"{BIN}{os.pathsep}{env.get('PATH', '')}"})  # fmt: skip
            sync = [str(BIN / "meltano"), "run", "personio-to-leapsome"]
        else:
            state_dir = args.workdir / "sync"
            subprocess.run(["rm", "-rf", str(state_dir)], check=True)
            sync = [sys.executable, "-m", "harness.incremental", "--personio", personio.url,
                    "--leapsome", leapsome.url, "--workdir", str(state_dir)]  # fmt: skip
        print(f"first sync of {args.employees} employees ...", flush=True)
        subprocess.run(sync, cwd=ROOT, env=env, check=True, capture_output=True)
        synced = [int(k) for k, v in leapsome_titles(leapsome).items() if k]
        # the reference: one plain incremental run over 50 changes
        wanted = change(personio, rng.sample(synced, BURST), "reference")
        personio.admin("POST", "counters/reset")
        leapsome.admin("POST", "counters/reset")
        started = time.monotonic()
        subprocess.run(sync, cwd=ROOT, env=env, check=True, capture_output=True)
        reference_s = time.monotonic() - started
        wait_visible(leapsome, wanted, timeout=5)
        reference = (requests_of(personio), requests_of(leapsome))
        print(f"reference incremental run: {reference_s:.1f} s, requests Personio/Leapsome {reference}", flush=True)

        port, token = free_port(), secrets.token_urlsafe(24)
        receiver_url = f"http://127.0.0.1:{port}"
        env.update({"PERSONIO_WEBHOOKS_TOKEN": token, "PERSONIO_WEBHOOKS_PORT": str(port),
                    "PERSONIO_WEBHOOKS_QUIET_PERIOD": str(args.quiet_period),
                    "PERSONIO_WEBHOOKS_MAX_DELAY": str(args.max_delay),
                    "PERSONIO_WEBHOOKS_COMMAND": " ".join(sync),
                    "TAP_PERSONIO_BASE_URL": personio.url,
                    "TAP_PERSONIO_CLIENT_ID": SANDBOX_ENV["TAP_PERSONIO_CLIENT_ID"],
                    "TAP_PERSONIO_CLIENT_SECRET": SANDBOX_ENV["TAP_PERSONIO_CLIENT_SECRET"]})  # fmt: skip
        with (args.workdir / "receiver.log").open("wb") as log:
            receiver = subprocess.Popen(
                [str(BIN / "personio-webhooks"), "serve"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
            )
        try:
            for _ in range(100):
                try:
                    health(receiver_url)
                    break
                except requests.RequestException:
                    time.sleep(0.1)
            subprocess.run(
                [str(BIN / "personio-webhooks"), "subscribe", "--url", f"{receiver_url}/webhooks/personio"],
                env=env, check=True, capture_output=True,
            )  # fmt: skip
            rows = []
            for kind, trials, size in (
                ("single change", args.trials, 1),
                (f"burst of {BURST}", args.burst_trials, BURST),
            ):
                latencies: list[float] = []
                per_trial: list[tuple[int, int, int]] = []
                for number in range(trials):
                    before = wait_idle(receiver_url)["runs_started"]
                    personio.admin("POST", "counters/reset")
                    leapsome.admin("POST", "counters/reset")
                    started = time.monotonic()
                    wanted = change(personio, rng.sample(synced, size), f"trial {number}")
                    wait_visible(leapsome, wanted)
                    latencies.append(time.monotonic() - started)
                    after = wait_idle(receiver_url)["runs_started"]
                    per_trial.append((requests_of(personio), requests_of(leapsome), after - before))
                    print(f"{kind} {number + 1}/{trials}: {latencies[-1]:.1f} s, runs {after - before}", flush=True)
                if trials:
                    rows.append((kind, trials, latencies, per_trial))
        finally:
            receiver.terminate()
            receiver.wait(timeout=120)
    command = "meltano run personio-to-leapsome" if args.meltano else "python -m harness.incremental"
    lines = [
        WEBHOOKS_HEADING,
        "",
        f"Generated by `python -m bench.webhooks`; {args.employees} employees, quiet period {args.quiet_period:g} s, "
        f"max delay {args.max_delay:g} s, the receiver running `{command}`. Latency: from the (first) change in "
        "the Personio sandbox until every change of the trial is visible in the Leapsome sandbox. Requests: per "
        f"trial, against one plain incremental run over {BURST} changes ({reference[0]} Personio, {reference[1]} "
        f"Leapsome requests, {reference_s:.1f} s). Target: p95 under 60 s; requests per burst no more than one "
        "incremental run's. Personio requests can exceed the reference's: the tap's 300 s look-back re-reads "
        "the employees changed by the trials just before (more pages of 100); Leapsome gets only the trial's writes.",
        "",
        "| changes | trials | p50 s | p95 s | max s | runs per trial | Personio req (max) | Leapsome req (max) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for kind, trials, latencies, per_trial in rows:
        runs = sorted({r for _, _, r in per_trial})
        lines.append(
            f"| {kind} | {trials} | {statistics.median(latencies):.1f} | {percentile(latencies, 0.95):.1f} | "
            f"{max(latencies):.1f} | {'/'.join(map(str, runs))} | {max(p for p, _, _ in per_trial)} | "
            f"{max(lr for _, lr, _ in per_trial)} |"
        )
    table = "\n".join(lines) + "\n"
    print()
    print(table)
    current = args.results.read_text() if args.results.exists() else ""
    args.results.write_text(with_section(current, WEBHOOKS_HEADING, table))
    print(f"written to {args.results}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
