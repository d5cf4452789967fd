"""Bearer tokens as Personio issues them now: `papi-` tokens, the same one per credential pair for 24 h."""

from __future__ import annotations

import secrets
import threading
import time

LIFETIME = 86_400


class Tokens:
    def __init__(self, lifetime: int = LIFETIME) -> None:
        self.lifetime = lifetime
        self._minted: dict[str, float] = {}  # token -> wall-clock mint time
        self._current: str | None = None
        self._lock = threading.Lock()

    def issue(self) -> tuple[str, int]:
        """Return the credential pair's token and its remaining seconds, minting one when needed."""
        with self._lock:
            clock = time.time()
            if self._current is not None and clock - self._minted[self._current] < self.lifetime:
                return self._current, int(self.lifetime - (clock - self._minted[self._current]))
            token = "papi-" + secrets.token_hex(20)
            self._minted[token] = clock
            self._current = token
            return token, self.lifetime

    def valid(self, token: str) -> bool:
        with self._lock:
            minted = self._minted.get(token)
            return minted is not None and time.time() - minted < self.lifetime

    def expire_all(self) -> None:
        with self._lock:
            self._minted.clear()
            self._current = None
