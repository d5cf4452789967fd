"""Faults: a sync under injected faults reaches exactly the right state, in one run or at most two.

10% of requests to each API fail (5xx or a dropped connection), 5% of Leapsome writes are applied but
their answers lost.

Each seed is compared with a clean reference run (same Personio organisation, no faults) and with the
contract computed from Personio's own data. A failing first run must exit non-zero and emit no state.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.oracle import hand_made, mismatches
from tests.reliability.support import Sync, describe, diff, normalized, note_faults, start_leapsome, start_personio

EMPLOYEES = 60
ORG_SEED = 4


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """The clean sync of the organisation: what every faulty sync must end up equal to."""
    personio, leapsome = start_personio(EMPLOYEES, ORG_SEED), start_leapsome()
    try:
        sync = Sync(personio, leapsome, tmp_path_factory.mktemp("faults-reference"))
        run = sync.run()
        assert run.ok, describe(run)
        state = sync.leapsome_state()
        assert not mismatches(state, sync.expected()), mismatches(state, sync.expected())
        return normalized(state)
    finally:
        personio.stop()
        leapsome.stop()


@pytest.mark.parametrize("seed", [101, 202, 303])
def test_sync_under_faults_reaches_the_clean_state(seed: int, reference: dict[str, object], tmp_path: Path) -> None:
    personio = start_personio(EMPLOYEES, ORG_SEED, fault_rate=0.05, drop_rate=0.05, seed=seed)
    leapsome = start_leapsome(fault_rate=0.05, drop_rate=0.05, lost_write_rate=0.05, seed=seed)
    try:
        sync = Sync(personio, leapsome, tmp_path)
        untouched = hand_made(sync.leapsome_state())
        first = sync.run()
        runs = [first]
        if not first.ok:
            assert first.state is None, "a failed run emitted state:\n" + describe(first)
            assert first.target.returncode != 0 or first.tap.returncode != 0
            second = sync.run(state=first.state)
            runs.append(second)
        last = runs[-1]
        assert last.ok, f"still failing after {len(runs)} runs:\n" + describe(last)
        assert last.state is not None, "a successful run must emit state"
        state = sync.leapsome_state()
        problems = mismatches(state, sync.expected(), untouched)
        assert not problems, f"{problems}\n{describe(last)}"
        assert diff(normalized(state), reference) == []  # type: ignore[arg-type]
        injected = note_faults(personio, leapsome)
        assert injected["5xx"] > 0
        assert injected["dropped"] > 0
        assert sum(injected.values()) >= 10, f"too few faults to prove anything: {injected}"
    finally:
        personio.stop()
        leapsome.stop()
