"""Request pacing under Leapsome's rate limit: request starts evenly spaced, shared by every thread.

Leapsome allows 30 requests in any one-second window across the API and answers 429 beyond that, with no
Retry-After. The target applies a plan with several threads at once, all drawing from one `Pacer`; a 429
pauses all of them briefly (client.py), since the window drains within a second.

tap-personio paces differently, on purpose (tap_personio/pacing.py): Personio publishes several limits at
once (15 in any second and 300 a minute for employees, 60 a minute for auth), so the tap keeps a sliding
window of its recent send times per limit and waits only when the next request would overfill one of them,
with a safety margin on each window, and it honours Retry-After on a 429. A sliding window lets short
bursts through, which suits a mostly sequential page scan under a per-minute budget.

Here the one limit is per second, and the requests come from a thread pool whose sends reach Leapsome with
some jitter. Counting starts per window allowed a full burst at each window's edge, and the jitter between
start and arrival then pushed a few over the limit. Even spacing leaves at most `rate` starts in any second,
and at 28/s it tolerates some 70 ms of jitter before the 30th arrival in a second, at the same average rate.
"""

from __future__ import annotations

import threading
import time


class Pacer:
    """Request starts at least 1/`rate` seconds apart, shared by all threads; 0 turns it off."""

    def __init__(self, rate: float) -> None:
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self._next = 0.0  # the earliest start of the next request
        self._paused_until = 0.0
        self._lock = threading.Lock()

    def wait(self) -> None:
        """Block until this thread's slot; a pause that began meanwhile sends it back for a new one."""
        while True:
            with self._lock:
                now = time.monotonic()
                slot = max(now, self._next, self._paused_until)
                self._next = slot + self.interval
            if slot > now:
                time.sleep(slot - now)
            with self._lock:
                if self._paused_until <= slot:
                    return  # no 429 pause began while this thread waited for its slot

    def pause(self, seconds: float) -> None:
        """Hold every thread's next start for `seconds` (after a 429)."""
        with self._lock:
            self._paused_until = max(self._paused_until, time.monotonic() + seconds)
