"""When to start a sync: debounce bursts of events, never overlap runs, coalesce what arrives meanwhile.

Pure logic with an injectable clock and no I/O, so every timing rule is unit-testable without sleeping.
The receiver calls `event()` per accepted delivery, asks `delay()` how long to wait, and brackets each
run with `start()` and `finish()`.

Rules:
- a run is due `quiet_period` seconds after the latest event (a burst ends when it goes quiet),
  but never later than `max_delay` seconds after the first event not yet handled (a steady trickle
  cannot postpone a sync forever);
- at most one run at a time; events that arrive during a run are remembered as one follow-up run,
  due by the same rules once the current run has finished (at once if `max_delay` has passed).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class Scheduler:
    """The debounce and coalescing state of one receiver."""

    quiet_period: float = 15.0
    max_delay: float = 60.0
    clock: Callable[[], float] = time.monotonic
    running: bool = False
    first_pending: float | None = None  # time of the first event no run has started for yet
    last_pending: float | None = None  # time of the latest such event

    def __post_init__(self) -> None:
        if self.quiet_period < 0 or self.max_delay < 0:
            raise ValueError("quiet_period and max_delay must not be negative")

    @property
    def pending(self) -> bool:
        """Whether events are waiting for a run that has not started."""
        return self.first_pending is not None

    def event(self) -> None:
        """Record one event now."""
        now = self.clock()
        if self.first_pending is None:
            self.first_pending = now
        self.last_pending = now

    def due_at(self) -> float | None:
        """The clock time the next run should start, or None (nothing pending, or a run is going)."""
        if self.running or self.first_pending is None or self.last_pending is None:
            return None
        return min(self.last_pending + self.quiet_period, self.first_pending + self.max_delay)

    def delay(self) -> float | None:
        """Seconds until the next run is due (0: now), or None when there is nothing to wait for."""
        due = self.due_at()
        return None if due is None else max(due - self.clock(), 0.0)

    def start(self) -> None:
        """A run starts now: it covers every event recorded so far."""
        if self.running:
            raise RuntimeError("a run is already going")
        self.running = True
        self.first_pending = self.last_pending = None

    def finish(self) -> None:
        """The run has ended (whatever its outcome); events recorded meanwhile make the next one due."""
        self.running = False
