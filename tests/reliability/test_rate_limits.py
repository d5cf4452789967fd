"""Rate limits: under load both plugins stay within the APIs' documented limits.

With both sandboxes enforcing their limits and the plugins at their default pacing, the tap stays
within Personio's 15 requests in any second and the target within Leapsome's 30, as the sandboxes' own
counters measure. Neither sees a 429: the target spaces its request starts evenly, so the arrivals
the sandbox counts stay under the limit too.
"""

from __future__ import annotations

from pathlib import Path

from harness.oracle import hand_made, mismatches
from tests.reliability.support import Sync, counters, describe, start_leapsome, start_personio

PERSONIO_BURST = 15
LEAPSOME_LIMIT = 30


def test_plugins_stay_under_the_documented_rate_limits(tmp_path: Path) -> None:
    personio = start_personio(80, 37, rate_limit=True, retry_after=True)
    leapsome = start_leapsome(rate_limit=True)
    try:
        sync = Sync(personio, leapsome, tmp_path)
        sync.tap_overrides = {"pace_requests": True, "page_size": 4}  # 20 employee pages: a burst to pace
        sync.target_overrides = {"max_requests_per_second": 28, "concurrency": 4}  # the defaults, said out loud
        untouched = hand_made(sync.leapsome_state())
        run = sync.run()
        assert run.ok, describe(run)
        assert mismatches(sync.leapsome_state(), sync.expected(), untouched) == []
        tap_side, target_side = counters(personio), counters(leapsome)
        assert tap_side["by_route"].get("GET employees", 0) >= 20, tap_side
        assert target_side["total"] > 140, target_side  # five seconds' worth at the limit: pacing is needed
        # Personio's burst limit is on the employee endpoints; the counter's peak also counts the auth and
        # org-unit calls. The strict measure is the sandbox's sliding 15-in-any-second window on employee
        # requests, which answers 429 to any excess: `rate_limited == 0` below.
        others = tap_side["total"] - tap_side["by_route"]["GET employees"]
        assert tap_side["peak_per_second"] <= PERSONIO_BURST + others, tap_side
        assert target_side["peak_per_second"] <= LEAPSOME_LIMIT, target_side
        assert tap_side["rate_limited"] == 0, tap_side
        assert target_side["rate_limited"] == 0, target_side
    finally:
        personio.stop()
        leapsome.stop()
