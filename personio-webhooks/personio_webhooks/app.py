"""The HTTP side: Personio's deliveries in, `/health` out, acknowledged before anything slow happens.

Personio wants a 2xx within 3 s and retries otherwise, so a delivery is checked, counted and answered
at once (202); the sync it triggers runs later, from the receiver's loop. Personio sends the configured
token verbatim in `Authorization` (auth type TOKEN); it is compared in constant time. A delivery that
fails authentication (401) or is not a well-formed event (400) triggers nothing. Only the event name and
the ids in its (dataless) payload are logged.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from personio_webhooks.receiver import Receiver
from personio_webhooks.settings import Settings

log = logging.getLogger("personio_webhooks")
MAX_BODY = 64 * 1024  # a dataless event is a few hundred bytes
TRIGGERS = ("person.", "employment.")


class Malformed(ValueError):
    """The body is not a Personio event."""


def parse_event(body: bytes) -> tuple[str, dict[str, str]]:
    """The event name and the ids worth logging, or Malformed; never returns other payload data."""
    try:
        event = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise Malformed("the body is not JSON") from None
    if not isinstance(event, dict):
        raise Malformed("the body is not a JSON object")
    name, company, occurred, payload = (event.get(k) for k in ("event_name", "company_id", "occurred_at", "payload"))
    if not isinstance(name, str) or not name:
        raise Malformed("event_name is missing")
    if not isinstance(company, str | int) or isinstance(company, bool):
        raise Malformed("company_id is missing")
    if not isinstance(occurred, str):
        raise Malformed("occurred_at is missing")
    try:
        datetime.fromisoformat(occurred)
    except ValueError:
        raise Malformed("occurred_at is not a date-time") from None
    if not isinstance(payload, dict):
        raise Malformed("payload is not an object")
    if "meta" in event and not isinstance(event["meta"], dict | None):
        raise Malformed("meta is not an object")
    ids = {
        key: str(value)
        for key, value in payload.items()
        if (key == "id" or key.endswith("_id")) and isinstance(value, str | int) and not isinstance(value, bool)
    }
    return name, ids


def create_app(settings: Settings, receiver: Receiver | None = None) -> Starlette:
    """The receiver's ASGI app; the token is required here, so no app exists without one."""
    expected = settings.require_token().encode()
    runs = receiver or Receiver(settings.command, settings.quiet_period, settings.max_delay, settings.shutdown_timeout)

    def reject(status: int, reason: str) -> JSONResponse:
        if status == 401:
            runs.counters.rejected_unauthorized += 1
        else:
            runs.counters.rejected_malformed += 1
        log.warning("delivery refused (%d): %s", status, reason)
        return JSONResponse({"error": reason}, status_code=status)

    async def delivery(request: Request) -> JSONResponse:
        given = request.headers.get("authorization", "").encode()
        if not hmac.compare_digest(given, expected):
            return reject(401, "missing or wrong Authorization token")
        length = request.headers.get("content-length", "")
        if length.isdigit() and int(length) > MAX_BODY:
            return reject(400, "the body is too large for an event")
        body = await request.body()
        if len(body) > MAX_BODY:
            return reject(400, "the body is too large for an event")
        try:
            name, ids = parse_event(body)
        except Malformed as exc:
            return reject(400, str(exc))
        shown = " ".join(f"{k}={v}" for k, v in sorted(ids.items()))
        if not name.startswith(TRIGGERS):
            runs.counters.events_ignored += 1
            log.info("event %s %s: not a person or employment event, ignored", name, shown)
            return JSONResponse({"accepted": True, "triggers_sync": False}, status_code=202)
        runs.accept()
        log.info("event %s %s", name, shown)
        return JSONResponse({"accepted": True, "triggers_sync": True}, status_code=202)

    async def health(_request: Request) -> JSONResponse:
        body: dict[str, Any] = {"status": "ok", **runs.status()}
        return JSONResponse(body)

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        runs.start()
        log.info(
            "receiving Personio webhooks on %s (quiet period %g s, max delay %g s)",
            settings.path,
            settings.quiet_period,
            settings.max_delay,
        )
        try:
            yield
        finally:
            await runs.stop()

    routes = [Route(settings.path, delivery, methods=["POST"]), Route("/health", health, methods=["GET"])]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.receiver = runs
    return app
