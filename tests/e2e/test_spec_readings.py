"""The sync is right under every plausible reading of what the official specs leave open.

Each reading is a sandbox option (see the sandboxes' module docstrings and docs/design.md, "What the
specs leave open"). Under each, a realistic small company (no emails, a shared email, an address
outside Leapsome's domain, a name too long for Leapsome, a supervisor who left, a supervision cycle,
right-to-left names, a department without a name) goes through the real `tap-personio |
target-leapsome`: an initial snapshot, a no-change run, a round of changes (HR fixing an email among
them), another no-change run and a complete snapshot after a deletion. Every run must leave Leapsome
exactly as Personio says, skipping only what HR must fix; the no-change runs write nothing. A reading
under which the sync cannot work (membership unreadable) must fail loudly, never report success.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from harness.oracle import expected_state, hand_made, mismatches
from sandbox.core import Knobs, SandboxServer
from sandbox.personio.app import PersonioSandbox
from tests.reliability.support import (
    JSON,
    Sync,
    counters,
    describe,
    start_leapsome,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

EMPLOYEES, SEED = 40, 2
REALISTIC_LEAPSOME = {"max_text_length": 255}  # some limit is plausible; its absence is a reading below
READINGS: dict[str, tuple[JSON, JSON]] = {  # name -> (Personio options, Leapsome options and knobs)
    "as documented": ({}, {}),
    "group create ignores members": ({}, {"group_create_members": "ignored"}),
    "group create refuses members": ({}, {"group_create_members": "refused"}),
    "duplicate create answers 409, answers lost": ({}, {"duplicate_create": "conflict", "lost_write_rate": 0.2}),
    "PATCH answers 204 without a body": ({}, {"patch_response": "no_content"}),
    "list pages hold at most 7": ({}, {"page_size_cap": 7}),
    "no length limit on user text": ({}, {"max_text_length": None}),
    "updated_since inclusive": ({"updated_since": "inclusive"}, {}),
    "naive updated_since read in UTC": ({"naive_timezone": "UTC"}, {}),
    "department rename bumps its members": ({"rename_bumps_members": True}, {}),
}


@dataclass
class Company:
    """The sandboxes, the sync between them and who is awkward how."""

    sync: Sync
    personio: SandboxServer
    leapsome: SandboxServer
    planted: dict[str, list[int]]
    untouched: JSON
    refused_long_names: bool

    def unusable(self) -> set[int]:
        """Employees that must be skipped: HR has to fix their data in Personio."""
        skipped = {*self.planted["no_email"], *self.planted["shared_email"], *self.planted["foreign_domain"]}
        if self.refused_long_names:
            skipped |= set(self.planted["long_name"])
        return skipped

    def problems(self, **expected: Any) -> list[str]:
        want = expected_state(
            self.sync.personio_employees(),
            self.sync.departments(),
            unusable=expected.pop("unusable", self.unusable()),
            **expected,
        )
        want.any_manager = {str(i) for i in self.planted["supervision_cycle"]}
        return mismatches(self.sync.leapsome_state(), want, self.untouched)


def start(tmp_path: Path, personio_options: JSON, leapsome_options: JSON) -> Company:
    personio = SandboxServer(
        PersonioSandbox(
            employees=EMPLOYEES, seed=SEED, knobs=Knobs(seed=SEED, rate_limit=False), realistic=True, **personio_options
        )
    ).start()
    options = {**REALISTIC_LEAPSOME, **leapsome_options}
    leapsome = start_leapsome(**options)
    sync = Sync(personio, leapsome, tmp_path)
    planted = sync.personio_admin.planted()
    return Company(
        sync, personio, leapsome, planted, hand_made(sync.leapsome_state()), bool(options["max_text_length"])
    )


@pytest.fixture(params=list(READINGS))
def company(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Company]:
    personio_options, leapsome_options = READINGS[request.param]
    company = start(tmp_path, personio_options, leapsome_options)
    try:
        yield company
    finally:
        company.personio.stop()
        company.leapsome.stop()


def changes(company: Company) -> dict[str, int]:
    """A round of ordinary HR changes in Personio; returns who was changed how."""
    personio, awkward = company.sync.personio_admin, {i for ids in company.planted.values() for i in ids}
    people = [p for p in personio.employees() if p["id"] not in awkward]
    bosses = {p["supervisor"]["id"] for p in people if p.get("supervisor")}
    root = next(p for p in people if p["status"] == "active" and not p.get("supervisor"))
    leaves = [p for p in people if p["status"] == "active" and p["id"] not in bosses and p.get("supervisor")]
    leaver, mover, rehomed, renamed = leaves[:4]
    departments = personio.departments()
    elsewhere = next(d for d in departments if d["name"] and d["id"] != mover["department"]["id"])
    hire = personio.hire(
        first_name="Grace",
        last_name="Hopper",
        email="grace.hopper@acme.example",
        status="active",
        department=root["department"]["id"],
        supervisor=root["id"],
    )
    today = dt.date.today().isoformat()
    personio.update(leaver["id"], status="inactive", termination_date=today)
    personio.update(mover["id"], department=elsewhere["id"])
    personio.update(rehomed["id"], supervisor=root["id"])
    personio.update(renamed["id"], email="Renamed.Person@acme.example")
    # A shared email is found only while both holders are in one run's input, and a rename that re-reads
    # the members (a reading below) would sync one of them: the department renamed holds neither.
    holders = [p for p in personio.employees() if p["id"] in company.planted["shared_email"]]
    shared = {(p.get("department") or {}).get("id") for p in holders}
    team = next(d for d in departments if d["name"] and d["id"] not in shared)
    personio.rename_department(team["id"], f"{team['name']} (renamed)")
    fixed = company.planted["no_email"][0]  # HR adds the missing email
    personio.update(fixed, email="found.at.last@acme.example")
    return {"hire": hire["id"], "leaver": leaver["id"], "fixed": fixed}


def leapsome_writes(company: Company) -> int:
    return int(counters(company.leapsome)["writes"])


def test_the_sync_is_exact_under_each_reading(company: Company) -> None:
    sync = company.sync
    first = sync.run()
    assert first.ok, describe(first)
    assert first.state is not None, "skipped employees must not hold the bookmark"
    assert company.problems() == [], describe(first)
    report = sync.report()
    assert report is not None
    skipped = {s["employee"] for s in report["skipped"] if s["employee"]}
    assert {str(i) for i in company.unusable()} <= skipped
    assert report["verification"]["unconfirmed"] == []

    company.sync.leapsome_admin.reset_counters()
    company.sync.personio_admin.reset_counters()
    quiet = sync.run(first.state)
    assert quiet.ok, describe(quiet)
    assert leapsome_writes(company) == 0, describe(quiet)
    employee_pages = sum(n for route, n in counters(company.personio)["by_route"].items() if "employees" in route)
    assert employee_pages <= 2, counters(company.personio)

    picks = changes(company)
    changed = sync.run(quiet.state)
    assert changed.ok, describe(changed)
    unusable = company.unusable() - {picks["fixed"]}
    assert company.problems(unusable=unusable) == [], describe(changed)

    company.sync.leapsome_admin.reset_counters()
    again = sync.run(changed.state)
    assert again.ok, describe(again)
    assert leapsome_writes(company) == 0, describe(again)

    # a change seconds after the bookmark: the look-back and the time zone of `updated_since` matter now
    company.sync.personio_admin.update(picks["hire"], supervisor=picks["fixed"])
    soon = sync.run(again.state)
    assert soon.ok, describe(soon)
    assert company.problems(unusable=unusable) == [], describe(soon)

    company.sync.personio_admin.delete(picks["hire"])
    # HR names the department that had none: its members are known only from their records, so the team
    # comes with the next complete snapshot
    unnamed = company.planted["unnamed_department"][0]
    company.sync.personio_admin.rename_department(unnamed, "Warehouse")
    snapshot = sync.run()  # no bookmark: a complete snapshot
    assert snapshot.ok, describe(snapshot)
    assert company.problems(unusable=unusable, gone=[picks["hire"]]) == [], describe(snapshot)


@pytest.mark.parametrize("user_groups", ["omitted", "empty"])
def test_unreadable_membership_fails_loudly(tmp_path: Path, user_groups: str) -> None:
    """Leapsome's users not carrying `groups` would hide every team's members: the run must say so."""
    company = start(tmp_path, {}, {"user_groups": user_groups})
    try:
        run = company.sync.run()
        assert run.target.returncode != 0, describe(run)
        assert run.state is None
        assert "members missing after the write" in run.target.stderr, describe(run)
        report = company.sync.report()
        assert report is not None
        assert report["verification"]["unconfirmed"], report
    finally:
        company.personio.stop()
        company.leapsome.stop()
