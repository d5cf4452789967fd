"""`python -m bench.snapshot_churn`: how many passes a complete snapshot takes while HR keeps hiring and editing.

A complete snapshot of more than one page ends with a completeness check (`EmployeeScanStream.hires_during`)
that sends the tap through the list again if someone may have been hired during the pass. This measures how
often that happens on a busy day: one Personio sandbox (a child process on loopback, 10,000 employees, 20 ms
per request; its rate limits off because the tap paces itself and the runs follow each other closely), the
tap in this process, and a background thread that plays the HR team through the sandbox's admin API: every
`--every` seconds a hire (`POST /_admin/employees`) and/or an edit of a random employee (`PATCH
/_admin/employees/{id}`), at most `--max-events` of them and never past `--max-seconds`.

Each scenario runs the snapshot with the check's window as it is (`new`: the pass itself plus CLOCK_MARGIN; a
row without `created_at` counts only if it holds the last page's highest id or no pass read it) and as it
was (`old`: the pass's start minus `lookback_seconds`, 300 s, and every changed row counted when `created_at`
is hidden), the old one restored by swapping in a copy of the old `hires_during`. The table is printed and
replaces its section of bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import io
import json
import logging
import random
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from unittest import mock
from urllib.parse import urlsplit

import requests
from singer_sdk.exceptions import FatalAPIError
from singer_sdk.helpers.types import Context
from tap_personio.flatten import created_at, row_id
from tap_personio.scan import EmployeeScanStream
from tap_personio.since import updated_since
from tap_personio.tap import TapPersonio

from bench.runner import free_port
from bench.sections import CHURN_HEADING, with_section
from harness.admin import AdminError, PersonioAdmin
from harness.processes import ROOT, Sandboxes, SandboxProcess
from sandbox.personio import CLIENT_ID, CLIENT_SECRET

LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
WINDOWS = ("new", "old")
Say = Callable[[str], None]


@dataclass(frozen=True)
class Scenario:
    """What the HR team does around one snapshot, and whether the credential may read `created_at`."""

    name: str
    hires: bool
    edits: bool
    hidden: bool
    during: bool  # churn runs through the snapshot; otherwise it stops `--quiet-before` seconds before it


SCENARIOS = (
    Scenario("quiet", hires=False, edits=False, hidden=False, during=False),
    Scenario("edits during", hires=False, edits=True, hidden=False, during=True),
    Scenario("edits during", hires=False, edits=True, hidden=True, during=True),
    Scenario("hires + edits until a minute before", hires=True, edits=True, hidden=False, during=False),
    Scenario("hires + edits until a minute before", hires=True, edits=True, hidden=True, during=False),
    Scenario("hires + edits during", hires=True, edits=True, hidden=False, during=True),
    Scenario("hires + edits during", hires=True, edits=True, hidden=True, during=True),
)


@dataclass
class Outcome:
    """One snapshot run."""

    scenario: Scenario
    window: str
    passes: int
    employee_requests: int
    records: int
    wall_s: float
    hires: int  # churn during the run
    edits: int
    completed: bool


class Churn(threading.Thread):
    """The busy HR team: a hire and/or an edit every `every` seconds, bounded in count and time, loopback only."""

    def __init__(
        self,
        url: str,
        ids: Sequence[int],
        *,
        every: float,
        hires: bool,
        edits: bool,
        max_events: int,
        max_seconds: float,
        seed: int = 1,
    ) -> None:
        super().__init__(name="hr-churn", daemon=True)
        if urlsplit(url).hostname not in LOOPBACK:
            raise ValueError(f"churn only talks to a sandbox on loopback, not {url}")
        self.url, self.ids, self.every = url, list(ids), every
        self.do_hires, self.do_edits = hires, edits
        self.max_events, self.max_seconds = max_events, max_seconds
        self.rng = random.Random(seed)
        self.hires = self.edits = self.errors = 0
        self.last_event = 0.0  # time.monotonic() of the last mutation
        self._halt = threading.Event()
        self._lock = threading.Lock()

    def counts(self) -> tuple[int, int]:
        """Hires and edits so far."""
        with self._lock:
            return self.hires, self.edits

    def run(self) -> None:
        """Mutate until stopped, out of events or out of time."""
        deadline = time.monotonic() + self.max_seconds
        with requests.Session() as session:
            personio = PersonioAdmin(self.url, session=session, timeout=10)
            while not self._halt.wait(self.every) and time.monotonic() < deadline:
                if self.hires + self.edits >= self.max_events:
                    break
                if self.do_hires:
                    self._send(partial(personio.hire, first_name="Churn", last_name="Hire"), "hire")
                if self.do_edits:
                    who = self.rng.choice(self.ids)
                    self._send(partial(personio.update, who, position=f"Title {self.rng.random()}"), "edit")

    def _send(self, change: Callable[[], object], kind: str) -> None:
        try:
            change()
        except (requests.RequestException, AdminError):
            self.errors += 1
            return
        with self._lock:
            if kind == "hire":
                self.hires += 1
            else:
                self.edits += 1
            self.last_event = time.monotonic()

    def stop(self) -> None:
        """Stop and wait for the thread."""
        self._halt.set()
        self.join(timeout=30)


def legacy_hires_during(
    self: EmployeeScanStream, context: Context | None, started: datetime, first_pass: Mapping[int, int], attempt: int
) -> list[int]:
    """The check as it was: the pass's start minus the look-back (300 s, at least 60 s); no `created_at`, a hire."""
    lookback = max(timedelta(seconds=int(self.config.get("lookback_seconds", 300))), timedelta(seconds=60))
    window_start = started - lookback
    saved, self.extra_params = self.extra_params, {"updated_since": updated_since(started, lookback, self.zone)}
    self._checking = True
    hires: list[int] = []
    try:
        for row in self.request_records(context):
            employee_id = row_id(row)
            if employee_id is None or first_pass.get(employee_id, attempt) < attempt:
                continue
            created = created_at(row, self.zone)
            if created is None or created >= window_start:
                hires.append(employee_id)
    finally:
        self.extra_params = saved
        self._checking = False
    return hires


@contextlib.contextmanager
def window(kind: str) -> Iterator[None]:
    """The completeness check's window: "new" as the tap has it, "old" as it was."""
    if kind == "new":
        yield
        return
    with mock.patch.object(EmployeeScanStream, "hires_during", legacy_hires_during):
        yield


class _Records(io.TextIOBase):
    """Stands in for stdout: counts the employees RECORD messages the tap writes, keeps nothing."""

    def __init__(self) -> None:
        super().__init__()
        self.count = 0
        self._partial = ""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        lines = (self._partial + text).split("\n")
        self._partial = lines.pop()
        for line in lines:
            if '"RECORD"' in line and json.loads(line).get("stream") == "employees":
                self.count += 1
        return len(text)


def snapshot(personio: SandboxProcess, scenario: Scenario, kind: str, churn: Churn | None) -> Outcome:
    """Run the tap once without state (a complete snapshot) and read what it took."""
    personio.personio_admin.reset_counters()
    config = {"base_url": personio.url, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "app_id": "BENCH"}
    tap = TapPersonio(config=config, state={}, parse_env_config=False)
    sink = _Records()
    before = churn.counts() if churn else (0, 0)
    started = time.monotonic()
    completed = True
    with contextlib.redirect_stdout(sink), window(kind):
        try:
            tap.sync_all()
        except FatalAPIError:
            completed = False
    wall = time.monotonic() - started
    after = churn.counts() if churn else (0, 0)
    stream = tap.streams["employees"]
    assert isinstance(stream, EmployeeScanStream)
    requests_made = int(personio.personio_admin.counters()["by_route"].get("GET employees", 0))
    return Outcome(
        scenario=scenario,
        window=kind,
        passes=stream.passes,
        employee_requests=requests_made,
        records=sink.count,
        wall_s=wall,
        hires=after[0] - before[0],
        edits=after[1] - before[1],
        completed=completed,
    )


def run(args: argparse.Namespace, say: Say) -> list[Outcome]:
    """Every chosen scenario, each window in turn, on one sandbox."""
    outcomes: list[Outcome] = []
    args.workdir.mkdir(parents=True, exist_ok=True)
    with Sandboxes() as sandboxes:
        personio = sandboxes.start(
            "personio",
            free_port(),
            "--employees",
            str(args.size),
            "--latency-ms",
            str(args.latency_ms),
            "--no-rate-limit",
            log=args.workdir / "personio-sandbox.log",
        )
        ids = [int(p["id"]) for p in personio.personio_admin.employees()]
        say(f"sandbox up with {len(ids):,} employees; warming up with one snapshot (not reported)")
        snapshot(personio, SCENARIOS[0], "new", None)
        for scenario in [s for s in SCENARIOS if s.name in args.scenario_list]:
            personio.personio_admin.hide(*(["created_at"] if scenario.hidden else []))
            churn: Churn | None = None
            if scenario.hires or scenario.edits:
                churn = Churn(
                    personio.url,
                    ids,
                    every=args.every,
                    hires=scenario.hires,
                    edits=scenario.edits,
                    max_events=args.max_events,
                    max_seconds=args.max_seconds,
                )
                churn.start()
                if scenario.during:
                    time.sleep(args.every * 1.5)  # the team is already at work when the snapshot starts
                else:
                    time.sleep(args.churn_seconds)
                    churn.stop()
                    hires, edits = churn.counts()
                    say(f"{label(scenario)}: {hires} hires, {edits} edits, then {args.quiet_before:g} s idle")
                    time.sleep(args.quiet_before)
            for kind in args.window_list:
                live = churn if churn is not None and churn.is_alive() else None
                outcome = snapshot(personio, scenario, kind, live)
                outcomes.append(outcome)
                say(
                    f"{label(scenario)}, {kind} window: {outcome.passes} passes, {outcome.employee_requests} "
                    f"employee requests, {outcome.wall_s:.1f} s, {'complete' if outcome.completed else 'FAILED'}"
                )
            if churn is not None:
                churn.stop()
        personio.personio_admin.hide()
    return outcomes


def label(scenario: Scenario) -> str:
    return f"{scenario.name} ({'created_at hidden' if scenario.hidden else 'created_at readable'})"


COLUMNS = (
    "scenario",
    "created_at",
    "window",
    "passes",
    "employee requests",
    "records",
    "during the run",
    "wall s",
    "result",
)


def table(outcomes: Sequence[Outcome]) -> str:
    """The Markdown table, one row per run."""
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for o in outcomes:
        during = f"{o.hires} hires, {o.edits} edits" if o.hires or o.edits else "-"
        result = "complete" if o.completed else f"failed: still changing after {o.passes} passes"
        cells = (
            o.scenario.name,
            "hidden" if o.scenario.hidden else "readable",
            o.window,
            str(o.passes),
            f"{o.employee_requests:,}",
            f"{o.records:,}",
            during,
            f"{o.wall_s:.1f}",
            result,
        )
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def render(outcomes: Sequence[Outcome], args: argparse.Namespace) -> str:
    """The RESULTS.md section: settings, table, how to read it."""
    margin = int(EmployeeScanStream.CLOCK_MARGIN.total_seconds())
    pages = -(-args.size // 100)
    return f"""{CHURN_HEADING}

Generated by `python -m bench.snapshot_churn` ({dt.datetime.now(UTC):%Y-%m-%d %H:%M} UTC; N={args.size:,}, \
{args.latency_ms:g} ms per request, sandbox rate limits off, the tap's own pacing on; the HR team hires and/or \
edits every {args.every:g} s; "until a minute before": {args.churn_seconds:g} s of it, then \
{args.quiet_before:g} s idle before the first of the two runs).

{table(outcomes)}

- A complete snapshot of {args.size:,} employees is {pages} pages plus one completeness check: {pages + 1} employee \
requests for one pass, {2 * (pages + 1)} for two. A pass is read again if its pages showed different totals, or if \
the check finds someone who may have been hired during it.
- **old**: the check counted everyone created since the pass's start minus `lookback_seconds` (300 s), and, with \
`created_at` hidden, everyone changed since then: one hire in the five minutes before the snapshot, or any edit at \
all without `created_at`, meant reading all {args.size:,} employees twice. **new**: the window is the pass itself \
plus {margin} s for the clocks (`CLOCK_MARGIN`); without `created_at` only the last page's highest id (the only \
place a hire that hid a row can be) or an id no pass read counts.
- **hires during the snapshot** change the total between pages, so every pass is read again with either window; \
a pass of {args.size:,} takes longer than the {args.every:g} s between hires, so the tap gives up after \
{EmployeeScanStream.MAX_PASSES} passes rather than declare an unverified snapshot complete (about a minute: the \
third pass waits for Personio's 300 requests a minute). The window change cannot help there: a snapshot completes \
only once a whole pass runs with nobody hired or deleted during it (the first pass also nobody hired in the \
{margin} s before it).
"""


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.snapshot_churn", description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=10000, help="employees in the sandbox")
    parser.add_argument("--every", type=float, default=2.0, help="seconds between the HR team's mutations")
    parser.add_argument("--latency-ms", type=float, default=20.0, help="sandbox latency per request")
    parser.add_argument("--window", choices=("both", *WINDOWS), default="both", help="which check window(s) to run")
    parser.add_argument(
        "--scenarios",
        default=",".join(dict.fromkeys(s.name for s in SCENARIOS)),
        help="comma-separated scenario names (default: all)",
    )
    parser.add_argument("--churn-seconds", type=float, default=20.0, help='churn before "stopped a minute before"')
    parser.add_argument("--quiet-before", type=float, default=60.0, help="idle seconds between that churn and the run")
    parser.add_argument("--max-events", type=int, default=500, help="at most this many mutations per scenario")
    parser.add_argument("--max-seconds", type=float, default=600.0, help="and never churn longer than this")
    parser.add_argument("--results", type=Path, default=ROOT / "bench" / "RESULTS.md", help="Markdown to update")
    parser.add_argument("--no-results", action="store_true", help="print only; leave the results file alone")
    parser.add_argument("--workdir", type=Path, default=ROOT / "bench" / "out" / "snapshot-churn", help="logs")
    parser.add_argument("--verbose", action="store_true", help="show the tap's own log lines")
    args = parser.parse_args(argv)
    args.window_list = list(WINDOWS) if args.window == "both" else [args.window]
    args.scenario_list = [s.strip() for s in str(args.scenarios).split(",") if s.strip()]
    unknown = set(args.scenario_list) - {s.name for s in SCENARIOS}
    if unknown:
        parser.error(f"unknown scenarios {sorted(unknown)}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    for name in ("tap-personio", "singer_sdk"):
        logging.getLogger(name).setLevel(logging.INFO if args.verbose else logging.ERROR)

    def say(line: str) -> None:
        print(f"[{dt.datetime.now():%H:%M:%S}] {line}", file=sys.stderr, flush=True)

    outcomes = run(args, say)
    text = render(outcomes, args)
    print(text)
    if not args.no_results:
        current = args.results.read_text() if args.results.exists() else ""
        args.results.write_text(with_section(current, CHURN_HEADING, text))
        say(f"written to {args.results}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
