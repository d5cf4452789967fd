"""The debounce and coalescing rules, on a fake clock (no sleeping)."""

from __future__ import annotations

import pytest
from personio_webhooks.scheduler import Scheduler


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def make(quiet: float = 15, max_delay: float = 60) -> tuple[Scheduler, Clock]:
    clock = Clock()
    return Scheduler(quiet, max_delay, clock), clock


def test_nothing_pending_nothing_due() -> None:
    scheduler, _ = make()
    assert scheduler.delay() is None
    assert not scheduler.pending


def test_a_burst_is_one_run_a_quiet_period_after_its_last_event() -> None:
    scheduler, clock = make()
    for _ in range(50):
        scheduler.event()
        clock.now += 0.2
    assert scheduler.due_at() == pytest.approx(1000 + 49 * 0.2 + 15)
    clock.now = scheduler.due_at() or 0
    assert scheduler.delay() == 0
    scheduler.start()
    assert not scheduler.pending
    scheduler.finish()
    assert scheduler.delay() is None  # the whole burst was one run


def test_a_steady_trickle_runs_after_the_max_delay() -> None:
    scheduler, clock = make(quiet=15, max_delay=60)
    for _ in range(100):  # an event every 10 s never leaves 15 s of quiet
        scheduler.event()
        clock.now += 10
    assert scheduler.due_at() == 1000 + 60


def test_no_second_run_while_one_is_going() -> None:
    scheduler, clock = make(quiet=1, max_delay=5)
    scheduler.event()
    clock.now += 1
    scheduler.start()
    scheduler.event()
    clock.now += 100
    assert scheduler.delay() is None
    with pytest.raises(RuntimeError):
        scheduler.start()


def test_events_during_a_run_become_exactly_one_follow_up() -> None:
    scheduler, clock = make(quiet=1, max_delay=5)
    scheduler.event()
    clock.now += 1
    scheduler.start()
    for _ in range(10):
        clock.now += 0.1
        scheduler.event()
    clock.now += 0.5
    scheduler.finish()
    assert scheduler.delay() == pytest.approx(0.5)  # quiet period after the last event during the run
    clock.now += 0.5
    scheduler.start()
    scheduler.finish()
    assert scheduler.delay() is None


def test_a_follow_up_overdue_by_the_max_delay_starts_at_once() -> None:
    scheduler, clock = make(quiet=15, max_delay=60)
    scheduler.event()
    clock.now += 15
    scheduler.start()
    scheduler.event()
    clock.now += 300  # a long run
    scheduler.event()
    scheduler.finish()
    assert scheduler.delay() == 0


def test_settings_that_cannot_work_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        Scheduler(-1, 60)
