"""Turns accepted events into sync runs: the scheduler's decisions carried out with a child process.

Everything runs on the server's event loop, so the HTTP handlers only record an event and wake the loop:
an acknowledgement never waits for a run. The sync command runs in its own session (process group), so
a Ctrl+C meant for the receiver does not cut a run short; on shutdown the receiver waits for a run that
is going, up to `shutdown_timeout` seconds, and only then terminates its process group (SIGTERM, then
SIGKILL after 10 s). Events still waiting for their quiet period at shutdown are left to the scheduled
runs (the incremental job reads every change since its bookmark, so nothing is lost).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import signal
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from personio_webhooks.scheduler import Scheduler

log = logging.getLogger("personio_webhooks")
KILL_AFTER = 10.0  # seconds between SIGTERM and SIGKILL for a run cut short by shutdown


@dataclass
class RunOutcome:
    """How the latest run ended, as /health shows it."""

    result: str  # "ok", "failed" (non-zero exit), "error" (could not start), "terminated" (by shutdown)
    exit_code: int | None
    started_at: str
    finished_at: str
    duration_seconds: float


@dataclass
class Counters:
    """What /health reports; plain numbers, no payloads."""

    events_received: int = 0
    events_ignored: int = 0  # authenticated and well-formed, but not a person or employment event
    rejected_unauthorized: int = 0
    rejected_malformed: int = 0
    runs_started: int = 0
    runs_succeeded: int = 0
    runs_failed: int = 0


def _stamp() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


class Receiver:
    """One scheduler and at most one running sync command."""

    def __init__(
        self,
        command: Sequence[str],
        quiet_period: float,
        max_delay: float,
        shutdown_timeout: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.command = list(command)
        self.shutdown_timeout = shutdown_timeout
        self.scheduler = Scheduler(quiet_period, max_delay, clock)
        self.counters = Counters()
        self.last_run: RunOutcome | None = None
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._process: asyncio.subprocess.Process | None = None
        self._stopping = False

    # -- called by the HTTP handlers ----------------------------------------------------------
    def accept(self) -> None:
        """Count a trigger event and let the loop reconsider when to run."""
        self.counters.events_received += 1
        self.scheduler.event()
        self._wake.set()

    def status(self) -> dict[str, Any]:
        """Counters, whether a run is going or pending, and the latest run's outcome."""
        return {
            **asdict(self.counters),
            "running": self.scheduler.running,
            "pending": self.scheduler.pending,
            "last_run": asdict(self.last_run) if self.last_run else None,
        }

    # -- life cycle ---------------------------------------------------------------------------
    def start(self) -> None:
        """Start the loop that waits for due runs (on the running event loop)."""
        self._task = asyncio.get_running_loop().create_task(self._loop(), name="personio-webhooks-runs")
        if shutil.which(self.command[0]) is None:  # e.g. `meltano` when the project's venv is not on PATH
            log.warning("the sync command %r is not on PATH: runs will fail until it is", self.command[0])

    async def stop(self) -> None:
        """Stop taking runs; wait for a running one (then terminate it), leave pending events to the schedules."""
        self._stopping = True
        self._wake.set()
        if self._task is None:
            return
        if self.scheduler.running:
            log.info("shutdown: waiting up to %.0f s for the running sync to finish", self.shutdown_timeout)
        try:
            await asyncio.wait_for(asyncio.shield(self._task), self.shutdown_timeout)
        except TimeoutError:
            log.warning("shutdown: the sync is still running after %.0f s; terminating it", self.shutdown_timeout)
            if self._process is not None:
                await self._terminate(self._process)
            await self._task
        if self.scheduler.pending:
            log.info("shutdown: events arrived after the last run; the next scheduled run picks them up")

    async def _terminate(self, process: asyncio.subprocess.Process) -> None:
        for sig, wait in ((signal.SIGTERM, KILL_AFTER), (signal.SIGKILL, None)):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, sig)
            try:
                await asyncio.wait_for(asyncio.shield(process.wait()), wait)
                return
            except TimeoutError:
                continue

    # -- the loop -----------------------------------------------------------------------------
    async def _loop(self) -> None:
        while not self._stopping:
            self._wake.clear()
            delay = self.scheduler.delay()
            if delay is None or delay > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), delay)
                continue
            await self._run()

    async def _run(self) -> None:
        self.scheduler.start()
        self.counters.runs_started += 1
        number = self.counters.runs_started
        started, started_at = time.monotonic(), _stamp()
        log.info("run %d: starting %s", number, self.command[0])
        code: int | None = None
        try:
            self._process = await asyncio.create_subprocess_exec(*self.command, start_new_session=True)
            code = await self._process.wait()
            result = "ok" if code == 0 else "terminated" if self._stopping and code < 0 else "failed"
        except OSError as exc:
            result = "error"
            log.error("run %d: could not start %s: %s", number, self.command[0], exc.strerror or exc)
        finally:
            self._process = None
            self.scheduler.finish()
        duration = time.monotonic() - started
        self.last_run = RunOutcome(result, code, started_at, _stamp(), round(duration, 3))
        if result == "ok":
            self.counters.runs_succeeded += 1
            log.info("run %d: ok in %.1f s", number, duration)
        else:
            self.counters.runs_failed += 1
            log.error("run %d: %s (exit status %s) after %.1f s", number, result, code, duration)
        if self.scheduler.pending:
            log.info("run %d: events arrived during the run; one follow-up run is scheduled", number)
