"""Run the scenarios: fresh sandboxes per suite, the real plugins (or the naive script), counters, floors.

One suite = one company size and one sync (ours or naive) on its own pair of sandbox processes:
initial sync, no-change re-run, 1% of employees changed, complete snapshot with nothing changed.
"""

from __future__ import annotations

import json
import random
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.floor import SYNCED, Floor, floor_for_run, personio_seconds
from bench.verify import mismatches
from harness.processes import ROOT, Sandboxes, SandboxProcess
from sandbox.leapsome import API_TOKEN
from sandbox.personio import CLIENT_ID, CLIENT_SECRET

SCENARIOS = ("initial", "no-change", "1% change", "snapshot")
Progress = Callable[[str], None]


@dataclass
class Row:
    """One measured run and its floor."""

    size: int
    scenario: str
    sync: str  # "ours", "naive" or "tap only"
    wall_s: float
    personio_requests: int
    leapsome_reads: int | None
    leapsome_writes: int | None
    rate_limited: int
    floor: Floor
    rss_tap_mb: float | None
    rss_target_mb: float | None
    ok: bool
    problems: int | None  # differences between Personio and Leapsome after the run (None: not checked)
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ratio(self) -> float:
        return self.wall_s / self.floor.seconds if self.floor.seconds > 0 else float("inf")


@dataclass
class Options:
    latency_ms: float
    workdir: Path
    heartbeat_s: float = 30.0
    seed: int = 1


def free_port() -> int:
    """A port the OS just had free on loopback (the sandbox binds it a moment later)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def isolated(job: dict[str, Any], workdir: Path) -> dict[str, Any]:
    """Run a measured job through `bench.isolated` (a small parent: see there why) and return its outcome."""
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / "job.json"
    path.write_text(json.dumps(job))
    done = subprocess.run(
        [sys.executable, "-m", "bench.isolated", str(path)], cwd=ROOT, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"bench.isolated failed ({done.returncode}): {done.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _counters(sandbox: SandboxProcess) -> dict[str, Any]:
    return sandbox.shared_admin.counters()


def _reset(*sandboxes: SandboxProcess) -> None:
    for sandbox in sandboxes:
        sandbox.shared_admin.reset_counters()


def _watch(label: str, work: Callable[[], Any], sandboxes: list[SandboxProcess], opts: Options, say: Progress) -> Any:
    """Run `work` in a thread, printing a progress line with the live counters every heartbeat."""
    result: dict[str, Any] = {}

    def target() -> None:
        try:
            result["value"] = work()
        except BaseException as exc:  # re-raised below, in the caller's thread
            result["error"] = exc

    started = time.monotonic()
    thread = threading.Thread(target=target, name=label, daemon=True)
    thread.start()
    while True:
        thread.join(opts.heartbeat_s)
        if not thread.is_alive():
            break
        live = ", ".join(
            f"{s.kind} {c['total']} req ({c['writes']} writes, {c['rate_limited']} 429s)"
            for s in sandboxes
            for c in [_counters(s)]
        )
        say(f"{label}: {time.monotonic() - started:5.0f} s, {live}")
    if "error" in result:
        raise result["error"]
    return result["value"]


class Suite:
    """The four scenarios for one size and one sync, on their own sandboxes."""

    def __init__(self, size: int, sync: str, opts: Options, say: Progress, emit: Callable[[Row], None]) -> None:
        self.size, self.sync, self.opts, self.say, self.emit = size, sync, opts, say, emit
        self.dir = opts.workdir / f"{sync}-{size}"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.latency = ["--latency-ms", str(opts.latency_ms)]
        self.rng = random.Random(opts.seed)

    def run(self) -> list[Row]:
        rows: list[Row] = []
        with Sandboxes() as sandboxes:
            self.personio = sandboxes.start(
                "personio",
                free_port(),
                "--employees",
                str(self.size),
                *self.latency,
                log=self.dir / "personio-sandbox.log",
            )
            self.leapsome = sandboxes.start("leapsome", free_port(), *self.latency, log=self.dir / "leapsome.log")
            self.departments = len(self.personio.personio_admin.departments())
            people = self.personio.personio_admin.employees()
            row, state = self.measure("initial", state=None, before=[], after=people, records=len(people))
            rows.append(row)
            row, state = self.measure("no-change", state=state, before=people, after=people, records=0)
            rows.append(row)
            changed, note = self.change_one_percent(people)
            after = self.personio.personio_admin.employees()
            row, state = self.measure("1% change", state=state, before=people, after=after, records=changed, note=note)
            rows.append(row)
            row, _ = self.measure("snapshot", state=None, before=after, after=after, records=len(after))
            rows.append(row)
        return rows

    # -- one scenario ---------------------------------------------------------------------------
    def measure(
        self,
        scenario: str,
        *,
        state: dict[str, Any] | None,
        before: list[dict[str, Any]],
        after: list[dict[str, Any]],
        records: int,
        note: str = "",
    ) -> tuple[Row, dict[str, Any] | None]:
        label = f"N={self.size} {self.sync} {scenario}"
        leapsome_state = self.leapsome.leapsome_admin.state()
        floor = floor_for_run(
            before=before,
            after=after,
            employee_records=records,
            departments=self.departments,
            leapsome_users=len(leapsome_state["users"]),
            leapsome_groups=len(leapsome_state["groups"]),
            latency_s=self.opts.latency_ms / 1000,
        )
        _reset(self.personio, self.leapsome)
        self.say(f"{label}: start (floor {floor.leapsome_requests} Leapsome requests, {floor.seconds:.1f} s)")
        workdir = self.dir / scenario.replace("% ", "pct-").replace(" ", "-")
        watched = [self.personio, self.leapsome]
        if self.sync == "ours":
            run = _watch(label, lambda: self.run_ours(workdir, state), watched, self.opts, self.say)
            wall, rss_tap, rss_target, new_state = run["wall_s"], run["rss_tap_mb"], run["rss_target_mb"], run["state"]
            ok = run["tap_rc"] == 0 and run["target_rc"] == 0
            if not ok:
                self.say(f"{label}: FAILED (tap {run['tap_rc']}, target {run['target_rc']}); logs in {workdir}")
        else:
            run = _watch(label, lambda: self.run_naive(workdir), watched, self.opts, self.say)
            wall, rss_tap, rss_target, new_state, ok = run["wall_s"], None, run["rss_mb"], None, run["rc"] == 0
            if not ok:
                self.say(f"{label}: FAILED: {run['summary']}; logs in {workdir}")
        p, leap = _counters(self.personio), _counters(self.leapsome)
        problems = mismatches(after, self.leapsome.leapsome_admin.state())
        if problems:
            self.say(f"{label}: {len(problems)} differences from Personio, e.g. {problems[:3]}")
        row = Row(
            size=self.size,
            scenario=scenario,
            sync=self.sync,
            wall_s=wall,
            personio_requests=int(p["total"]) - int(p["rate_limited"]),
            leapsome_reads=int(leap["reads"]),
            leapsome_writes=int(leap["writes"]),
            rate_limited=int(p["rate_limited"]) + int(leap["rate_limited"]),
            floor=floor,
            rss_tap_mb=rss_tap,
            rss_target_mb=rss_target,
            ok=ok,
            problems=len(problems),
            note=note,
            extra={"personio": p["by_route"], "leapsome": leap["by_route"]},
        )
        self.say(
            f"{label}: done in {wall:.1f} s; Personio {row.personio_requests}, Leapsome {row.leapsome_reads} reads "
            f"+ {row.leapsome_writes} writes ({row.ratio:.2f}x the floor's time)"
        )
        self.emit(row)
        return row, new_state

    def run_ours(self, workdir: Path, state: dict[str, Any] | None) -> dict[str, Any]:
        tap = {
            "base_url": self.personio.url,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "app_id": "PERSONIO_LEAPSOME_BENCH",
        }
        target = {"base_url": f"{self.leapsome.url}/scim/v1", "api_token": API_TOKEN}
        job = {"kind": "pipeline", "workdir": str(workdir), "tap": tap, "target": target, "state": state}
        return isolated({**job, "timeout": 6 * 3600}, workdir)

    def run_naive(self, workdir: Path) -> dict[str, Any]:
        config = {
            "personio_url": self.personio.url,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "leapsome_url": f"{self.leapsome.url}/scim/v1",
            "api_token": API_TOKEN,
        }
        return isolated({"kind": "naive", "workdir": str(workdir), "config": config}, workdir)

    # -- the 1% change ----------------------------------------------------------------------------
    def change_one_percent(self, people: list[dict[str, Any]]) -> tuple[int, str]:
        """Change 1% of employees in Personio: titles, department moves and supervisors, a third each."""
        count = max(3, round(self.size / 100))
        moves = managers = count // 3
        titles = count - moves - managers
        active = [p for p in people if p["status"] == "active"]
        synced = [p for p in people if p["status"] in SYNCED]
        chosen = self.rng.sample(active, count)
        positions = sorted({str(p["position"]) for p in people if p.get("position")})
        team_departments = sorted({p["department"]["id"] for p in synced if p.get("department")})
        reports: dict[int, list[int]] = {}
        for person in people:
            if person.get("supervisor"):
                reports.setdefault(person["supervisor"]["id"], []).append(person["id"])
        for person in chosen[:titles]:
            new = self.rng.choice([p for p in positions if p != person.get("position")] or ["Senior Engineer"])
            self.personio.personio_admin.update(person["id"], position=new)
        for person in chosen[titles : titles + moves]:
            current = (person.get("department") or {}).get("id")
            new_department = self.rng.choice([d for d in team_departments if d != current])
            self.personio.personio_admin.update(person["id"], department=new_department)
        for person in chosen[titles + moves :]:
            below, todo = {person["id"]}, [person["id"]]
            while todo:
                for report in reports.get(todo.pop(), []):
                    if report not in below:
                        below.add(report)
                        todo.append(report)
            current = (person.get("supervisor") or {}).get("id")
            candidates = [p["id"] for p in synced if p["id"] not in below and p["id"] != current]
            self.personio.personio_admin.update(person["id"], supervisor=self.rng.choice(candidates))
        return count, f"{count} employees changed: {titles} titles, {moves} department moves, {managers} managers"


def run_tap_only(size: int, opts: Options, say: Progress) -> Row:
    """The tap alone on a big company, its output read and dropped: Personio's floor and the tap's memory."""
    workdir = opts.workdir / f"tap-only-{size}"
    workdir.mkdir(parents=True, exist_ok=True)
    label = f"N={size} tap only"
    with Sandboxes() as sandboxes:
        personio = sandboxes.start(
            "personio",
            free_port(),
            "--employees",
            str(size),
            "--latency-ms",
            str(opts.latency_ms),
            log=workdir / "personio-sandbox.log",
        )
        departments = len(personio.personio_admin.departments())
        config = {"base_url": personio.url, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "app_id": "BENCH"}
        _reset(personio)
        employee_pages = -(-size // 100)
        floor = Floor(
            1 + employee_pages + -(-departments // 100), 0, 0, personio_seconds(employee_pages, 0.001 * opts.latency_ms)
        )
        say(f"{label}: start (floor {floor.personio_requests} Personio requests, {floor.seconds:.1f} s)")

        job = {"kind": "tap", "workdir": str(workdir), "config": config}
        result = _watch(label, lambda: isolated(job, workdir), [personio], opts, say)
        wall, rss, code, records = result["wall_s"], result["rss_mb"], result["rc"], result["records"]
        counters = _counters(personio)
    row = Row(
        size=size,
        scenario="snapshot",
        sync="tap only",
        wall_s=wall,
        personio_requests=int(counters["total"]) - int(counters["rate_limited"]),
        leapsome_reads=None,
        leapsome_writes=None,
        rate_limited=int(counters["rate_limited"]),
        floor=floor,
        rss_tap_mb=rss,
        rss_target_mb=None,
        ok=code == 0 and records >= size,
        problems=None,
        note=f"{records} records emitted",
        extra={"personio": counters["by_route"]},
    )
    say(f"{label}: done in {wall:.1f} s, {row.personio_requests} Personio requests, {records} records, exit {code}")
    return row
