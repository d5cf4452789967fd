"""Leapsome's Content API (OpenAPI 1.0.1) under `/v1`: the token exchange and `GET /employees`.

Only what a client of the users' invite state needs; the same organisation the SCIM API writes, so a user
created through SCIM is listed here at once. From the spec:
- `GET /v1/token?secret=<CONTENT_API_SECRET>` (no auth) → `{token, expiresIn: 18000}`; a missing or wrong
  secret → 401. The secret is not the SCIM token, and the SCIM token is not a secret here (and the other
  way round).
- `GET /v1/employees` needs `Authorization: Bearer <token>` (401 without, or with an unknown or expired
  one). Filters `email`, `employeeId` (24 hex), `displayedName` (partial, case-insensitive), `status`
  (the spec's enum); `page` ≥ 1 (default 1), `pageSize` 1..1000 (default 100). Answer
  `{data: [Employee], meta: {page, pageSize, totalCount}}`, `totalCount` counting every match.
- 20 requests in any 1 s window across `/v1` → 429 (no Retry-After unless the knob says so).

Choices where the spec is silent:
- `status`: `deactivated` for an inactive user; otherwise the invite state: `created` (never invited),
  `invited` (not accepted yet) or `active` (accepted). A user created through SCIM starts `created`, or
  `invited` with the organisation option `auto_invite`; the hand-made and preloaded users have accepted.
  `removed` and the pre-boarding states never occur (the sandbox deletes nobody and has no pre-boarding).
- An Employee carries `id, email, firstname, lastname, fullname, displayedName, status, title`, `level`
  and `startDate`/`endDate` (midnight UTC) when set, `manager {id, name}` when set,
  `additionalManagers`, `teams` (every team the user is in), `departments`/`costCenters`/`divisions`
  (the team each enterprise attribute names) and `customAttributes` (the enterprise custom attribute
  ids). No `externalId` (the spec has none), no `lifecycleStatus` (nothing SCIM writes sets it).
- `email` matches case-insensitively and exactly; `employeeId` that is not 24 hex, an unknown `status`,
  or a `page`/`pageSize` out of range or not an integer → 400. Unknown parameters are ignored.
- Errors are `{"message": ...}` (the spec documents statuses only). Order: creation order.
- Tokens are JWT-shaped, unsigned in any useful sense, valid 18000 s; `POST /_admin/content/tokens/expire`
  expires every token issued so far, so clients can be tested for re-authentication.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import threading
import time
from typing import TYPE_CHECKING, Any

from sandbox.core import Handler, Request, Response
from sandbox.leapsome import CONTENT_API_SECRET
from sandbox.leapsome.changes import CUSTOM_ATTRIBUTE
from sandbox.leapsome.store import ScimError, User

if TYPE_CHECKING:
    from sandbox.leapsome.app import LeapsomeSandbox

CONTENT_PREFIX = "/v1"
TOKEN_LIFETIME = 18000  # seconds, the spec's example `expiresIn`
MAX_PAGE_SIZE = 1000
DEFAULT_PAGE_SIZE = 100
STATUSES = ("created", "active", "invited", "removed", "deactivated", "preBoardingInvited", "preBoardingActive")
LEAPSOME_ID = re.compile(r"[0-9a-f]{24}")
TEAM_LISTS = (("department", "departments"), ("costCenter", "costCenters"), ("division", "divisions"))
JSON = dict[str, Any]


def error(message: str) -> JSON:
    """The Content API's error body (the spec documents none: a plain message)."""
    return {"message": message}


def _b64(data: JSON) -> str:
    return base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).rstrip(b"=").decode()


class ContentApi:
    """The Content API routes of one `LeapsomeSandbox`, and the tokens it has issued."""

    def __init__(self, app: LeapsomeSandbox) -> None:
        self.app = app
        self.organisation = app.organisation
        self._tokens: dict[str, float] = {}  # token -> expiry (time.time())
        self._lock = threading.Lock()

    def routes(self) -> list[tuple[str, str, Handler]]:
        return [
            ("GET", "/token", self.token),
            ("GET", "/employees", self._authorised(self.employees)),
        ]

    # -- tokens ---------------------------------------------------------------------------------
    def token(self, request: Request) -> Response:
        secret = request.arg("secret")
        if not secret or not secrets.compare_digest(secret, CONTENT_API_SECRET):
            return Response(status=401, body=error("Authorization failed: the secret is missing or incorrect"))
        now = time.time()
        claims = {"iat": int(now), "exp": int(now) + TOKEN_LIFETIME, "jti": secrets.token_hex(8)}
        token = f"{_b64({'alg': 'HS256', 'typ': 'JWT'})}.{_b64(claims)}.{secrets.token_urlsafe(32)}"
        with self._lock:
            self._tokens[token] = now + TOKEN_LIFETIME
        return Response(body={"token": token, "expiresIn": TOKEN_LIFETIME})

    def expire_tokens(self) -> int:
        """Expire every token issued so far; answers how many were still valid."""
        with self._lock:
            now = time.time()
            valid = sum(1 for expiry in self._tokens.values() if expiry > now)
            self._tokens.clear()
        return valid

    def _authorised(self, handler: Handler) -> Handler:
        """Check the bearer token, hold the data lock, answer ScimError as the Content API's error."""

        def guarded(request: Request, **params: str) -> Response:
            scheme, _, token = request.headers.get("authorization", "").partition(" ")
            with self._lock:
                expiry = self._tokens.get(token.strip()) if scheme.lower() == "bearer" else None
            if expiry is None or expiry <= time.time():
                return Response(status=401, body=error("Authorization failed: the token is missing or invalid"))
            try:
                with self.organisation.lock:
                    return handler(request, **params)
            except ScimError as exc:
                return Response(status=exc.status, body=error(exc.detail))

        return guarded

    # -- employees ------------------------------------------------------------------------------
    def employees(self, request: Request) -> Response:
        page = _integer(request, "page", 1, 1, None)
        size = _integer(request, "pageSize", DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE)
        o = self.organisation
        users = [o.users[i] for i in o.user_order]
        email = request.arg("email")
        if email:
            users = [u for u in users if u.user_name.lower() == email.lower()]
        employee_id = request.arg("employeeId")
        if employee_id:
            if not LEAPSOME_ID.fullmatch(employee_id):
                raise ScimError(400, "employeeId must be a Leapsome id (24 hexadecimal characters)")
            users = [u for u in users if u.id == employee_id]
        name = request.arg("displayedName")
        if name:
            users = [u for u in users if name.lower() in u.shown_name.lower()]
        status = request.arg("status")
        if status:
            if status not in STATUSES:
                raise ScimError(400, f"status must be one of {', '.join(STATUSES)}")
            users = [u for u in users if u.status == status]
        shown = users[(page - 1) * size : page * size]
        return Response(
            body={
                "data": [self.employee(u) for u in shown],
                "meta": {"page": page, "pageSize": size, "totalCount": len(users)},
            }
        )

    def employee(self, u: User) -> JSON:
        """One `Employee`: see the module docstring for what is filled and how."""
        o = self.organisation

        def ref(user_id: str) -> JSON:
            other = o.users.get(user_id)
            return {"id": user_id, "name": other.shown_name if other else ""}

        def team_ref(group_id: str) -> JSON:
            return {"id": group_id, "name": o.groups[group_id].display_name}

        teams = sorted(u.teams, key=lambda g: o.groups[g].created)
        body: JSON = {
            "id": u.id,
            "email": u.user_name,
            "firstname": u.given_name,
            "lastname": u.family_name,
            "fullname": f"{u.given_name} {u.family_name}".strip() or u.user_name,
            "displayedName": u.shown_name,
            "status": u.status,
            "title": u.title,
            "additionalManagers": [ref(m) for m in u.additional_manager_ids],
            "teams": [team_ref(g) for g in teams],
            "customAttributes": {k: v for k, v in u.enterprise.items() if CUSTOM_ATTRIBUTE.fullmatch(k)},
        }
        for attribute, key in TEAM_LISTS:
            named = u.enterprise.get(attribute)
            body[key] = [team_ref(g) for g in teams if named and o.groups[g].display_name.lower() == named.lower()]
        if u.manager_id:
            body["manager"] = ref(u.manager_id)
        if u.enterprise.get("level"):
            body["level"] = u.enterprise["level"]
        for attribute in ("startDate", "endDate"):
            if u.enterprise.get(attribute):
                body[attribute] = f"{u.enterprise[attribute]}T00:00:00.000Z"
        return body


def _integer(request: Request, name: str, default: int, low: int, high: int | None) -> int:
    raw = request.arg(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ScimError(400, f"{name} must be an integer") from None
    if value < low or (high is not None and value > high):
        raise ScimError(400, f"{name} must be between {low} and {high}" if high else f"{name} must be {low} or more")
    return value
