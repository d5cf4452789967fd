"""How long to wait before retrying: Retry-After parsing and capped exponential back-off.

Personio asks for "a delay of at least 1 second" after a 429; `Retry-After` may be seconds or an
HTTP date. Kept as pure functions so the rules are unit-testable.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

MIN_RATE_LIMIT_WAIT = 1.0
MAX_WAIT = 60.0


def retry_after_seconds(header: str | None, now: datetime | None = None) -> float | None:
    """Parse a Retry-After header (delta seconds or HTTP date); None if absent or unreadable."""
    if not header:
        return None
    header = header.strip()
    try:
        return max(0.0, float(header))
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(header)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    delta: float = (moment - (now or datetime.now(UTC))).total_seconds()
    return max(0.0, delta)


def exponential(base: float, attempt: int) -> float:
    """Return base * 2**attempt, capped."""
    return min(MAX_WAIT, base * 2.0**attempt)


def rate_limit_wait(header: str | None, base: float, attempt: int) -> float:
    """Wait after a 429: the server's Retry-After when given, else back-off; never under 1 s."""
    hinted = retry_after_seconds(header)
    wait = hinted if hinted is not None else exponential(base, attempt)
    return min(MAX_WAIT * 2, max(MIN_RATE_LIMIT_WAIT, wait))
