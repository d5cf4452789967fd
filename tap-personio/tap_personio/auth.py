"""Personio v1 authentication: one `papi-` token per run, reused while valid, renewed on demand.

Personio's token is stable for 24 h and usable in parallel, so re-authenticating per request (what
older taps do) only burns the 60/min auth budget. Credentials go in the JSON body: query-string
credentials are being removed (403). One authenticator belongs to one Tap instance, never to the
process (no SingletonMeta), so two configurations in one process never share a token.

Neither the secret nor the token ever reaches a log line or an exception message.
"""

# mypy: enable-error-code="explicit-override"

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping

import requests
from requests.auth import AuthBase
from singer_sdk.exceptions import FatalAPIError

from tap_personio.compat import override
from tap_personio.retry import exponential, rate_limit_wait

TOKEN_REFRESH_MARGIN = 300.0  # renew this long before Personio's stated expiry
DEFAULT_TOKEN_LIFETIME = 86400.0


class _NoAuth(AuthBase):
    """Keeps the shared session's own authenticator off the token request itself."""

    @override
    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        return request


class AuthenticationError(FatalAPIError):
    """Personio refused the credentials, or auth stayed unavailable through every retry."""


class PersonioAuthenticator(AuthBase):
    """Adds `Authorization: Bearer <token>` to requests, fetching the token from `POST /v1/auth`."""

    def __init__(
        self,
        *,
        base_url: str,
        client_id: str,
        client_secret: str,
        session: requests.Session,
        headers: Mapping[str, str],
        timeout: float,
        max_retries: int,
        backoff_seconds: float,
        logger: logging.Logger,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._url = f"{base_url.rstrip('/')}/v1/auth"
        self._credentials = {"client_id": client_id, "client_secret": client_secret}
        self._session = session
        self._headers = {**headers, "Accept": "application/json"}
        self._timeout = timeout
        self._max_retries = max_retries
        self._backoff = backoff_seconds
        self._logger = logger
        self._sleep = sleep
        self._lock = threading.Lock()
        self._token: str | None = None
        self._renew_at = 0.0

    @override
    def __repr__(self) -> str:
        return "PersonioAuthenticator(<redacted>)"

    @override
    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        """Authenticate one outgoing request with the current token."""
        request.headers["Authorization"] = f"Bearer {self.token()}"
        return request

    def token(self) -> str:
        """Return a valid token, fetching one if there is none or it is about to expire."""
        with self._lock:
            if self._token is None or time.monotonic() >= self._renew_at:
                self._token, lifetime = self._fetch()
                self._renew_at = time.monotonic() + max(lifetime - TOKEN_REFRESH_MARGIN, lifetime / 2)
            return self._token

    def invalidate(self, used_authorization: str | None) -> bool:
        """Forget the token a request was refused with; False if a newer token is already in use."""
        with self._lock:
            if self._token is None:
                return False
            if used_authorization is not None and used_authorization != f"Bearer {self._token}":
                return False
            self._token = None
            return True

    def _fetch(self) -> tuple[str, float]:
        attempt = 0
        while True:
            failure: str
            wait: float
            try:
                response = self._session.post(
                    self._url,
                    json=self._credentials,
                    headers=self._headers,
                    timeout=self._timeout,
                    auth=_NoAuth(),
                )
            except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError) as exc:
                failure, wait = f"connection error ({type(exc).__name__})", exponential(self._backoff, attempt)
            else:
                status = response.status_code
                if status == 200:
                    return self._parse(response)
                if status == 429:
                    failure = "429 Too Many Requests"
                    wait = rate_limit_wait(response.headers.get("Retry-After"), self._backoff, attempt)
                elif status >= 500:
                    failure, wait = f"HTTP {status}", exponential(self._backoff, attempt)
                else:
                    raise AuthenticationError(
                        f"Personio refused the API credentials at POST /v1/auth (HTTP {status}); "
                        "check the client_id and client_secret settings"
                    )
            if attempt >= self._max_retries:
                raise AuthenticationError(f"POST /v1/auth failed after {attempt + 1} attempts, last with {failure}")
            self._logger.warning("POST /v1/auth: %s; retrying in %.1f s", failure, wait)
            self._sleep(wait)
            attempt += 1

    @staticmethod
    def _parse(response: requests.Response) -> tuple[str, float]:
        try:
            body = response.json()
            data = body["data"]
            token = data["token"]
        except (ValueError, KeyError, TypeError):
            raise AuthenticationError("POST /v1/auth answered 200 without data.token") from None
        if not isinstance(token, str) or not token:
            raise AuthenticationError("POST /v1/auth answered 200 with an empty token")
        lifetime = data.get("expires_in") if isinstance(data, Mapping) else None
        if isinstance(lifetime, int | float) and not isinstance(lifetime, bool) and lifetime > 0:
            return token, float(lifetime)
        return token, DEFAULT_TOKEN_LIFETIME
