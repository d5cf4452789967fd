"""Time in Personio's terms: the company zone (Europe/Berlin) and how timestamps are written and read.

The EU summer-time rule is computed here rather than taken from the system zone database, so the
sandbox renders identical strings on machines that have no tzdata installed.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache

ONE_HOUR = timedelta(hours=1)
TWO_HOURS = timedelta(hours=2)

_ISO = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2})"
    r"(?:T(?P<time>\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?)(?P<zone>Z|[+-]\d{2}:?\d{2})?)?"
)


def _last_sunday(year: int, month: int) -> date:
    last = date(year, month, 31)  # March and October both have 31 days
    return last - timedelta(days=(last.weekday() + 1) % 7)


@lru_cache(maxsize=512)
def _summer(year: int) -> tuple[datetime, datetime]:
    start = datetime.combine(_last_sunday(year, 3), datetime.min.time(), UTC) + ONE_HOUR
    end = datetime.combine(_last_sunday(year, 10), datetime.min.time(), UTC) + ONE_HOUR
    return start, end


def berlin_offset(instant: datetime) -> timedelta:
    """The Europe/Berlin UTC offset in force at an aware instant."""
    utc = instant.astimezone(UTC)
    start, end = _summer(utc.year)
    return TWO_HOURS if start <= utc < end else ONE_HOUR


def berlin_to_utc(local: datetime) -> datetime:
    """Read a naive wall-clock time as Berlin time; in the autumn overlap the summer reading wins."""
    summer = (local - TWO_HOURS).replace(tzinfo=UTC)
    if berlin_offset(summer) == TWO_HOURS:
        return summer
    return (local - ONE_HOUR).replace(tzinfo=UTC)


def render_instant(instant: datetime) -> str:
    """`2026-01-05T10:00:00+01:00`: how Personio v1 writes timestamps."""
    offset = berlin_offset(instant)
    local = (instant + offset).replace(tzinfo=None, microsecond=0)
    return local.isoformat() + ("+02:00" if offset == TWO_HOURS else "+01:00")


@lru_cache(maxsize=65_536)
def render_date(day: date) -> str:
    """A calendar date as Personio v1 writes it: Berlin midnight with its offset."""
    return render_instant(berlin_to_utc(datetime.combine(day, datetime.min.time())))


def utc_text(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_since(text: str, naive_zone: str = "Europe/Berlin") -> datetime:
    """Parse an `updated_since` value: an offset is honoured, a naive value or bare date is local time.

    `naive_zone` is that local zone: "Europe/Berlin" (the company zone) or "UTC" (the
    `naive_timezone` option).

    Raises ValueError for anything else (including a `+` that arrived as a space because the
    client did not percent-encode it).
    """
    match = _ISO.fullmatch(text)
    if not match:
        raise ValueError(text)
    day = date.fromisoformat(match["date"])
    local = berlin_to_utc if naive_zone == "Europe/Berlin" else (lambda naive: naive.replace(tzinfo=UTC))
    if match["time"] is None:
        return local(datetime.combine(day, datetime.min.time()))
    clock = match["time"] if match["time"].count(":") == 2 else match["time"] + ":00"
    naive = datetime.fromisoformat(f"{match['date']}T{clock}")
    zone = match["zone"]
    if zone is None:
        return local(naive)
    if zone == "Z":
        return naive.replace(tzinfo=UTC)
    sign = 1 if zone[0] == "+" else -1
    digits = zone[1:].replace(":", "")
    delta = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    return (naive - sign * delta).replace(tzinfo=UTC)


def parse_utc(text: str) -> datetime:
    """Parse an admin-supplied timestamp; a naive one is taken as UTC."""
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def now() -> datetime:
    """The real clock, to the second (Personio's resolution); used for mutations only."""
    return datetime.now(UTC).replace(microsecond=0)
