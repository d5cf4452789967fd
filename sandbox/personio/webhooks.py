"""Personio's v2 webhooks in the sandbox: the management API and deliveries of company changes.

Management (v2 bearer token, v2 error shapes, counted like every API route, no rate limit):
`GET /v2/webhooks` (`{_data, _meta.links}`, `limit` 1..100 default 50, opaque `cursor`), `POST /v2/webhooks`
(201), `GET|PATCH|DELETE /v2/webhooks/{id}` (200, 200, 204; unknown id 404).
Body fields as documented: `url` (required), `description`, `status` (`ENABLED`|`DISABLED`, default
`DISABLED`), `auth_type` (`NONE`|`TOKEN`|`CUSTOM`, default `TOKEN`), `token`, `custom_headers`,
`enabled_events` (required). Choices where the reference is silent:
- `url` must be HTTPS; plain http is accepted for loopback hosts only (the local receiver). Otherwise 422.
- TOKEN needs a non-empty `token`; CUSTOM needs `custom_headers`, an object of 1..3 string values. 422.
- Unknown `status`, `auth_type` or event names, or an empty `enabled_events`: 422. A body that is not a
  JSON object: 400. A second webhook for a URL already registered: 409.
- The token and custom header values are write-only: never returned.

Deliveries: every hire, real change and removal of an employee (through `/_admin` or a scheduled action)
becomes an event for each ENABLED webhook that lists it: a hire is `person.created`, a removal
`person.deleted` (and `employment.updated` for each report who lost their supervisor), a change
`person.updated` when a person field changed (names, gender, language, email, custom attributes) and
`employment.updated` when job data changed (one of each when both did). The body is dataless, as Personio's:
`{company_id, event_name, occurred_at, payload: {id}, meta: {delivery_id, webhook_id, attempt}}`; for
employment events `payload` is `{id, person_id}` (one employment per person here, with the person's id).
TOKEN sends the token verbatim in `Authorization`, CUSTOM its headers, NONE nothing.

Sending happens on background threads (admin calls only enqueue). An attempt succeeds with a 2xx within 3 s;
redirects are not followed. Personio retries an event up to 6 times over up to 3 days; the sandbox compresses
that to 4 attempts in all, after 1, 4 and 16 s (`retry_delays`, settable with `POST /_admin/webhooks`), on no
answer within 3 s, a refused connection or a 5xx other than 501. Any other answer ends the event (counted as
`failed`). Counters and the latest deliveries: `GET /_admin/webhooks`.
"""

from __future__ import annotations

import heapq
import http.client
import itertools
import json
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from sandbox.core import JSON, Handler, Request, Response

COMPANY_ID = "1"
EVENTS = frozenset(
    {
        "person.created",
        "person.updated",
        "person.deleted",
        "employment.created",
        "employment.updated",
        "employment.deleted",
    }
)
PERSON_FIELDS = frozenset({"first_name", "last_name", "preferred_name", "gender", "language", "email"})
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
DELIVERY_TIMEOUT = 3.0  # Personio's acknowledgement deadline
SENDERS = 4


def _stamp() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class Webhook:
    """One subscription; `token` and `custom_headers` are write-only."""

    id: str
    url: str
    enabled_events: list[str]
    description: str | None = None
    status: str = "DISABLED"
    auth_type: str = "TOKEN"
    token: str | None = field(default=None, repr=False)
    custom_headers: dict[str, str] = field(default_factory=dict, repr=False)
    created_at: str = field(default_factory=_stamp)
    updated_at: str = field(default_factory=_stamp)

    def public(self) -> JSON:
        return {
            "id": self.id,
            "url": self.url,
            "description": self.description,
            "status": self.status,
            "auth_type": self.auth_type,
            "enabled_events": list(self.enabled_events),
            "custom_headers": sorted(self.custom_headers),  # names only
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }


@dataclass(order=True)
class Delivery:
    """One event for one webhook, due at `due` (monotonic seconds)."""

    due: float
    seq: int
    webhook_id: str = field(compare=False)
    event: JSON = field(compare=False)
    attempt: int = field(default=1, compare=False)


class WebhookError(ValueError):
    """A refused management request; `status` is the HTTP status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _validate(body: Any, current: Webhook | None) -> JSON:
    """The fields of a create (current None) or an update, checked; raises WebhookError."""
    if not isinstance(body, dict):
        raise WebhookError(400, "The body must be a JSON object")
    out: JSON = {}
    if "url" in body or current is None:
        url = body.get("url")
        if not isinstance(url, str) or not url:
            raise WebhookError(422, "url is required")
        parts = urlsplit(url)
        if not (parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in LOOPBACK)) or not parts.netloc:
            raise WebhookError(422, "url must be an HTTPS URL")
        out["url"] = url
    if "description" in body:
        if body["description"] is not None and not isinstance(body["description"], str):
            raise WebhookError(422, "description must be a string")
        out["description"] = body["description"]
    if "status" in body:
        if body["status"] not in ("ENABLED", "DISABLED"):
            raise WebhookError(422, "status must be ENABLED or DISABLED")
        out["status"] = body["status"]
    if "auth_type" in body:
        if body["auth_type"] not in ("NONE", "TOKEN", "CUSTOM"):
            raise WebhookError(422, "auth_type must be NONE, TOKEN or CUSTOM")
        out["auth_type"] = body["auth_type"]
    if "token" in body:
        if body["token"] is not None and not isinstance(body["token"], str):
            raise WebhookError(422, "token must be a string")
        out["token"] = body["token"]
    if "custom_headers" in body:
        headers = body["custom_headers"]
        if not isinstance(headers, dict) or len(headers) > 3 or not all(isinstance(v, str) for v in headers.values()):
            raise WebhookError(422, "custom_headers must be an object of at most 3 string values")
        out["custom_headers"] = dict(headers)
    if "enabled_events" in body or current is None:
        events = body.get("enabled_events")
        if not isinstance(events, list) or not events or not all(e in EVENTS for e in events):
            raise WebhookError(422, f"enabled_events must be a non-empty list of {sorted(EVENTS)}")
        out["enabled_events"] = list(dict.fromkeys(events))
    auth = out.get("auth_type", current.auth_type if current else "TOKEN")
    token = out.get("token", current.token if current else None)
    headers = out.get("custom_headers", current.custom_headers if current else {})
    if auth == "TOKEN" and not token:
        raise WebhookError(422, "auth_type TOKEN needs a token")
    if auth == "CUSTOM" and not headers:
        raise WebhookError(422, "auth_type CUSTOM needs custom_headers")
    return out


class Webhooks:
    """Subscriptions, their management routes and the delivery threads of one Personio sandbox."""

    def __init__(self, authorize: Callable[[Request], str | None], error: Callable[[int, str], Response]) -> None:
        self._authorize = authorize  # the problem with the request's bearer token, or None
        self._error = error
        self.hooks: dict[str, Webhook] = {}
        self.retry_delays: list[float] = [1.0, 4.0, 16.0]
        self.counters: dict[str, int] = {}
        self.log: deque[JSON] = deque(maxlen=500)
        self._lock = threading.Condition()
        self._queue: list[Delivery] = []
        self._seq = itertools.count()
        self._in_flight = 0
        self._senders: list[threading.Thread] = []
        self.reset_counters()

    def reset_counters(self) -> None:
        with self._lock:
            self.counters = dict.fromkeys(
                ("events", "requests", "delivered", "failed_requests", "retries", "failed", "gave_up", "dropped"), 0
            )
            self.log.clear()

    # -- the management API -------------------------------------------------------------------
    def api_routes(self) -> list[tuple[str, str, Handler, str]]:
        return [
            ("GET", "/v2/webhooks", self._list, "webhooks"),
            ("POST", "/v2/webhooks", self._create, "webhooks"),
            ("GET", "/v2/webhooks/{webhook_id}", self._get, "webhook"),
            ("PATCH", "/v2/webhooks/{webhook_id}", self._update, "webhook"),
            ("DELETE", "/v2/webhooks/{webhook_id}", self._delete, "webhook"),
        ]

    def _guard(self, request: Request, action: Callable[[], Response]) -> Response:
        problem = self._authorize(request)
        if problem is not None:
            return self._error(401, problem)
        try:
            with self._lock:
                return action()
        except WebhookError as exc:
            return self._error(exc.status, str(exc))

    def _list(self, request: Request) -> Response:
        def action() -> Response:
            raw_limit, cursor = request.arg("limit", "50") or "50", request.arg("cursor") or "0"
            if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= 100 or not cursor.isdigit():
                raise WebhookError(400, "limit must be 1..100 and cursor one this API returned")
            limit, offset = int(raw_limit), int(cursor)
            hooks = sorted(self.hooks.values(), key=lambda h: (h.created_at, h.id))
            base = f"http://{request.headers.get('host', '127.0.0.1')}/v2/webhooks"
            links: JSON = {"self": {"href": f"{base}?limit={limit}&cursor={offset}"}}
            if offset + limit < len(hooks):
                links["next"] = {"href": f"{base}?limit={limit}&cursor={offset + limit}"}
            data = [h.public() for h in hooks[offset : offset + limit]]
            return Response(body={"_data": data, "_meta": {"links": links}})

        return self._guard(request, action)

    def _find(self, webhook_id: str) -> Webhook:
        hook = self.hooks.get(webhook_id)
        if hook is None:
            raise WebhookError(404, "The requested webhook was not found")
        return hook

    def _check_url(self, url: str | None, own_id: str | None) -> None:
        if url is not None and any(h.url == url and h.id != own_id for h in self.hooks.values()):
            raise WebhookError(409, "A webhook for this url already exists")

    def _create(self, request: Request) -> Response:
        def action() -> Response:
            try:
                body = request.json()
            except ValueError:
                raise WebhookError(400, "The body must be JSON") from None
            fields = _validate(body, None)
            self._check_url(fields["url"], None)
            hook = Webhook(id=str(uuid.uuid4()), **fields)
            self.hooks[hook.id] = hook
            return Response(status=201, body=hook.public())

        return self._guard(request, action)

    def _get(self, request: Request, webhook_id: str) -> Response:
        return self._guard(request, lambda: Response(body=self._find(webhook_id).public()))

    def _update(self, request: Request, webhook_id: str) -> Response:
        def action() -> Response:
            hook = self._find(webhook_id)
            try:
                body = request.json()
            except ValueError:
                raise WebhookError(400, "The body must be JSON") from None
            fields = _validate(body, hook)
            self._check_url(fields.get("url"), hook.id)
            for key, value in fields.items():
                setattr(hook, key, value)
            hook.updated_at = _stamp()
            return Response(body=hook.public())

        return self._guard(request, action)

    def _delete(self, request: Request, webhook_id: str) -> Response:
        def action() -> Response:
            self.hooks.pop(self._find(webhook_id).id)
            return Response(status=204)

        return self._guard(request, action)

    # -- admin --------------------------------------------------------------------------------
    def admin_routes(self) -> list[tuple[str, str, Handler]]:
        return [("GET", "/_admin/webhooks", self._admin_get), ("POST", "/_admin/webhooks", self._admin_set)]

    def _admin_get(self, _request: Request) -> Response:
        with self._lock:
            body = {
                "webhooks": [h.public() for h in self.hooks.values()],
                "retry_delays": self.retry_delays,
                "counters": {**self.counters, "pending": len(self._queue) + self._in_flight},
                "log": list(self.log),
            }
        return Response(body=body)

    def _admin_set(self, request: Request) -> Response:
        """`{"retry_delays": [seconds, ...]}` (one per retry) and/or `{"reset": true}` (counters and log)."""
        try:
            body = request.json()
        except ValueError:
            body = None
        delays = body.get("retry_delays") if isinstance(body, dict) else None
        if not isinstance(body, dict) or (
            delays is not None
            and (not isinstance(delays, list) or not all(isinstance(d, int | float) and d >= 0 for d in delays))
        ):
            return Response(status=400, body={"error": 'send {"retry_delays": [seconds, ...], "reset": true|false}'})
        if delays is not None:
            with self._lock:
                self.retry_delays = [float(d) for d in delays]
        if body.get("reset"):
            self.reset_counters()
        return self._admin_get(request)

    # -- deliveries ---------------------------------------------------------------------------
    def company_changed(self, kind: str, emp_id: int, keys: tuple[str, ...]) -> None:
        """The company's change listener: enqueue the events the change makes (called under the data lock)."""
        if kind == "hire":
            names = ["person.created", "employment.created"]
        elif kind == "delete":
            names = ["person.deleted", "employment.deleted"]
        else:
            person = any(k in PERSON_FIELDS or k.startswith("dynamic_") for k in keys)
            job = any(not (k in PERSON_FIELDS or k.startswith("dynamic_")) for k in keys)
            names = [n for n, hit in (("person.updated", person), ("employment.updated", job)) if hit]
        occurred = _stamp()
        with self._lock:
            for hook in self.hooks.values():
                if hook.status != "ENABLED":
                    continue
                for name in names:
                    if name not in hook.enabled_events:
                        continue
                    payload: JSON = {"id": str(emp_id)}
                    if name.startswith("employment."):
                        payload["person_id"] = str(emp_id)
                    event = {
                        "company_id": COMPANY_ID,
                        "event_name": name,
                        "occurred_at": occurred,
                        "payload": payload,
                        "meta": {"delivery_id": str(uuid.uuid4()), "webhook_id": hook.id},
                    }
                    self.counters["events"] += 1
                    heapq.heappush(self._queue, Delivery(time.monotonic(), next(self._seq), hook.id, event))
            self._ensure_senders()
            self._lock.notify_all()

    def _ensure_senders(self) -> None:
        if not self._senders:
            for number in range(SENDERS):
                thread = threading.Thread(target=self._send_forever, name=f"personio-webhooks-{number}", daemon=True)
                thread.start()
                self._senders.append(thread)

    def _send_forever(self) -> None:
        while True:
            with self._lock:
                while not self._queue or self._queue[0].due > time.monotonic():
                    self._lock.wait(None if not self._queue else self._queue[0].due - time.monotonic())
                delivery = heapq.heappop(self._queue)
                hook = self.hooks.get(delivery.webhook_id)
                if hook is None or hook.status != "ENABLED":
                    self.counters["dropped"] += 1
                    continue
                self._in_flight += 1
                url, headers = hook.url, self._headers(hook)
            try:
                status, error = self._post(url, headers, delivery)
            finally:
                with self._lock:
                    self._in_flight -= 1
            self._record(delivery, status, error)

    @staticmethod
    def _headers(hook: Webhook) -> dict[str, str]:
        headers = {"Content-Type": "application/json", "User-Agent": "personio-sandbox-webhooks"}
        if hook.auth_type == "TOKEN" and hook.token:
            headers["Authorization"] = hook.token
        elif hook.auth_type == "CUSTOM":
            headers.update(hook.custom_headers)
        return headers

    @staticmethod
    def _post(url: str, headers: dict[str, str], delivery: Delivery) -> tuple[int | None, str | None]:
        """One attempt; (status, None) or (None, what went wrong). Redirects are not followed."""
        parts = urlsplit(url)
        event = {**delivery.event, "meta": {**delivery.event["meta"], "attempt": delivery.attempt}}
        body = json.dumps(event).encode()
        kind = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        connection = kind(parts.hostname or "127.0.0.1", parts.port, timeout=DELIVERY_TIMEOUT)
        try:
            target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            connection.request("POST", target, body=body, headers=headers)
            answer = connection.getresponse()
            answer.read()
            return answer.status, None
        except TimeoutError:
            return None, "no answer within 3 s"
        except OSError as exc:
            return None, type(exc).__name__
        except http.client.HTTPException as exc:
            return None, type(exc).__name__
        finally:
            connection.close()

    def _record(self, delivery: Delivery, status: int | None, error: str | None) -> None:
        retryable = status is None or (status >= 500 and status != 501)
        with self._lock:
            self.counters["requests"] += 1
            entry: JSON = {
                "webhook_id": delivery.webhook_id,
                "event_name": delivery.event["event_name"],
                "id": delivery.event["payload"]["id"],
                "attempt": delivery.attempt,
                "status": status,
                "error": error,
            }
            self.log.append(entry)
            if status is not None and 200 <= status < 300:
                self.counters["delivered"] += 1
                return
            self.counters["failed_requests"] += 1
            if not retryable:
                self.counters["failed"] += 1
                return
            if delivery.attempt > len(self.retry_delays):
                self.counters["gave_up"] += 1
                return
            self.counters["retries"] += 1
            delay = self.retry_delays[delivery.attempt - 1]
            retry = Delivery(
                time.monotonic() + delay, next(self._seq), delivery.webhook_id, delivery.event, delivery.attempt + 1
            )
            heapq.heappush(self._queue, retry)
            self._lock.notify_all()
