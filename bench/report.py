"""The one table, the machine it ran on, and the verdict on the benchmark's targets, as Markdown."""

from __future__ import annotations

import datetime as dt
import os
import platform
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

from bench.runner import SCENARIOS, Row
from harness.pipeline import BIN
from harness.processes import ROOT

COLUMNS = (
    "N",
    "run",
    "sync",
    "wall s",
    "Personio req",
    "Leapsome reads",
    "Leapsome writes",
    "429s",
    "floor: Personio / L reads / L writes",
    "floor s",
    "x floor (time)",
    "RSS tap MB",
    "RSS target MB",
    "result",
)
SYNC_ORDER = {"ours": 0, "naive": 1, "tap only": 2}
INITIAL_TARGET = 1.15
HANDFUL = 5


def _num(value: float | int | None, digits: int = 0) -> str:
    if value is None:
        return "-"
    return f"{value:,.{digits}f}"


def result_text(row: Row) -> str:
    if not row.ok:
        return "FAILED"
    if row.problems:
        return f"{row.problems} diffs"
    return "ok" if row.problems == 0 else "ok (exit 0)"


def sort_rows(rows: Sequence[Row]) -> list[Row]:
    order = {name: i for i, name in enumerate(SCENARIOS)}
    return sorted(rows, key=lambda r: (r.sync == "tap only", r.size, order.get(r.scenario, 9), SYNC_ORDER[r.sync]))


def table(rows: Sequence[Row]) -> str:
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for row in sort_rows(rows):
        f = row.floor
        floor_requests = (
            f"{f.personio_requests:,} / {f.leapsome_reads:,} / {f.leapsome_writes:,}"
            if row.sync != "tap only"
            else f"{f.personio_requests:,} / - / -"
        )
        cells = (
            f"{row.size:,}",
            row.scenario if row.sync != "tap only" else "snapshot (tap alone)",
            row.sync,
            _num(row.wall_s, 1),
            _num(row.personio_requests),
            _num(row.leapsome_reads),
            _num(row.leapsome_writes),
            _num(row.rate_limited),
            floor_requests,
            _num(f.seconds, 1),
            f"{row.ratio:.2f}",
            _num(row.rss_tap_mb, 0),
            _num(row.rss_target_mb, 0),
            result_text(row),
        )
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def machine() -> list[str]:
    """CPU, cores, memory, OS, Python, date and commit: what the numbers depend on besides the code."""
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        kib = next(
            int(line.split()[1])
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        )
        memory = f"{kib / 1024 / 1024:.1f} GiB"
    except (OSError, StopIteration, ValueError):
        memory = "unknown"
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=False
        ).stdout.strip()
    except OSError:
        commit = ""
    return [
        f"- CPU: {cpu}, {os.cpu_count()} cores; memory {memory}",
        f"- OS: {platform.platform()}; Python {platform.python_version()}",
        f"- date: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M UTC}; commit {commit or '?'} (plus uncommitted work)",
    ]


def startup_seconds() -> dict[str, float]:
    """How long each plugin takes to start and exit doing nothing (`--about`): a floor of its own."""
    seconds: dict[str, float] = {}
    for name in ("tap-personio", "target-leapsome"):
        started = time.monotonic()
        subprocess.run([str(BIN / name), "--about"], capture_output=True, check=False)
        seconds[name] = time.monotonic() - started
    return seconds


def _find(rows: Sequence[Row], size: int, scenario: str, sync: str = "ours") -> Row | None:
    return next((r for r in rows if (r.size, r.scenario, r.sync) == (size, scenario, sync)), None)


def verdicts(rows: Sequence[Row], startup: dict[str, float]) -> list[str]:
    """The targets, each MET or MISSED with the numbers, and for a miss why and what would close it."""
    out: list[str] = []
    sizes = sorted({r.size for r in rows if r.sync == "ours"})
    boot = max(startup.values(), default=0.0)
    for size in sizes:
        initial = _find(rows, size, "initial")
        if initial:
            met = initial.ok and initial.ratio <= INITIAL_TARGET
            text = (
                f"- **Initial sync within {INITIAL_TARGET}x of the floor, N={size:,}: {'MET' if met else 'MISSED'}** "
                f"({initial.ratio:.2f}x: {initial.wall_s:.1f} s against {initial.floor.seconds:.1f} s; "
                f"{_total(initial):,} Leapsome requests against a floor of "
                f"{initial.floor.leapsome_requests:,})."
            )
            if not met:
                overhead = initial.wall_s - initial.floor.seconds
                text += (
                    f" The {overhead:.1f} s over the floor include ~{boot:.1f} s of process start-up (Python and "
                    "singer-sdk imports, measured with `--about`), the tap's read of Personio before the target can "
                    "plan (plan-then-apply waits for the whole input), and the target pacing itself under the 30/s "
                    "limit with a safety margin. At small N the fixed costs dominate; overlapping the creates with "
                    "the tap's read and pacing closer to 30/s would close it."
                )
            out.append(text)
        nochange = _find(rows, size, "no-change")
        if nochange:
            writes, reads = nochange.leapsome_writes or 0, nochange.leapsome_reads or 0
            met = nochange.ok and writes == 0 and reads <= HANDFUL
            text = (
                f"- **No-change run, N={size:,}: zero writes and at most a handful of reads: "
                f"{'MET' if met else 'MISSED'}** ({writes} writes, {reads} reads, {nochange.personio_requests} "
                f"Personio requests, {nochange.wall_s:.1f} s of which ~{boot:.1f} s is process start-up)."
            )
            if not met:
                text += (
                    " Reads: the target lists every user (5,000 a page) and every team whenever the input names any "
                    "employee (the tap's look-back repeats a few), because membership is readable only through "
                    "the users; looking up only the named users when the input is small would close it."
                    if writes == 0
                    else " Writes on a no-change run mean the target's diff sees a difference Leapsome does not "
                    "keep (see its report); that is a target bug."
                )
            out.append(text)
        change = _find(rows, size, "1% change")
        if change:
            writes = change.leapsome_writes or 0
            met = change.ok and writes == change.floor.leapsome_writes and not change.problems
            text = (
                f"- **1% change, N={size:,}: writes equal to the changes: {'MET' if met else 'MISSED'}** "
                f"({change.note}; {writes} writes against the {change.floor.leapsome_writes} the changes need: one "
                "PATCH per title or manager change, and per department move one member PATCH on the new team plus "
                "a full member-list replace of the old one, since the API cannot remove a single member)."
            )
            if not met:
                text += (
                    " More writes than needed: the target rewrites more than the changes touch."
                    if writes > change.floor.leapsome_writes
                    else " Fewer writes than needed: some changes did not reach Leapsome (see the diffs)."
                )
            out.append(text)
        snapshot = _find(rows, size, "snapshot")
        if snapshot:
            met = snapshot.ok and (snapshot.leapsome_writes or 0) == 0
            out.append(
                f"- **Complete snapshot with nothing changed, N={size:,}: no writes: {'MET' if met else 'MISSED'}** "
                f"({snapshot.leapsome_writes} writes, {snapshot.leapsome_reads} reads, {snapshot.wall_s:.1f} s against "
                f"a floor of {snapshot.floor.seconds:.1f} s set by Personio's 15/s)."
            )
    out += memory_verdicts(rows)
    pairs = [(o, _find(rows, o.size, o.scenario, "naive")) for o in sort_rows(rows) if o.sync == "ours"]
    if any(n is not None for _, n in pairs):
        parts = "; ".join(
            f"N={o.size:,} {o.scenario}: {n.wall_s / o.wall_s:.1f}x the time, "
            f"{_total(n) / max(_total(o), 1):.1f}x the Leapsome requests"
            for o, n in pairs
            if n is not None and o.wall_s > 0
        )
        out.append(f"- **Naive baseline against ours** (naive / ours): {parts}.")
    return out


def _total(row: Row) -> int:
    return (row.leapsome_reads or 0) + (row.leapsome_writes or 0)


def memory_verdicts(rows: Sequence[Row]) -> list[str]:
    """Tap: flat in N. Target: may grow with its in-memory index of users, nothing more."""
    out: list[str] = []
    taps = sorted(
        ((r.size, r.rss_tap_mb) for r in rows if r.rss_tap_mb is not None and r.sync != "naive" and r.ok),
        key=lambda p: p[0],
    )
    if len({s for s, _ in taps}) >= 2:
        small = min(m for s, m in taps if s == taps[0][0])
        large = max(m for s, m in taps if s == taps[-1][0])
        met = large <= small * 1.25 + 10
        out.append(
            f"- **Tap memory flat: {'MET' if met else 'MISSED'}** (peak RSS {small:.0f} MB at N={taps[0][0]:,}, "
            f"{large:.0f} MB at N={taps[-1][0]:,}; the bar: at most +25% + 10 MB)."
            + (
                ""
                if met
                else " The tap holds something per employee; it should stream pages and keep only the bookmark."
            )
        )
    targets = sorted(
        ((r.size, r.rss_target_mb) for r in rows if r.sync == "ours" and r.rss_target_mb is not None and r.ok),
        key=lambda p: p[0],
    )
    if len({s for s, _ in targets}) >= 2:
        small_n, large_n = targets[0][0], targets[-1][0]
        small = max(m for s, m in targets if s == small_n)
        large = max(m for s, m in targets if s == large_n)
        per_user_kb = (large - small) * 1024 / (large_n - small_n)
        met = per_user_kb <= 10
        out.append(
            f"- **Target memory bounded by its index of users: {'MET' if met else 'MISSED'}** (peak RSS {small:.0f} "
            f"MB at N={small_n:,}, {large:.0f} MB at N={large_n:,}: {per_user_kb:.1f} KB per employee; the bar: "
            "at most 10 KB per employee, the order of one record plus one Leapsome user held for the plan)."
            + (
                ""
                if met
                else " The target keeps more than one compact record per employee (raw records, SDK batches); "
                "keeping only the fields it maps would close it."
            )
        )
    return out


def render(rows: Sequence[Row], *, finished: bool, settings: str, startup: dict[str, float]) -> str:
    """The whole RESULTS.md."""
    status = "" if finished else "\n**Partial: the benchmark is still running or was interrupted.**\n"
    boot = ", ".join(f"`{name}` {seconds:.1f} s" for name, seconds in startup.items())
    return "\n".join(
        [
            "# Benchmarks: a sync's cost against its rate-limit floor",
            "",
            f"Generated by `python -m bench` (`make bench`); do not edit by hand. Settings: {settings}.",
            status,
            "## Machine",
            "",
            *machine(),
            f"- plugin start-up (`--about`, nothing else): {boot}",
            "",
            "## Results",
            "",
            table(rows),
            "",
            "## Targets",
            "",
            *verdicts(rows, startup),
            "",
            "## How to read it",
            "",
            "- Each N has its own fresh sandboxes per sync (child processes, `--latency-ms` per request, the "
            "documented rate limits on): Personio with a generated company of N employees (all four statuses), "
            "Leapsome with its default seed (two hand-made users and a hand-made team). The four runs follow each "
            "other on the same sandboxes: **initial** (no state), **no-change** (the state the initial run "
            "emitted), **1% change** (1% of employees changed through Personio's admin API, a third each: new "
            "position, department move, new supervisor; then the state of the no-change run), **snapshot** (no "
            "state, so the tap reads everyone as a complete snapshot; nothing changed since the last run).",
            "- **Requests** are the sandboxes' own counters, excluding 429 answers (shown apart). Personio counts "
            "auth, employee pages and v2 org-unit pages.",
            "- **Floor**: the fewest requests the work needs, from the data alone (see `bench/floor.py`): Personio "
            "one token + ceil(records/100) employee pages + ceil(departments/100) org-unit pages; Leapsome the list "
            "reads to learn its state (5,000 users and 1,000 groups a page; only the groups when no employee is "
            "named; a run that wrote reads them once more to prove its result, which the floor leaves out) "
            "plus the writes the changes need given the API (a new user: create + PATCH, since a create "
            "takes only core fields; a new team: its create, then ceil(members/100) PATCHes, since the spec "
            "documents no members in a create; a member added: "
            "ceil(added/100) PATCHes per team; a member removed: the team's list replaced, ceil(remaining/100); a "
            "changed user: one PATCH). **floor s** is the time the rate limits impose on them: Leapsome at 30/s, "
            "Personio's employee calls at 15/s and 300/min, each plus its round trip, the larger of the two since "
            "the APIs are independent. **x floor** is wall time / floor s.",
            "- **RSS** is each process's peak resident memory (`wait4`); the naive script is one process, shown "
            "under the target column. **result** compares Leapsome with Personio after the run (users, active, "
            "titles, managers, team of the department): `ok` or the number of differences.",
            "- The **naive** sync (`bench/naive.py`) looks every employee up by userName, creates or PATCHes it, "
            "then PATCHes every manager: no state, no diffing, the same work on every run. It sets teams through "
            "the enterprise `department` attribute (Leapsome creates a team per name), which costs no extra "
            "requests but keys teams by name (a rename makes a second team) and cannot tell hand-made teams apart; "
            "ours manages teams through `/Groups`, keyed by department id, which is what the floor counts.",
            "",
        ]
    )
