"""The Leapsome SCIM HTTP client: pacing under the rate limit, bounded retries, creates safe to retry.

Leapsome allows 30 requests per second across the API and sends no Retry-After, so every thread draws
from one shared pacer (pacing.py) that spaces request starts evenly, and a 429 pauses all of them. A
create whose answer is lost (a dropped connection or a 5xx after the write) is never blindly repeated: the
client first looks the resource up by its natural key (userName, or the team's externalId) and only
creates when it is absent. What a found user means for the sync is existing.py's to decide.
Error messages carry the method, path, status and Leapsome's `detail`, never headers or the token.
"""

from __future__ import annotations

import ipaddress
import logging
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlsplit

import requests
from requests.adapters import HTTPAdapter

from target_leapsome.pacing import Pacer

LOGGER = logging.getLogger("target-leapsome.client")
USERS_PAGE = 5000
GROUPS_PAGE = 1000
# Leapsome sends no Retry-After; its window is one second, so a short shared pause lets it drain
# without idling the whole pool for a full second on every 429.
THROTTLE_PAUSE = 0.25
PATCH_OK = (200, 201, 204)


class LeapsomeError(Exception):
    """A request Leapsome refused or that kept failing; the message is safe to log."""

    def __init__(self, message: str, status: int | None = None, detail: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.detail = detail  # Leapsome's own words, for naming what it refused


class _Uncertain(Exception):
    """A write whose outcome is unknown: it may or may not have been applied."""


def check_base_url(base_url: str) -> str:
    """Plain http would send the token in clear text, so it is allowed only to the local machine."""
    parts = urlsplit(base_url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ValueError(f"base_url must be an http(s) URL, got {base_url!r}")
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise ValueError(f"base_url must use https unless the host is loopback, got {base_url!r}")
    return base_url.rstrip("/")


def _is_loopback(host: str) -> bool:
    # tap-personio has the same check: the two plugins install separately and share no library.
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class LeapsomeClient:
    """Thread-safe: each thread gets its own keep-alive session."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        max_requests_per_second: float = 28,
        max_retries: int = 5,
        timeout: float = 60.0,
        backoff: float = 0.5,
        stop: threading.Event | None = None,
    ) -> None:
        self.base_url = check_base_url(base_url)
        self.stop = stop  # set when the run is stopped: from then on nothing is retried
        self._token = token
        self.pacer = Pacer(max_requests_per_second)
        self.max_retries = max_retries
        self.timeout = timeout
        self.backoff = backoff
        self._local = threading.local()
        self._stats_lock = threading.Lock()
        self.requests = 0
        self.retries = 0

    # -- transport ------------------------------------------------------------------------------
    def _session(self) -> requests.Session:
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            session.mount("http://", HTTPAdapter(pool_maxsize=4, max_retries=0))
            session.mount("https://", HTTPAdapter(pool_maxsize=4, max_retries=0))
            session.headers.update(
                {
                    "Authorization": f"Bearer {self._token}",
                    "Content-Type": "application/json",
                    "Accept": "application/json",
                    "User-Agent": "target-leapsome",
                }
            )
            self._local.session = session
        return session

    def _send(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        body: Any = None,
        safe_to_repeat: bool = True,
    ) -> requests.Response:
        """Send with retries; a write not safe to repeat raises _Uncertain instead of retrying blindly."""
        failures = 0
        throttled = 0
        while True:
            if (failures or throttled) and self.stopped:
                raise LeapsomeError(f"{method} {path}: not retried: the run was stopped")
            self.pacer.wait()
            with self._stats_lock:
                self.requests += 1
            try:
                response = self._session().request(
                    method, self.base_url + path, params=params, json=body, timeout=self.timeout
                )
            except (requests.ConnectionError, requests.Timeout) as exc:
                if not safe_to_repeat:
                    raise _Uncertain(f"{method} {path}: {type(exc).__name__}") from None
                failures += 1
                self._retry_or_raise(method, path, failures, f"{type(exc).__name__}")
                continue
            if response.status_code == 429:
                throttled += 1
                if throttled > 10 * (self.max_retries + 1):
                    raise LeapsomeError(f"{method} {path}: still rate limited after {throttled} tries", 429)
                wait = _retry_after(response) or THROTTLE_PAUSE
                self.pacer.pause(wait)
                with self._stats_lock:
                    self.retries += 1
                continue
            if response.status_code >= 500:
                if not safe_to_repeat:
                    raise _Uncertain(f"{method} {path}: HTTP {response.status_code}")
                failures += 1
                self._retry_or_raise(method, path, failures, f"HTTP {response.status_code}")
                continue
            return response

    @property
    def stopped(self) -> bool:
        """A stop was asked for: a write in flight finishes its attempt, but is not retried."""
        return self.stop is not None and self.stop.is_set()

    def _retry_or_raise(self, method: str, path: str, failures: int, what: str) -> None:
        if self.stopped:
            raise LeapsomeError(f"{method} {path}: {what}; not retried: the run was stopped")
        if failures > self.max_retries:
            raise LeapsomeError(f"{method} {path} failed after {failures} attempts: {what}")
        with self._stats_lock:
            self.retries += 1
        delay = self.backoff * (2 ** (failures - 1))
        LOGGER.info("%s %s: %s, retry %d of %d in %.1fs", method, path, what, failures, self.max_retries, delay)
        if self.stop is not None:
            if self.stop.wait(delay):  # a stop ends the back-off early
                raise LeapsomeError(f"{method} {path}: {what}; not retried: the run was stopped")
        else:
            time.sleep(delay)

    def _json(self, method: str, path: str, response: requests.Response, ok: tuple[int, ...] = (200, 201)) -> Any:
        if response.status_code not in ok:
            detail = _detail(response)
            raise LeapsomeError(f"{method} {path}: HTTP {response.status_code}: {detail}", response.status_code, detail)
        try:
            return response.json() if response.content else {}
        except ValueError:
            raise LeapsomeError(
                f"{method} {path}: HTTP {response.status_code} with a body that is not JSON", response.status_code
            ) from None

    # -- reads ----------------------------------------------------------------------------------
    def _list(self, path: str, page_size: int) -> list[dict[str, Any]]:
        resources: list[dict[str, Any]] = []
        start = 1
        while True:
            response = self._send("GET", path, params={"startIndex": start, "count": page_size})
            page = self._json("GET", path, response)
            items = page.get("Resources") or []
            resources.extend(items)
            total = int(page.get("totalResults") or 0)
            start += len(items)
            if not items or start > total:
                return resources

    def list_users(self) -> list[dict[str, Any]]:
        return self._list("/Users", USERS_PAGE)

    def list_groups(self) -> list[dict[str, Any]]:
        return self._list("/Groups", GROUPS_PAGE)

    def find_user(self, user_name: str) -> dict[str, Any] | None:
        escaped = user_name.replace("\\", "\\\\").replace('"', '\\"')
        response = self._send("GET", "/Users", params={"filter": f'userName eq "{escaped}"', "count": 1})
        items = self._json("GET", "/Users", response).get("Resources") or []
        return items[0] if items else None

    def find_group(self, key: str) -> dict[str, Any] | None:
        """By Leapsome id or, through Leapsome's fallback, by externalId."""
        path = f"/Groups/{quote(key, safe='')}"
        response = self._send("GET", path)
        if response.status_code == 404:
            return None
        found: dict[str, Any] = self._json("GET", path, response)
        return found

    # -- writes ---------------------------------------------------------------------------------
    def _create(
        self, path: str, body: dict[str, Any], what: str, find: Callable[[], dict[str, Any] | None]
    ) -> dict[str, Any]:
        """POST a resource once; when the answer is lost, empty or a 409, `find` it instead of repeating.

        `find` looks the resource up by its natural key, so a create that did happen (a lost answer, a
        previous run, Leapsome's `201 {}` for a duplicate) yields the existing resource, never a second one.
        """
        failures = 0
        while True:
            try:
                response = self._send("POST", path, body=body, safe_to_repeat=False)
            except _Uncertain as exc:
                found = find()
                if found is not None:
                    return found
                failures += 1
                self._retry_or_raise("POST", path, failures, str(exc))
                continue
            status = response.status_code
            if status not in (200, 201, 409):
                detail = _detail(response)
                raise LeapsomeError(f"POST {path}: HTTP {status}: {detail}", status, detail)
            created = self._json("POST", path, response, ok=(200, 201, 409))
            if status != 409 and isinstance(created, dict) and created.get("id"):
                return created
            found = find()
            if found is not None:
                return found
            if status == 409:
                raise LeapsomeError(f"POST {path}: HTTP 409: {_detail(response)} (and no {what} exists)", 409)
            raise LeapsomeError(f"POST {path} answered {status} but no {what} exists")

    def create_user(self, body: dict[str, Any]) -> dict[str, Any]:
        """Create, or find the user a previous attempt (or someone else) already created, by userName."""
        user_name = str(body["userName"])
        return self._create("/Users", body, f"user {user_name}", lambda: self.find_user(user_name))

    def create_group(self, body: dict[str, Any]) -> dict[str, Any]:
        """Create a team, or find the one a previous attempt created, by its externalId."""
        external_id = str(body["externalId"])

        def find() -> dict[str, Any] | None:
            found = self.find_group(external_id)  # by id, falling back to externalId: check which matched
            return found if found is not None and found.get("externalId") == external_id else None

        return self._create("/Groups", body, f"team {external_id}", find)

    def patch_user(self, user_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """The answer's body is not relied on: the spec leaves it open (200 with the user, or 204)."""
        path = f"/Users/{quote(user_id, safe='')}"
        result: dict[str, Any] = self._json("PATCH", path, self._send("PATCH", path, body=body), PATCH_OK)
        return result

    def patch_group(self, group_id: str, body: dict[str, Any]) -> dict[str, Any]:
        path = f"/Groups/{quote(group_id, safe='')}"
        result: dict[str, Any] = self._json("PATCH", path, self._send("PATCH", path, body=body), PATCH_OK)
        return result


def _retry_after(response: requests.Response) -> float | None:
    raw = response.headers.get("Retry-After")
    try:
        return max(float(raw), 0.0) if raw else None
    except ValueError:
        return None


def _detail(response: requests.Response) -> str:
    """Leapsome's error text: `detail` or `message` when JSON, else a short excerpt of the body."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(body, dict):
        return str(body.get("detail") or body.get("message") or body)[:500]
    return str(body)[:200]
