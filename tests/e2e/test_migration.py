"""Switching from Leapsome's native integration, end to end: `tap-personio | target-leapsome` over HTTP.

Leapsome starts as the native integration leaves it: a user for every employee who ever worked there
(without our externalId), a team per department. The first run (a dry run, then the real one) must adopt
them all instead of duplicating them, deactivate the former employees once the backlog is let through,
leave the hand-made users alone, and the next run must have nothing to do.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.oracle import hand_made, mismatches
from tests.reliability.support import (
    Sync,
    counters,
    describe,
    start_leapsome,
    start_personio,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_switching_from_the_native_integration(tmp_path: Path) -> None:
    personio, leapsome = start_personio(40, 3), start_leapsome()
    try:
        sync = Sync(personio, leapsome, tmp_path)
        bosses = {(p.get("supervisor") or {}).get("id") for p in sync.personio_employees()}
        leavers = [p["id"] for p in sync.personio_employees() if p["status"] == "active" and p["id"] not in bosses]
        for employee_id in leavers[:4]:  # people who left over the years
            sync.personio_admin.update(employee_id, status="inactive")
        people = sync.personio_employees()
        before = hand_made(sync.leapsome_state())
        native = {p["id"]: sync.leapsome_admin.create_user(userName=p["email"].lower()) for p in people}
        for department, name in sync.departments().items():
            team = [native[p["id"]]["id"] for p in people if (p.get("department") or {}).get("id") == department]
            sync.leapsome_admin.create_group(displayName=name, members=team)
        former = sorted(p["id"] for p in people if p["status"] == "inactive")
        assert len(former) > 3, "the company needs a backlog of former employees for this test"

        sync.target_overrides = {"dry_run": True}
        dry = sync.run()  # the backlog of former employees is over the limits: the plan says so, and how
        assert dry.target.returncode != 0, describe(dry)
        assert dry.state is None
        assert counters(leapsome)["writes"] == 0
        assert f"adopt {len(people)} users" in dry.target.stderr, describe(dry)
        assert f"deactivate {len(former)} users" in dry.target.stderr, describe(dry)
        assert "TARGET_LEAPSOME_MAX_DEACTIVATION_SHARE=" in dry.target.stderr, describe(dry)

        sync.target_overrides = {"max_deactivation_share": 0.5}  # let it through once
        applied = sync.run()
        assert applied.ok, describe(applied)
        state = sync.leapsome_state()
        by_user_name = {u["userName"]: u for u in state["users"]}
        for person in people:  # adopted: the same user, now ours
            user = by_user_name[person["email"].lower()]
            assert user["id"] == native[person["id"]]["id"]
            assert user["externalId"] == str(person["id"])
        assert sorted(int(u["externalId"]) for u in state["users"] if u["externalId"] and not u["active"]) == former
        onboarding = {
            f"employee {p['id']}: has an active user but should not" for p in people if p["status"] == "onboarding"
        }
        assert [m for m in mismatches(state, sync.expected(), before) if m not in onboarding] == []  # adopted, as is

        sync.leapsome_admin.reset_counters()
        again = sync.run(applied.state)
        assert again.ok, describe(again)
        assert counters(leapsome)["writes"] == 0
    finally:
        personio.stop()
        leapsome.stop()
