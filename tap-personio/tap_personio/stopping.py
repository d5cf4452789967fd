"""Stopping is an outcome: on SIGTERM or SIGINT the tap says so and exits 128 + the signal number.

It sends no ACTIVATE_VERSION and no STATE beyond what it had already sent.

The SDK's own handler writes the current state and exits 0, so a run cut short looks like a finished one.
TapPersonio replaces it: the first signal is recorded and the streams stop at the next record or before
confirming a snapshot, so no message is ever cut in half; a second signal stops at once.
"""

from __future__ import annotations

import logging
import signal
from typing import Any


def signal_name(signum: int) -> str:
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"


def stop_if_asked(tap: Any, stream: str, records: int, logger: logging.Logger) -> None:
    """Called between records: end the run here if a stop was asked for."""
    signum: int | None = getattr(tap, "stop_signal", None)
    if signum is None:
        return
    logger.error(
        "tap-personio stopped by %s after %d %s records: no ACTIVATE_VERSION, no further STATE; exit %d",
        signal_name(signum),
        records,
        stream,
        128 + signum,
    )
    raise SystemExit(128 + signum)
