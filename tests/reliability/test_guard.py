"""Mass-change guard: a snapshot that suddenly lists few or no usable employees deactivates nobody.

Whether employees vanish or the credentials may no longer read them, the run fails loudly and emits no state.
"""

from __future__ import annotations

from pathlib import Path

from harness.admin import PersonioAdmin
from tests.reliability.support import Sync, describe, start_leapsome, start_personio


def test_a_snapshot_that_lost_most_employees_deactivates_nobody(tmp_path: Path) -> None:
    personio, leapsome = start_personio(50, 31), start_leapsome()
    try:
        sync = Sync(personio, leapsome, tmp_path)
        first = sync.run()
        assert first.ok, describe(first)
        synced = sync.leapsome_state()
        managed = [u for u in synced["users"] if u.get("externalId") and u["active"]]
        assert len(managed) > 30
        people = sorted(p["id"] for p in sync.personio_employees())

        def check(scenario: str, *messages: str) -> None:
            writes = leapsome.app.counters.writes
            run = sync.run()  # a complete snapshot (no state), as the periodic full job runs it
            context = f"{scenario}:\n{describe(run)}"
            assert run.target.returncode != 0, context
            assert run.state is None, context
            assert leapsome.app.counters.writes == writes, f"{scenario}: something was written"
            assert sync.leapsome_state()["users"] == synced["users"], context
            log = run.target.stderr.lower()
            assert all(m in log for m in messages), f"{scenario}: the failure does not say {messages}\n{context}"

        # revoked permissions: the credentials may no longer read `status`
        PersonioAdmin(personio.url).hide("status")
        check("status hidden", "has no status")
        PersonioAdmin(personio.url).hide()
        # a wrong filter / lost permissions: only three employees left in the snapshot
        for employee_id in people[3:]:
            PersonioAdmin(personio.url).delete(employee_id)
        check("three employees left", "refus", "deactivat")
        # and none at all
        for employee_id in people[:3]:
            PersonioAdmin(personio.url).delete(employee_id)
        check("no employees left", "refus", "deactivat")
    finally:
        personio.stop()
        leapsome.stop()
