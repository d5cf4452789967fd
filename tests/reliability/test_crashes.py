"""Crashes: SIGKILL the target at seeded points of its apply phase, then run again.

The kill point is a count of Leapsome writes: a watcher polls the Leapsome sandbox's write counter and
kills the target process the moment it reaches k (a 5 ms latency per request keeps the aim precise
while four writes are in flight). Two scenarios: the initial sync of an organisation (creates, managers,
teams), and a change run after a complete earlier sync (leavers, a deleted employee, hires, moves,
supervisor, email and department-name changes) where deactivations are at stake.

After each kill: any state the killed run emitted must already be backed by Leapsome (the state is
exactly right at that moment); the next run, given that state, converges to the clean reference with
no duplicates and no wrongful deactivation.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from harness.admin import PersonioAdmin
from harness.oracle import Expected, hand_made, mismatches
from harness.pipeline import PipelineRun
from sandbox.core import SandboxServer
from tests.reliability.support import LEDGER, Killer, Sync, describe, diff, normalized, start_leapsome, start_personio

EMPLOYEES = 60
ORG_SEED = 9
KILL_SEED = 20261125
KILLS_PER_SCENARIO = 4
LATENCY_MS = 5


def change_organisation(personio: SandboxServer, seed: int) -> dict[str, Any]:
    """Leavers, one deleted employee, hires, moves, supervisor/email/department-name changes."""
    rng = random.Random(seed)
    hr = PersonioAdmin(personio.url)
    people = sorted(hr.employees(), key=lambda e: e["id"])
    synced = [e for e in people if e["status"] in ("active", "leave")]
    departments = sorted(d["id"] for d in hr.departments())
    picked = rng.sample(synced, 10)
    leavers, deleted, movers, email_change = picked[:2], picked[2], picked[3:6], picked[6]
    rewired = picked[7:10]
    for person in leavers:
        hr.update(person["id"], status="inactive")
    hr.delete(deleted["id"])
    for person in movers:
        current = (person.get("department") or {}).get("id")
        hr.update(person["id"], department=rng.choice([d for d in departments if d != current]))
    hr.update(email_change["id"], email=f"renamed.{email_change['id']}@acme.example")
    for person in rewired:  # a new supervisor wherever the sandbox accepts it (it refuses cycles)
        for boss in rng.sample(synced, len(synced)):
            if boss["id"] in (person["id"], deleted["id"]):
                continue
            response = hr.try_update(person["id"], supervisor=boss["id"])
            if response < 400:
                break
    hires = [
        hr.hire(
            first_name="Neu",
            last_name=f"Hire {n}",
            email=f"neu.hire{n}@acme.example",
            status="active",
            department=rng.choice(departments),
            supervisor=rng.choice(synced[:5])["id"],
        )
        for n in (1, 2)
    ]
    hr.rename_department(departments[0], "Renamed Department")
    return {"deleted": deleted["id"], "hires": [h["id"] for h in hires]}


@dataclass
class Case:
    sync: Sync
    untouched: dict[str, Any]  # the hand-made users and teams before any run
    gone: list[int]  # employees deleted from Personio (their users must end deactivated)

    def expected(self) -> Expected:
        return self.sync.expected(gone=self.gone)


def prepare(workdir: Path, *, changed: bool) -> Case:
    """A Personio/Leapsome pair ready for the run under test (for "change": synced once, then changed)."""
    personio = start_personio(EMPLOYEES, ORG_SEED)
    leapsome = start_leapsome(latency_ms=LATENCY_MS)
    sync = Sync(personio, leapsome, workdir)
    case = Case(sync, hand_made(sync.leapsome_state()), [])
    if changed:
        first = sync.run()
        assert first.ok, describe(first)
        case.gone.append(change_organisation(personio, ORG_SEED)["deleted"])
    return case


def stop(case: Case) -> None:
    case.sync.personio.stop()
    case.sync.leapsome.stop()


@pytest.fixture(scope="module")
def references(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Clean runs of both scenarios: the state every crashed sync must reach, and how many writes they make."""
    out: dict[str, Any] = {}
    for scenario in ("initial", "change"):
        case = prepare(tmp_path_factory.mktemp(f"crash-reference-{scenario}"), changed=scenario == "change")
        before = case.sync.leapsome.app.counters.writes
        try:
            run = case.sync.run()
            assert run.ok, describe(run)
            state = case.sync.leapsome_state()
            problems = mismatches(state, case.expected(), case.untouched)
            assert not problems, problems
            writes = case.sync.leapsome.app.counters.writes - before
            assert writes > KILLS_PER_SCENARIO + 1, f"the {scenario} run writes too little to kill it ({writes})"
            points = sorted(random.Random(f"{KILL_SEED}-{scenario}").sample(range(1, writes), KILLS_PER_SCENARIO))
            out[scenario] = {"state": normalized(state), "writes": writes, "points": points}
        finally:
            stop(case)
    return out


def killed_run(case: Case, at_write: int, state: dict[str, Any] | None = None) -> PipelineRun:
    """Run the pipeline and SIGKILL the target once it has made `at_write` more writes."""
    leapsome = case.sync.leapsome
    killer = Killer(leapsome, leapsome.app.counters.writes + at_write)
    run = case.sync.run(state=state, during=killer)
    assert killer.killed_at is not None, "the target finished before the kill point:\n" + describe(run)
    assert run.target.returncode == -9, describe(run)
    return run


def check_killed_state(case: Case, run: PipelineRun) -> None:
    """State from a killed run may only exist if everything it covers was already written."""
    if run.state is not None:
        problems = mismatches(case.sync.leapsome_state(), case.expected(), case.untouched)
        assert not problems, f"the killed run emitted state {run.state} past unwritten data: {problems}"


def converge(case: Case, state: dict[str, Any] | None, reference: dict[str, Any]) -> None:
    """The next run, given the state the killed run left, reaches exactly the clean reference."""
    rerun = case.sync.run(state=state)
    assert rerun.ok, describe(rerun)
    assert rerun.state is not None
    final = case.sync.leapsome_state()
    problems = mismatches(final, case.expected(), case.untouched)
    assert not problems, f"{problems}\n{describe(rerun)}"
    assert diff(normalized(final), reference) == []


@pytest.mark.parametrize("scenario", ["initial", "change"])
@pytest.mark.parametrize("index", range(KILLS_PER_SCENARIO))
def test_killed_target_converges_on_the_next_run(
    scenario: str, index: int, references: dict[str, Any], tmp_path: Path
) -> None:
    reference = references[scenario]
    at_write = reference["points"][index]
    case = prepare(tmp_path, changed=scenario == "change")
    try:
        run = killed_run(case, at_write)
        check_killed_state(case, run)
        converge(case, run.state, reference["state"])
        LEDGER.kill_points.append(at_write)
    finally:
        stop(case)


def test_killed_twice_then_converges(references: dict[str, Any], tmp_path: Path) -> None:
    """Killed early in the initial sync, killed again three writes into the re-run; the third run converges."""
    reference = references["initial"]
    first_point, second_point = reference["points"][0], 3
    case = prepare(tmp_path, changed=False)
    try:
        first = killed_run(case, first_point)
        check_killed_state(case, first)
        second = killed_run(case, second_point, first.state)
        check_killed_state(case, second)
        converge(case, second.state or first.state, reference["state"])
        LEDGER.kill_points += [first_point, second_point]
    finally:
        stop(case)
