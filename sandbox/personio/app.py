"""The Personio sandbox's API surface: v1 auth and employees, v2 token and org units, errors, rate limits.

Routes: `POST /v1/auth`, `POST /v2/auth/token`, `GET /v1/company/employees`, `GET
/v1/company/employees/{id}`, `GET /v1/company/employees/attributes` (alias `/custom-attributes`),
`GET /v2/org-units?type=department|team` (needs `Beta: true`), `GET /v2/org-units/{id}?type=...`,
`GET|POST /v2/webhooks`, `GET|PATCH|DELETE /v2/webhooks/{id}`; changes to employees are delivered to the
enabled webhooks from background threads (`sandbox/personio/webhooks.py` says how, with its choices).

Admin endpoints (no auth, limits, faults or counting): see `sandbox/personio/admin.py`.

Choices where the specs are silent (docs/design.md, plus these):
- Tokens: `papi-` + 40 hex, one per credential pair for 24 h; v1 and v2 tokens are the same token and
  work everywhere. Missing token: 401 "Authorization is not provided"; unknown or expired: 401.
  v1 resource responses echo `Authorization: Bearer <token>` (clients must not rely on it).
- `/v1/auth`: JSON or form body; any `client_id`/`client_secret` in the query string: 403. Missing
  fields: 400; wrong credentials: 401 (v1 error shape).
- `/v2/auth/token`: form body only (JSON: 400 invalid_request); every failure is a 400
  OAuth2TokenErrorResponse (`invalid_request`, `unsupported_grant_type`, `invalid_client`), the only
  status its spec documents.
- Employees: id ascending; `limit` 1..100, default 50, anything else (incl. non-integers) 400; `offset`
  a record offset >= 0; `total_pages` = ceil(total / limit) (0 when empty); `current_page` =
  offset // limit. `email` matches case-insensitively and is ignored when `updated_since` is given.
- `updated_since`: strict "after" (option `updated_since`). Accepted: `YYYY-MM-DD`,
  `YYYY-MM-DDTHH:MM[:SS[.ffffff]]`, optionally with `Z` or `+HH:MM`. No offset: Europe/Berlin wall time
  (option `naive_timezone`). An unencoded `+` (arrives as a space): 400.
- `attributes[]`: `id` is always returned; unknown or hidden names are silently ignored. With
  `updated_since` the employee must have a change in a listed attribute after it (per-attribute
  change times; `last_modified_at` itself counts as changed whenever the employee was).
- Empty relations (no team, no supervisor) are `"value": null`; empty cost centers `[]`. Tags values are
  a JSON-encoded list string; decimal values are JSON numbers; dates carry a Berlin midnight offset.
- Renaming a department bumps nobody (option `rename_bumps_members`). A supervisor's name/email change
  re-renders their reports' supervisor shape without bumping them. Deleting an employee clears their
  reports' supervisor, which is a change to each report.
- v2 org units: ids are v1 department ids as strings; teams are served for `type=team` (no parents).
  Missing `Beta: true` on the list: 404; missing/invalid `type`: 400; `limit` 1..100 default 20;
  `sort` id|-id|name|-name; the cursor is opaque (`cur_...`) and carries type, sort and limit, so
  `next.href` (absolute, built from the Host header) works as given; the last page has no `next`.
  `include_parent_chain=true` adds `parent_chain` (ids only on the list, full units on the single get).
  The single get returns the unit itself, unwrapped.
- Rate limits (sliding windows): employee endpoints 15 in any second and 300 in any minute; `/v1/auth`
  60/min; `/v2/auth/token` 150/min; no limit on v2 resources (none published). 429 bodies use the
  v1 or v2 error shape by path.
- An `email` shared by several employees (realistic data) finds all of them; an employee without email
  is found by none.

Options for what the documentation leaves open (`sandbox/personio/options.py`). Each offers the
plausible readings, so the tap can be tested under every one; the defaults keep what this sandbox
always did. Set them as `PersonioSandbox(...)` keyword arguments (so `personio_factory(option=value)`),
at run time with `POST /_admin/options {"option": value}`, or as CLI flags:
- `updated_since` (`--updated-since`): Personio says "updated since" without saying whether a change
  at exactly that instant counts. "exclusive" (default): changed strictly after it; "inclusive": at or
  after it (so a client passing its last seen `last_modified_at` gets that employee again). With
  `attributes[]` the per-attribute change times are compared the same way.
- `naive_timezone` (`--naive-timezone`): the zone of an `updated_since` without an offset (or a bare
  date). "Europe/Berlin" (default): the company's wall time; "UTC". Values with an offset are always
  honoured, and timestamps are always rendered with the Berlin offset.
- `rename_bumps_members` (`--rename-bumps-members`): false (default): renaming a department
  (`PATCH /_admin/departments/{id}`) changes nobody's `last_modified_at`, so an incremental employees
  read does not see it; true: each member's `last_modified_at` and `department` change time move to
  the rename (only when the name really changes), so it does.

Realistic data (`PersonioSandbox(realistic=True)`, `personio_factory(realistic=True)`, `--realistic`;
off by default): the generated company also holds employees without email, shared emails, emails in
another domain, active employees with an inactive supervisor, two-person supervision cycles, over-long
and right-to-left names and a department without a name, deterministic for (employees, seed). Their
ids are `app.org.planted` and `GET /_admin/planted`; see `sandbox/personio/org.py` for each kind. The
rest of the company is the one the same seed gives without it.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from sandbox.core import JSON, Handler, Knobs, Request, Response, SandboxApp, SlidingWindowLimiter
from sandbox.personio import CLIENT_ID, CLIENT_SECRET
from sandbox.personio import attributes as catalog
from sandbox.personio.admin import PersonioAdmin
from sandbox.personio.clock import parse_since
from sandbox.personio.options import Options
from sandbox.personio.org import Department, Org, generate
from sandbox.personio.store import CompanyError, PersonioCompany
from sandbox.personio.tokens import Tokens
from sandbox.personio.webhooks import Webhooks

NOT_FOUND_V1 = "Es ist ein Problem aufgetreten "  # Personio's 404 message is localized
ERRORS_HUB = "https://developer.personio.de/reference/errors#"
V2_CODES = {
    400: ("Bad request", "common.bad_request"),
    401: ("Unauthorized", "common.unauthorized"),
    403: ("Forbidden", "common.forbidden"),
    404: ("Resource not found", "common.requested_resource_not_found"),
    405: ("Method not allowed", "common.bad_request"),
    429: ("Too many requests", "common.too_many_requests"),
    500: ("Internal Server Error", "common.internal_server_error"),
    502: ("Bad Gateway", "common.bad_gateway"),
    503: ("Service Unavailable", "common.service_unavailable"),
}
EMPLOYEE_ROUTES = frozenset({"employees", "employee", "attributes", "custom-attributes"})


@dataclass
class ScheduledAction:
    """A one-shot admin action waiting for `remaining` more employees-list answers; `entry` is its public log."""

    remaining: int
    run: Callable[[], Any]
    entry: JSON


class PersonioSandbox(SandboxApp):
    """Personio v1/v2 as the tap sees it; data from the org generator, mutated through `/_admin`."""

    name = "personio"

    def __init__(
        self,
        employees: int = 300,
        seed: int = 1,
        knobs: Knobs | None = None,
        *,
        updated_since: str = "exclusive",
        naive_timezone: str = "Europe/Berlin",
        rename_bumps_members: bool = False,
        realistic: bool = False,
    ) -> None:
        super().__init__(knobs or Knobs(seed=seed))
        self.options = Options()
        self.options.update(
            {
                "updated_since": updated_since,
                "naive_timezone": naive_timezone,
                "rename_bumps_members": rename_bumps_members,
            }
        )
        self.company = PersonioCompany(generate(employees, seed, realistic=realistic), self.options)
        self.tokens = Tokens()
        self.malformed_next_page = False
        self.org_units_enabled = True
        self.employees_per_minute = SlidingWindowLimiter(300, 60.0)
        self.employees_per_second = SlidingWindowLimiter(15, 1.0)
        self.auth_per_minute = SlidingWindowLimiter(60, 60.0)
        self.token_per_minute = SlidingWindowLimiter(150, 60.0)
        self._local = threading.local()
        self._scheduled: list[ScheduledAction] = []
        self.scheduled_log: list[JSON] = []
        api: list[tuple[str, str, Handler, str]] = [  # the last field names the route in counters and limits
            ("POST", "/v1/auth", self._v1_auth, "auth"),
            ("POST", "/v2/auth/token", self._v2_token, "token"),
            ("GET", "/v1/company/employees", self._employees, "employees"),
            ("GET", "/v1/company/employees/attributes", self._attributes, "attributes"),
            ("GET", "/v1/company/employees/custom-attributes", self._attributes, "custom-attributes"),
            ("GET", "/v1/company/employees/{employee_id}", self._employee, "employee"),
            ("GET", "/v2/org-units", self._org_units, "org-units"),
            ("GET", "/v2/org-units/{unit_id}", self._org_unit, "org-unit"),
        ]
        for method, path, handler, name in api:
            self.route(method, path, handler, name)
        for method, path, handler in PersonioAdmin(self).routes():
            self.admin(method, path, handler)
        self.webhooks = Webhooks(self._bearer_problem, v2_error)
        for method, path, handler, name in self.webhooks.api_routes():
            self.route(method, path, handler, name)
        for method, path, handler in self.webhooks.admin_routes():
            self.admin(method, path, handler)
        self.company.listeners.append(self.webhooks.company_changed)

    @property
    def org(self) -> Org:
        """The company being served; `org.planted` names the awkward cases of a realistic one."""
        return self.company.org

    def warm_cache(self, chunk: int = 500) -> None:
        """Render every employee ahead of the first full read (50,000 take ~10 s on a slow core).

        Renders in chunks under the data lock so requests interleave; safe to run in a thread.
        """
        with self.lock:
            pending = list(self.company.ids)
        for start in range(0, len(pending), chunk):
            with self.lock:
                for emp_id in pending[start : start + chunk]:
                    if emp_id in self.company.people:
                        self.company.encoded(emp_id)

    def after_employee_requests(self, count: int, run: Callable[[], Any], entry: JSON) -> None:
        """Run `run` inside the `count`-th employees-list answer from now (see the module docstring)."""
        with self.lock:
            entry.update({"fired": False, "result": None})
            self._scheduled.append(ScheduledAction(count, run, entry))
            self.scheduled_log.append(entry)

    def _employee_list_answered(self) -> None:
        """Count one answered list request and run what is due; the caller holds the lock."""
        for item in self._scheduled:
            item.remaining -= 1
        due = [item for item in self._scheduled if item.remaining <= 0]
        self._scheduled = [item for item in self._scheduled if item.remaining > 0]
        for item in due:
            item.entry["fired"] = True
            try:
                item.entry["result"] = item.run()
            except CompanyError as exc:  # e.g. the employee was deleted meanwhile: say so, do not crash
                item.entry["error"] = str(exc)

    # -- hooks --------------------------------------------------------------------------------
    def handle(self, request: Request) -> Response:
        self._local.path = request.path  # so error_response can pick the v1 or v2 shape
        return super().handle(request)

    def error_response(self, status: int, message: str) -> Response:
        path = getattr(self._local, "path", "")
        if path.startswith("/v2/"):
            return v2_error(status, message)
        return v1_error(status, message)

    def limiters_for(self, request: Request, route_name: str) -> list[SlidingWindowLimiter]:
        if route_name in EMPLOYEE_ROUTES:
            return [self.employees_per_second, self.employees_per_minute]
        if route_name == "auth":
            return [self.auth_per_minute]
        if route_name == "token":
            return [self.token_per_minute]
        return []  # v2 resource limits are not published

    # -- auth ---------------------------------------------------------------------------------
    def _v1_auth(self, request: Request) -> Response:
        if "client_id" in request.query or "client_secret" in request.query:
            return v1_error(403, "Credentials in the query string are no longer accepted; send them in the body")
        body = _credentials(request)
        if body is None or not body.get("client_id") or not body.get("client_secret"):
            return v1_error(400, "client_id and client_secret are required")
        if body.get("client_id") != CLIENT_ID or body.get("client_secret") != CLIENT_SECRET:
            return v1_error(401, "Wrong credentials")
        token, expires_in = self.tokens.issue()
        data = {"token": token, "expires_in": expires_in, "scope": "employees:read"}
        return Response(body={"success": True, "data": data}, headers={"Authorization": f"Bearer {token}"})

    def _v2_token(self, request: Request) -> Response:
        if "json" in request.headers.get("content-type", ""):
            return oauth_error("invalid_request", "The body must be application/x-www-form-urlencoded")
        form = request.form()
        if form.get("grant_type") != "client_credentials":
            kind = "invalid_request" if "grant_type" not in form else "unsupported_grant_type"
            return oauth_error(kind, "grant_type must be client_credentials")
        if not form.get("client_id") or not form.get("client_secret"):
            return oauth_error("invalid_request", "client_id and client_secret are required")
        if form["client_id"] != CLIENT_ID or form["client_secret"] != CLIENT_SECRET:
            return oauth_error("invalid_client", "Client authentication failed")
        token, expires_in = self.tokens.issue()
        scope = form.get("scope") or "personio:persons:read personio:org-units:read"
        body = {"access_token": token, "token_type": "Bearer", "expires_in": expires_in, "scope": scope}
        return Response(body=body)

    def _bearer(self, request: Request) -> tuple[str | None, str]:
        header = request.headers.get("authorization", "")
        if not header:
            return None, "Authorization is not provided"
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not self.tokens.valid(token.strip()):
            return None, "The provided token is invalid or expired"
        return token.strip(), ""

    def _bearer_problem(self, request: Request) -> str | None:
        token, problem = self._bearer(request)
        return problem if token is None else None

    # -- v1 employees -------------------------------------------------------------------------
    def _employees(self, request: Request) -> Response:
        token, problem = self._bearer(request)
        if token is None:
            return v1_error(401, problem)
        try:
            limit = _int_arg(request, "limit", 50, 1, 100)
            offset = _int_arg(request, "offset", 0, 0, None)
            raw_since = request.arg("updated_since")
            since = parse_since(raw_since, self.options.naive_timezone) if raw_since is not None else None
        except ValueError as exc:
            return v1_error(400, f"Invalid parameter: {exc}")
        projection = [a for a in request.query.get("attributes[]", []) if a]
        email = request.arg("email")
        with self.lock:
            ids = self.company.select(since, email, projection or None)
            page = ids[offset : offset + limit]
            items = [self._item(emp_id, projection) for emp_id in page]
            malformed, self.malformed_next_page = self.malformed_next_page, False
            total = len(ids)
            self._employee_list_answered()
        head = {
            "success": True,
            "metadata": {
                "total_elements": total,
                "current_page": offset // limit,
                "total_pages": math.ceil(total / limit),
            },
            "offset": offset,
            "limit": limit,
        }
        prefix = json.dumps(head, separators=(",", ":")).encode()[:-1]
        body = prefix + b',"data":[' + b",".join(items) + b"]}"
        if malformed:
            body = body[: max(len(body) // 2, 1)]
        return Response(body=body, headers={"Authorization": f"Bearer {token}"})

    def _item(self, emp_id: int, projection: list[str]) -> bytes:
        if not projection:
            return self.company.encoded(emp_id)
        wrapped = self.company.wrapped(emp_id)
        keys = ["id", *(k for k in projection if k != "id")]
        attrs = {k: wrapped[k] for k in keys if k in wrapped}
        item = {"type": "Employee", "attributes": attrs}
        return json.dumps(item, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    def _employee(self, request: Request, employee_id: str) -> Response:
        token, problem = self._bearer(request)
        if token is None:
            return v1_error(401, problem)
        with self.lock:
            if not employee_id.isdigit() or int(employee_id) not in self.company.people:
                return v1_error(404, NOT_FOUND_V1)
            item = self.company.encoded(int(employee_id))
        body = b'{"success":true,"data":' + item + b"}"
        return Response(body=body, headers={"Authorization": f"Bearer {token}"})

    def _attributes(self, request: Request) -> Response:
        token, problem = self._bearer(request)
        if token is None:
            return v1_error(401, problem)
        with self.lock:
            hidden = set(self.company.hidden)
        data = [d.listing() for d in catalog.ALL if d.key not in hidden]
        return Response(body={"success": True, "data": data}, headers={"Authorization": f"Bearer {token}"})

    # -- v2 org units -------------------------------------------------------------------------
    def _org_units(self, request: Request) -> Response:
        token, problem = self._bearer(request)
        if token is None:
            return v2_error(401, problem)
        if request.headers.get("beta", "").strip().lower() != "true":
            return v2_error(404, "This is a Beta endpoint: send the header `Beta: true`")
        if not self.org_units_enabled:
            return v2_error(404, "The requested resource was not found")
        cursor_state: JSON = {}
        cursor = request.arg("cursor")
        if cursor:
            try:
                cursor_state = _decode_cursor(cursor)
            except ValueError:
                return v2_error(400, "The cursor is invalid")
        unit_type = request.arg("type") or cursor_state.get("t")
        sort = request.arg("sort") or cursor_state.get("s") or "id"
        if unit_type not in ("department", "team"):
            return v2_error(400, "The query parameter `type` is required: department or team")
        if sort not in ("id", "-id", "name", "-name"):
            return v2_error(400, "sort must be one of id, -id, name, -name")
        try:
            limit = _int_arg(request, "limit", int(cursor_state.get("l", 20)), 1, 100)
        except ValueError as exc:
            return v2_error(400, f"Invalid parameter: {exc}")
        chain = request.arg("include_parent_chain", "false") == "true"
        offset = int(cursor_state.get("o", 0))
        with self.lock:
            units = self._units(unit_type)
            units.sort(key=lambda u: u["id"] if sort.endswith("id") else (u["name"], u["id"]))
            if sort.startswith("-"):
                units.reverse()
            page = units[offset : offset + limit]
            data = [self._unit_out(u, chain, full_chain=False) for u in page]
        base = f"http://{request.headers.get('host', '127.0.0.1')}/v2/org-units"
        self_query = {"type": unit_type, "limit": limit, "sort": sort}
        links: JSON = {"self": {"href": f"{base}?{urlencode(self_query)}" + (f"&cursor={cursor}" if cursor else "")}}
        if offset + limit < len(units):
            state = {"o": offset + limit, "t": unit_type, "s": sort, "l": limit}
            links["next"] = {"href": f"{base}?{urlencode({**self_query, 'cursor': _encode_cursor(state)})}"}
        return Response(body={"_data": data, "_meta": {"links": links}})

    def _org_unit(self, request: Request, unit_id: str) -> Response:
        token, problem = self._bearer(request)
        if token is None:
            return v2_error(401, problem)
        unit_type = request.arg("type")
        if unit_type not in ("department", "team"):
            return v2_error(400, "The query parameter `type` is required: department or team")
        if not unit_id.isdigit():
            return v2_error(400, "The org unit id must be an integer")
        chain = request.arg("include_parent_chain", "false") == "true"
        with self.lock:
            found = next((u for u in self._units(unit_type) if u["id"] == int(unit_id)), None)
            if found is None:
                return v2_error(404, "The requested resource was not found.")
            return Response(body=self._unit_out(found, chain, full_chain=True))

    def _units(self, unit_type: str) -> list[JSON]:
        org = self.company.org
        if unit_type == "department":
            return [_department_unit(d) for d in org.departments.values()]
        return [
            {"id": i, "type": "team", "name": n, "abbreviation": None, "description": None, "parent": None}
            for i, n in org.teams.items()
        ]

    def _unit_out(self, unit: JSON, chain: bool, full_chain: bool) -> JSON:
        out = {
            "id": str(unit["id"]),
            "type": unit["type"],
            "name": unit["name"],
            "abbreviation": unit["abbreviation"],
            "description": unit["description"],
            "parent_id": str(unit["parent"]) if unit["parent"] is not None else None,
        }
        if chain:
            links: list[JSON] = []
            parent = unit["parent"]
            seen: set[int] = set()
            while parent is not None and parent not in seen:
                seen.add(parent)
                department = self.company.org.departments[parent]
                full = _department_unit(department)
                links.append(self._unit_out(full, False, False) if full_chain else {"id": str(parent)})
                parent = department.parent_id
            out["parent_chain"] = links
        return out


def _department_unit(department: Department) -> JSON:
    return {
        "id": department.id,
        "type": "department",
        "name": department.name,
        "abbreviation": department.abbreviation,
        "description": department.description,
        "parent": department.parent_id,
    }


def _credentials(request: Request) -> dict[str, Any] | None:
    content_type = request.headers.get("content-type", "")
    try:
        if "application/x-www-form-urlencoded" in content_type:
            return dict(request.form())
        parsed = request.json()
    except (ValueError, UnicodeDecodeError):
        return None
    return parsed if isinstance(parsed, dict) else None


def _int_arg(request: Request, name: str, default: int, low: int, high: int | None) -> int:
    raw = request.arg(name)
    if raw is None:
        return default
    if not raw.strip().isdigit():
        raise ValueError(f"{name} must be an integer")
    value = int(raw)
    if value < low or (high is not None and value > high):
        bound = f"{low}..{high}" if high is not None else f">= {low}"
        raise ValueError(f"{name} must be {bound}")
    return value


def _encode_cursor(state: JSON) -> str:
    raw = json.dumps(state, separators=(",", ":")).encode()
    return "cur_" + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> JSON:
    if not cursor.startswith("cur_"):
        raise ValueError(cursor)
    text = cursor[4:]
    try:
        state = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    except (binascii.Error, ValueError) as exc:
        raise ValueError(cursor) from exc
    if not isinstance(state, dict) or not isinstance(state.get("o"), int):
        raise ValueError(cursor)
    return state


def v1_error(status: int, message: str) -> Response:
    return Response(status=status, body={"success": False, "error": {"code": status, "message": message}})


def _stamp() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def v2_error(status: int, message: str) -> Response:
    title, code = V2_CODES.get(status, ("Error", "common.internal_server_error"))
    body = {
        "personio_trace_id": str(uuid.uuid4()),
        "timestamp": _stamp(),
        "errors": [{"title": title, "detail": message, "type": ERRORS_HUB + code, "_meta": {}}],
    }
    return Response(status=status, body=body, content_type="application/problem+json")


def oauth_error(kind: str, description: str) -> Response:
    """The v2 token endpoint's OAuth2TokenErrorResponse (always 400, as its spec documents)."""
    body: JSON = {
        "error": kind,
        "error_description": description,
        "error_uri": None,
        "timestamp": _stamp(),
        "trace_id": str(uuid.uuid4()),
        "meta": {},
    }
    return Response(status=400, body=body, content_type="application/problem+json")
