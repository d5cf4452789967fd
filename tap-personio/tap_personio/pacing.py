"""Client-side request pacing, so a normal run stays under Personio's documented limits.

Personio limits GET employees to 300/min with at most 15 in any second, and `/v1/auth` to 60/min,
answering 429 beyond that. Waiting a little before a request is cheaper than a 429 and its back-off.
The windows carry a small safety margin because the server counts arrivals, not our send times.
"""

# mypy: enable-error-code="explicit-override"

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlsplit

import requests

from tap_personio.compat import override

Limit = tuple[int, float]  # at most N requests in any window of W seconds

EMPLOYEE_LIMITS: tuple[Limit, ...] = ((15, 1.0 + 0.05), (300, 60.0 + 1.0))
AUTH_LIMITS: tuple[Limit, ...] = ((60, 60.0 + 1.0),)


class RequestPacer:
    """Blocks just long enough that no window holds more than its limit; thread-safe."""

    def __init__(
        self,
        limits: Sequence[Limit],
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.limits = tuple(limits)
        self._clock = clock
        self._sleep = sleep
        self._sent: deque[float] = deque(maxlen=max((n for n, _ in self.limits), default=1))
        self._lock = threading.Lock()

    def delay(self, now: float) -> float:
        """Seconds to wait at `now` before one more request fits every window."""
        wait = 0.0
        for count, window in self.limits:
            if len(self._sent) >= count:
                wait = max(wait, self._sent[-count] + window - now)
        return wait

    def acquire(self) -> float:
        """Wait for a free slot, claim it, and return the seconds waited."""
        with self._lock:
            waited = 0.0
            while (wait := self.delay(self._clock())) > 0:
                self._sleep(wait)
                waited += wait
            self._sent.append(self._clock())
            return waited


class PacedSession(requests.Session):
    """A requests session that passes every request through the pacer of its endpoint."""

    def __init__(self, *, auth_pacer: RequestPacer | None, api_pacer: RequestPacer | None) -> None:
        super().__init__()
        self.auth_pacer = auth_pacer
        self.api_pacer = api_pacer

    def pacer_for(self, url: str) -> RequestPacer | None:
        """Return the pacer for a URL: auth endpoints have their own budget."""
        path = urlsplit(url).path
        return self.auth_pacer if path.endswith("/auth") or "/auth/" in path else self.api_pacer

    @override
    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        """Pace, then send."""
        pacer = self.pacer_for(request.url or "")
        if pacer is not None:
            pacer.acquire()
        return super().send(request, **kwargs)
