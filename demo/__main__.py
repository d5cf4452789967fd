"""`make demo`: the real pipeline, end to end, against local Personio and Leapsome sandboxes.

Starts both sandboxes (a generated company of a few hundred people, with the gaps real HR data has: people
without an email, a shared email, an address outside Leapsome's domain, a name too long for Leapsome, a
supervisor who left, a supervision cycle; a Leapsome with a couple of hand-made users and a hand-made
team), runs `meltano run tap-personio target-leapsome`, shows what Leapsome holds,
changes a few things in Personio (a hire, a leaver, a department move, a supervisor change), runs again
incrementally, shows what changed; then, live, starts the webhook receiver (`meltano invoke personio-webhooks`,
quiet period 2 s instead of the default 15 s so the demo is short), subscribes it in the Personio sandbox,
makes a hire and measures how long it takes to show up in Leapsome; and stops everything.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from typing import Any

import requests

from harness.leapsome_view import LeapsomeView, changes
from harness.meltano import MELTANO, MeltanoProject
from harness.processes import ROOT, Sandboxes, SandboxProcess

PERSONIO_PORT, LEAPSOME_PORT = 8765, 8766  # what the `dev` environment in meltano.yml points at
RECEIVER_PORT = 8787  # the personio-webhooks utility's default port
DEMO_QUIET_PERIOD = 2.0  # seconds; the receiver's default is 15
EMPLOYEES = 300
WORKDIR = ROOT / ".demo"


def step(title: str) -> None:
    print(f"\n== {title}", flush=True)


def run_sync(project: MeltanoProject, label: str) -> None:
    started = time.monotonic()
    result = project.run("run", "tap-personio", "target-leapsome")
    (WORKDIR / f"{label}.log").write_text(result.stdout + result.stderr)
    if result.returncode != 0:
        print(result.stderr[-6000:])
        raise SystemExit(f"meltano run failed ({result.returncode}); full log in .demo/{label}.log")
    print(f"meltano run tap-personio target-leapsome: ok in {time.monotonic() - started:.1f} s")
    skipped = []
    for line in result.stderr.splitlines():
        if "target-leapsome summary" in line:
            head, _, counts = line.split("] ", 1)[-1].partition(": ")
            nonzero = [kv.replace("=", " ").replace("_", " ") for kv in counts.split() if not kv.endswith("=0")]
            print(f"  {head}: {', '.join(nonzero) or 'nothing to do'}")
        elif "verified by reading Leapsome back" in line:
            print("  " + line[line.index("verified") :])
        elif " skipped: " in line:
            skipped.append(line.split(" skipped: ", 1)[1])
    if skipped:
        print(f"  skipped, for HR to fix in Personio ({len(skipped)}; the rest synced):")
        for entry in skipped:
            print(f"    {entry[:160]}{'…' if len(entry) > 160 else ''}")


def show(view: LeapsomeView) -> None:
    for label, count in view.counts():
        print(f"  {label:<42} {count:>5}")
    managed = sorted((u for u in view.synced_users() if u.get("manager")), key=lambda u: u["userName"])
    print("  a few synced users:")
    for user in managed[:5]:
        print("    " + view.describe(user))
    for team in view.hand_made_teams():
        members = ", ".join(view.name(m) for m in team["members"])
        print(f"  hand-made team {team['displayName']!r} (untouched): {members}")


def pick_changes(personio: SandboxProcess) -> list[tuple[str, str, dict[str, Any]]]:
    """Choose a hire, a leaver, a department move and a supervisor change from the company's data."""
    planted = {i for ids in personio.admin("GET", "planted").values() for i in ids}
    people = [p for p in personio.admin("GET", "employees") if p["id"] not in planted]
    departments = personio.admin("GET", "departments")
    active = [p for p in people if p["status"] == "active"]
    supervisors = {p["supervisor"]["id"] for p in people if p.get("supervisor")}
    root = next(p for p in active if not p.get("supervisor"))
    leaves = [p for p in active if p["id"] not in supervisors and p.get("supervisor")]
    leaver, mover, rehomed = leaves[0], leaves[1], leaves[2]
    new_department = next(d for d in departments if d["name"] and d["id"] != mover["department"]["id"])
    today = dt.date.today().isoformat()
    hire = {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": "Ada.Lovelace@acme.example",
        "status": "active",
        "position": "Staff Engineer",
        "hire_date": today,
        "department": root["department"]["id"],
        "supervisor": root["id"],
    }
    return [
        ("hire Ada Lovelace", "POST employees", hire),
        (f"{leaver['first_name']} {leaver['last_name']} leaves", f"PATCH employees/{leaver['id']}",
         {"status": "inactive", "termination_date": today}),
        (f"{mover['first_name']} {mover['last_name']} moves to {new_department['name']}",
         f"PATCH employees/{mover['id']}", {"department": new_department["id"]}),
        (f"{rehomed['first_name']} {rehomed['last_name']} now reports to {root['first_name']} {root['last_name']}",
         f"PATCH employees/{rehomed['id']}", {"supervisor": root["id"]}),
    ]  # fmt: skip


def live_webhooks(project: MeltanoProject, personio: SandboxProcess, leapsome: SandboxProcess) -> None:
    """Start the receiver, subscribe it, hire someone, and time the hire's way into Leapsome."""
    receiver_url = f"http://127.0.0.1:{RECEIVER_PORT}"
    settings = {
        "PERSONIO_WEBHOOKS_TOKEN": secrets.token_urlsafe(24),  # from the environment only, never in meltano.yml
        "PERSONIO_WEBHOOKS_PORT": str(RECEIVER_PORT),
        "PERSONIO_WEBHOOKS_QUIET_PERIOD": str(DEMO_QUIET_PERIOD),
        "PERSONIO_WEBHOOKS_PUBLIC_URL": f"{receiver_url}/webhooks/personio",
    }
    env = {**(project.extra_env or {}), **settings}
    live = MeltanoProject(project.personio_url, project.leapsome_url, project.database_uri, extra_env=env)
    with (WORKDIR / "receiver.log").open("wb") as log:
        receiver = subprocess.Popen(
            [MELTANO, "invoke", "personio-webhooks"],
            cwd=ROOT,
            env=live.env(),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # stopped as a group: meltano and the receiver under it
        )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                requests.get(f"{receiver_url}/health", timeout=1).raise_for_status()
                break
            except requests.RequestException:
                if receiver.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("the webhook receiver did not start; see .demo/receiver.log") from None
                time.sleep(0.2)
        print(f"  receiver: meltano invoke personio-webhooks on {receiver_url} (quiet period {DEMO_QUIET_PERIOD:g} s)")
        subscribed = live.run("invoke", "personio-webhooks", "subscribe", check=True)
        print("  subscribed: " + subscribed.stdout.strip().splitlines()[-1])
        hire = {"first_name": "Grace", "last_name": "Hopper", "email": "Grace.Hopper@acme.example", "status": "active"}
        started = time.monotonic()
        personio.admin("POST", "employees", hire)
        print("  hired Grace Hopper in Personio; waiting for her in Leapsome ...")
        while not any(u["userName"] == "grace.hopper@acme.example" for u in leapsome.admin("GET", "state")["users"]):
            if time.monotonic() - started > 180:
                raise SystemExit("Grace Hopper did not reach Leapsome within 180 s; see .demo/receiver.log")
            time.sleep(0.2)
        delay = time.monotonic() - started
        health = requests.get(f"{receiver_url}/health", timeout=5).json()
        while health["running"] and time.monotonic() - started < 300:  # the run verifies after writing
            time.sleep(0.2)
            health = requests.get(f"{receiver_url}/health", timeout=5).json()
        print(f"  Grace Hopper is in Leapsome {delay:.1f} s after the hire")
        print(
            f"  (quiet period {DEMO_QUIET_PERIOD:g} s + one `meltano run personio-to-leapsome`); receiver: "
            f"{health['events_received']} events, {health['runs_started']} run, "
            f"last run {(health['last_run'] or {}).get('result', 'still going')}"
        )
    finally:
        if receiver.poll() is None:
            os.killpg(receiver.pid, signal.SIGTERM)
            try:
                receiver.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(receiver.pid, signal.SIGKILL)
                receiver.wait(timeout=10)


def _interrupted(signum: int, _frame: object) -> None:
    raise SystemExit(f"interrupted by signal {signum}")  # unwinds the `with`, which stops the sandboxes


def main() -> int:
    signal.signal(signal.SIGTERM, _interrupted)
    shutil.rmtree(WORKDIR, ignore_errors=True)
    WORKDIR.mkdir()
    with Sandboxes() as sandboxes:
        step(f"Starting the sandboxes (Personio with {EMPLOYEES} employees; Leapsome with hand-made users)")
        personio = sandboxes.start(
            "personio", PERSONIO_PORT, "--employees", str(EMPLOYEES), "--realistic", log=WORKDIR / "personio.log"
        )
        leapsome = sandboxes.start("leapsome", LEAPSOME_PORT, "--max-text-length", "255", log=WORKDIR / "leapsome.log")
        print(f"  Personio sandbox: {personio.url}    Leapsome sandbox: {leapsome.url}/scim/v1")
        reports = WORKDIR / "reports"  # the run history: each run's JSON report and HTML page
        project = MeltanoProject(
            personio.url,
            leapsome.url,
            f"sqlite:///{WORKDIR / 'meltano.db'}",
            extra_env={"TARGET_LEAPSOME_REPORT_DIR": str(reports)},
        )

        step("Installing the plugins into Meltano (meltano install)")
        project.run("install", check=True, timeout=900)

        step("First run: a complete snapshot of Personio into Leapsome")
        run_sync(project, "run-1")
        print(f"  the run's report, for HR: {sorted(reports.glob('run-*.html'))[-1]}")
        first = LeapsomeView.from_state(leapsome.admin("GET", "state"))
        show(first)

        step("Changing Personio")
        for title, call, body in pick_changes(personio):
            method, path = call.split(" ", 1)
            personio.admin(method, path, body)
            print(f"  {title}")

        step("Second run: incremental (only what changed since the bookmark)")
        leapsome.admin("POST", "counters/reset")
        run_sync(project, "run-2")
        second = LeapsomeView.from_state(leapsome.admin("GET", "state"))
        counters = leapsome.admin("GET", "counters")
        print(f"  Leapsome requests: {counters['reads']} reads, {counters['writes']} writes")
        print("  what changed in Leapsome:")
        for line in changes(first, second) or ["(nothing)"]:
            print("    " + line)

        step("Third run: nothing changed, so nothing is written")
        leapsome.admin("POST", "counters/reset")
        run_sync(project, "run-3")
        counters = leapsome.admin("GET", "counters")
        print(f"  Leapsome requests: {counters['reads']} reads, {counters['writes']} writes")

        step("Live: Personio webhooks trigger the sync (the daily and weekly schedules stay as the safety net)")
        live_webhooks(project, personio, leapsome)

        step("Stopping the receiver and the sandboxes")
    print("done; logs in .demo/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
