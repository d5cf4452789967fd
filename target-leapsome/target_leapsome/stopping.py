"""Stopping is an outcome: SIGTERM or SIGINT ends the run early, says so, and exits 128 + the signal number.

The SDK's own handler drains the sinks, logs "Gracefully shutting down..." and exits 0, so a stopped run
would look like a successful one (and, for a target, could emit state for work it never did). The target
replaces it (TargetLeapsome._handle_termination) with this switch:

- while input arrives, nothing has been read from or written to Leapsome: the run ends at once;
- while reconciling, `event` is set: no new write starts, the writes in flight finish their attempt
  (each bounded by `request_timeout`, none retried), the read-back is skipped and the report names every
  write that did not start; no state is emitted;
- after the reconciliation, the run is complete and finishes normally.
"""

from __future__ import annotations

import signal
import threading
from typing import Literal

Phase = Literal["input", "reconciling", "finishing"]


class StopSwitch:
    """What the signal handler and the reconciliation share: whether, and by which signal, to stop."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self.signum: int | None = None
        self.phase: Phase = "input"

    def request(self, signum: int) -> bool:
        """Record the stop; True the first time (a second signal only repeats the request)."""
        first = self.signum is None
        if first:
            self.signum = signum
        self.event.set()
        return first

    @property
    def name(self) -> str | None:
        """SIGTERM, SIGINT, ... or None before any stop."""
        if self.signum is None:
            return None
        try:
            return signal.Signals(self.signum).name
        except ValueError:
            return f"signal {self.signum}"

    @property
    def exit_code(self) -> int:
        """The shell's convention for a process ended by a signal: 128 + its number (143 for SIGTERM)."""
        return 128 + (self.signum or 0)
