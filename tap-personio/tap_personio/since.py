"""Turn a UTC bookmark into Personio's `updated_since` query value.

Personio documents `updated_since` without an offset (`2022-12-24T08:15:30`) and does not say in which
time zone it reads it: the company's, or UTC. A filter that starts late loses changes for good, one that
starts early only re-reads a few employees (the target writes nothing for them), so the value sent is a
wall time that lies at or before the bookmark under either reading: the earlier of the two wall times.
East of UTC (Berlin) that is the UTC wall time, which re-reads up to the offset (1-2 h) of changes.
Wall times are to the second, rounded down. In the autumn hour that happens twice a wall time is
ambiguous; if the later reading could lie after the instant we mean, we step back before the fold.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

WALL_FORMAT = "%Y-%m-%dT%H:%M:%S"
UTC_ZONE = ZoneInfo("UTC")


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
    """Return the `updated_since` value for a bookmark, moved back by the look-back window.

    Read in `zone` or in UTC, the value is at or before the bookmark minus the look-back.
    """
    instant = bookmark - lookback
    return min(wall_time(instant, zone), wall_time(instant, UTC_ZONE)).strftime(WALL_FORMAT)
