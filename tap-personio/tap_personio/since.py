"""Turn a UTC bookmark into Personio's `updated_since` query value.

Personio documents `updated_since` without an offset (`2022-12-24T08:15:30`) and reads it in the
company's time zone, so the bookmark is converted to that zone's wall-clock time, to the second,
rounded down. In the autumn hour that happens twice a wall time is ambiguous; if the later reading
could lie after the instant we mean, we step back before the fold, so the filter never starts late.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

WALL_FORMAT = "%Y-%m-%dT%H:%M:%S"


def wall_time(instant: datetime, zone: ZoneInfo) -> datetime:
    """Return a naive wall time in `zone` whose every reading is at or before `instant`."""
    if instant.tzinfo is None:
        raise ValueError("instant must be timezone-aware")
    wall = instant.astimezone(zone).replace(tzinfo=None, microsecond=0, fold=0)
    while True:
        latest = max(
            wall.replace(tzinfo=zone, fold=0).astimezone(UTC),
            wall.replace(tzinfo=zone, fold=1).astimezone(UTC),
        )
        if latest <= instant:
            return wall
        wall -= latest - instant


def updated_since(bookmark: datetime, lookback: timedelta, zone: ZoneInfo) -> str:
    """Return the `updated_since` value for a bookmark, moved back by the look-back window."""
    return wall_time(bookmark - lookback, zone).strftime(WALL_FORMAT)
