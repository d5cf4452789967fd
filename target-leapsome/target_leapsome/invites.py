"""Who has not accepted their Leapsome invite yet: synced users whose account is still `created` or `invited`.

SCIM cannot tell: it shows `active` for an account nobody ever logged into. Leapsome's Content API (a second
API with its own secret, `GET /token?secret=` for a JWT, `GET /employees`, 20 requests/s) shows each user's
`status`: `created` (never invited), `invited` (not accepted), `active`, `deactivated`, ... So this module
has a small Content API client and a pure function that joins its employees to the users the sync manages.

The client exchanges the secret for a token once and again when it nears its `expiresIn` or a request is
answered 401 (once per request: a second 401 is an error). It paces requests evenly under the limit with
the target's `Pacer`, pauses on 429 and retries 5xx and lost connections a bounded number of times (every
call is a GET). The secret travels in the token URL's query, as the spec has it, so error messages carry
the method, the path without the query, the status and Leapsome's words with the secret and the token
masked, and never an exception's text (which would include the URL).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import requests

from target_leapsome.client import LeapsomeClient, LeapsomeError, check_base_url
from target_leapsome.models import LeapsomeUser, is_personio_external_id
from target_leapsome.pacing import Pacer
from target_leapsome.scim import parse_user

LOGGER = logging.getLogger("target-leapsome.invites")
# The Content API statuses of an account whose invite was never accepted. The pre-boarding ones belong to
# Leapsome's own pre-boarding flow, which a SCIM-created account is not in, so they are not counted here.
PENDING_STATUSES = ("created", "invited")
MAX_PAGE_SIZE = 1000  # the spec's maximum `pageSize`
THROTTLE_PAUSE = 0.25  # no Retry-After is documented; the window is one second
REFRESH_MARGIN = 60.0  # seconds before `expiresIn` runs out when a new token is fetched


class ContentApiError(LeapsomeError):
    """A Content API request that was refused or kept failing; the message names no secret or token."""


@dataclass(frozen=True)
class SyncedUser:
    """A Leapsome user the sync manages (its externalId is a Personio id), as read through SCIM."""

    leapsome_id: str
    email: str
    personio_id: str


@dataclass(frozen=True)
class PendingInvite:
    """A synced user who has not accepted the Leapsome invite: what an admin needs to follow it up."""

    email: str
    leapsome_id: str
    status: str  # "created" (never invited) or "invited" (invited, not accepted)
    personio_id: str

    @property
    def label(self) -> str:
        """One line for a log or a report: who, where to find them in Leapsome, and how far they got."""
        state = "never invited" if self.status == "created" else "invited, not accepted"
        return f"{self.email} (Personio {self.personio_id}, Leapsome {self.leapsome_id}): {state}"


def synced_users(users: Iterable[LeapsomeUser]) -> list[SyncedUser]:
    """The active users the sync manages; deactivated ones are nobody's invite to chase."""
    return [
        SyncedUser(user.id, user.user_name.lower(), str(user.external_id))
        for user in users
        if user.active and is_personio_external_id(user.external_id)
    ]


def pending_invites(synced: Iterable[SyncedUser], employees: Iterable[Mapping[str, Any]]) -> list[PendingInvite]:
    """The synced users whose Content API status is still `created` or `invited`, sorted by email.

    Matched by Leapsome id (both APIs use the same user id), else by email case-insensitively (the
    Content API's Employee has no externalId). A synced user the Content API does not list is left out:
    nothing is known about their invite. A `deactivated` account is never listed, whatever its invite.
    """
    by_id: dict[str, Mapping[str, Any]] = {}
    by_email: dict[str, Mapping[str, Any]] = {}
    for employee in employees:
        if isinstance(employee.get("id"), str):
            by_id[employee["id"]] = employee
        if isinstance(employee.get("email"), str):
            by_email[employee["email"].lower()] = employee
    pending = []
    for user in synced:
        found = by_id.get(user.leapsome_id) or by_email.get(user.email.lower())
        status = found.get("status") if found is not None else None
        if status in PENDING_STATUSES:
            pending.append(PendingInvite(user.email, user.leapsome_id, str(status), user.personio_id))
    return sorted(pending, key=lambda p: (p.email, p.leapsome_id))


def read_pending_invites(scim: LeapsomeClient, content: ContentApiClient) -> list[PendingInvite]:
    """Read both APIs and join them: every synced user (SCIM) and only the pending employees (Content API)."""
    synced = synced_users(parse_user(u) for u in scim.list_users())
    employees = [e for status in PENDING_STATUSES for e in content.employees(status=status)]
    return pending_invites(synced, employees)


class ContentApiClient:
    """Leapsome's Content API, the parts the invite check reads; for one thread (pages are read in order)."""

    def __init__(
        self,
        base_url: str,
        secret: str,
        *,
        max_requests_per_second: float = 18,
        max_retries: int = 5,
        timeout: float = 60.0,
        backoff: float = 0.5,
    ) -> None:
        if not secret:
            raise ValueError("the Content API secret is empty")
        self.base_url = check_base_url(base_url)
        self._secret = secret
        self._token: str | None = None
        self._token_expiry = 0.0  # time.monotonic() at which the token is treated as expired
        self._token_lock = threading.Lock()
        self.pacer = Pacer(max_requests_per_second)
        self.max_retries = max_retries
        self.timeout = timeout
        self.backoff = backoff
        self._session = requests.Session()
        self._session.headers.update({"Accept": "application/json", "User-Agent": "target-leapsome"})
        self.requests = 0  # every request sent, the token exchanges included

    # -- auth -------------------------------------------------------------------------------------
    def authenticate(self) -> None:
        """Exchange the secret for a token now (401: the secret is wrong, and the error says so)."""
        response = self._send("GET", "/token", params={"secret": self._secret}, token=None)
        if response.status_code == 401:
            raise ContentApiError(
                "GET /token: HTTP 401: Leapsome refused the Content API secret (check it under Settings → "
                "Integrations and imports → API Access)",
                401,
                self._detail(response),
            )
        body = self._body("GET", "/token", response)
        token, expires_in = body.get("token"), body.get("expiresIn")
        if not isinstance(token, str) or not token:
            raise ContentApiError("GET /token: HTTP 200 without a token", response.status_code)
        lifetime = float(expires_in) if isinstance(expires_in, int | float) and expires_in > 0 else 3600.0
        with self._token_lock:
            self._token = token
            self._token_expiry = time.monotonic() + max(lifetime - REFRESH_MARGIN, lifetime / 2)

    def _current_token(self) -> str:
        with self._token_lock:
            token, fresh = self._token, time.monotonic() < self._token_expiry
        if token is None or not fresh:
            self.authenticate()
            with self._token_lock:
                token = self._token
        assert token is not None
        return token

    # -- reads ------------------------------------------------------------------------------------
    def employees(
        self,
        *,
        status: str | None = None,
        email: str | None = None,
        employee_id: str | None = None,
        page_size: int = MAX_PAGE_SIZE,
    ) -> list[dict[str, Any]]:
        """Every employee matching the filters, all pages; an employee met twice (pages shifted) once."""
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"page_size must be between 1 and {MAX_PAGE_SIZE}")
        filters = {"status": status, "email": email, "employeeId": employee_id}
        params: dict[str, Any] = {key: value for key, value in filters.items() if value is not None}
        found: dict[str, dict[str, Any]] = {}
        page = 1
        while True:
            body = self._get("/employees", {**params, "page": page, "pageSize": page_size})
            data, meta = body.get("data"), body.get("meta") or {}
            if not isinstance(data, list) or not isinstance(meta, dict):
                raise ContentApiError("GET /employees: HTTP 200 without a `data` list")
            for item in data:
                if isinstance(item, dict) and isinstance(item.get("id"), str):
                    found.setdefault(item["id"], item)
            served = meta.get("pageSize")  # the page size Leapsome applied, should it differ from the one asked
            size = served if isinstance(served, int) and served > 0 else page_size
            total = meta.get("totalCount")
            if not data or len(data) < size or (isinstance(total, int) and page * size >= total):
                return list(found.values())
            page += 1

    def _get(self, path: str, params: dict[str, Any]) -> dict[str, Any]:
        """GET with the current token; a 401 fetches a new token and tries once more."""
        for attempt in (1, 2):
            response = self._send("GET", path, params=params, token=self._current_token())
            if response.status_code != 401:
                return self._body("GET", path, response)
            if attempt == 1:
                LOGGER.info("GET %s: HTTP 401, fetching a new Content API token", path)
                with self._token_lock:
                    self._token = None
        raise ContentApiError(
            f"GET {path}: HTTP 401 with a new token: {self._detail(response)}", 401, self._detail(response)
        )

    # -- transport --------------------------------------------------------------------------------
    def _send(self, method: str, path: str, *, params: dict[str, Any], token: str | None) -> requests.Response:
        """One request with pacing, 429 pauses and bounded retries of 5xx and lost connections."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        failures = throttled = 0
        while True:
            self.pacer.wait()
            self.requests += 1
            try:
                response = self._session.request(
                    method, self.base_url + path, params=params, headers=headers, timeout=self.timeout
                )
            except (requests.ConnectionError, requests.Timeout) as exc:
                failures += 1  # the exception's text holds the URL (and the secret): only its type is named
                self._retry_or_raise(method, path, failures, type(exc).__name__)
                continue
            if response.status_code == 429:
                throttled += 1
                if throttled > 10 * (self.max_retries + 1):
                    raise ContentApiError(f"{method} {path}: still rate limited after {throttled} tries", 429)
                self.pacer.pause(THROTTLE_PAUSE)
                continue
            if response.status_code >= 500:
                failures += 1
                self._retry_or_raise(method, path, failures, f"HTTP {response.status_code}")
                continue
            return response

    def _retry_or_raise(self, method: str, path: str, failures: int, what: str) -> None:
        if failures > self.max_retries:
            raise ContentApiError(f"{method} {path} failed after {failures} attempts: {what}")
        delay = self.backoff * (2 ** (failures - 1))
        LOGGER.info("%s %s: %s, retry %d of %d in %.1fs", method, path, what, failures, self.max_retries, delay)
        time.sleep(delay)

    def _body(self, method: str, path: str, response: requests.Response) -> dict[str, Any]:
        if response.status_code != 200:
            detail = self._detail(response)
            raise ContentApiError(
                f"{method} {path}: HTTP {response.status_code}: {detail}", response.status_code, detail
            )
        try:
            body = response.json()
        except ValueError:
            raise ContentApiError(f"{method} {path}: HTTP 200 with a body that is not JSON", 200) from None
        if not isinstance(body, dict):
            raise ContentApiError(f"{method} {path}: HTTP 200 with a body that is not an object", 200)
        return body

    def _detail(self, response: requests.Response) -> str:
        """Leapsome's words (`message`, `error` or a body excerpt), with the secret and the token masked."""
        try:
            body = response.json()
        except ValueError:
            text = response.text[:200]
        else:
            found = body.get("message") or body.get("error") or body.get("detail") if isinstance(body, dict) else None
            text = str(found or body)[:500]
        for hidden in (self._secret, self._token):
            if hidden:
                text = text.replace(hidden, "***")
        return text

    def close(self) -> None:
        self._session.close()
