"""Typed clients of the sandboxes' `/_admin` routes, for tests, the demo and the benchmarks.

`PersonioAdmin(url)` and `LeapsomeAdmin(url)` wrap the routes described in `sandbox/personio/admin.py`,
`sandbox/leapsome/admin.py` and `sandbox/core.py` (counters, knobs), one method per route a caller uses.
`url` is the sandbox's base URL (`SandboxServer.url`, `SandboxProcess.url`). Every method raises
`AdminError` (an `AssertionError`, so a test reads it as a failed step) carrying the sandbox's own error
text when the answer is 4xx or 5xx; `request_status()` is for the few callers that probe a refusal.
"""

from __future__ import annotations

from typing import Any, cast

import requests

JSON = dict[str, Any]


class AdminError(AssertionError):
    """An admin request answered 4xx/5xx; `status` and `text` are the sandbox's answer."""

    def __init__(self, method: str, path: str, status: int, text: str) -> None:
        super().__init__(f"{method} /_admin/{path}: {status} {text}")
        self.status = status
        self.text = text


class SandboxAdmin:
    """The `/_admin` routes both sandboxes share (`sandbox/core.py`): counters and knobs."""

    def __init__(self, url: str, *, session: requests.Session | None = None, timeout: float = 30) -> None:
        self.url = url.rstrip("/")
        self.session = session  # None: one connection per request, nothing left open between them
        self.timeout = timeout

    def request(self, method: str, path: str, body: Any = None) -> Any:
        """`METHOD /_admin/<path>` with a JSON body; the decoded answer (None when empty)."""
        response = self._send(method, path, body)
        if response.status_code >= 400:
            raise AdminError(method, path, response.status_code, response.text)
        return response.json() if response.content else None

    def request_status(self, method: str, path: str, body: Any = None) -> int:
        """The status code alone, for callers that try a change the sandbox may refuse."""
        return self._send(method, path, body).status_code

    def _send(self, method: str, path: str, body: Any) -> requests.Response:
        url = f"{self.url}/_admin/{path}"
        if self.session is None:
            return requests.request(method, url, json=body, timeout=self.timeout)
        return self.session.request(method, url, json=body, timeout=self.timeout)

    def counters(self) -> JSON:
        """`GET /_admin/counters`: `{total, reads, writes, by_route, by_method, faults, ...}`."""
        return cast(JSON, self.request("GET", "counters"))

    def reset_counters(self) -> JSON:
        """`POST /_admin/counters/reset` (also clears the rate-limit windows); the zeroed counters."""
        return cast(JSON, self.request("POST", "counters/reset"))

    def knobs(self, **knobs: Any) -> JSON:
        """`POST /_admin/knobs` with the given knobs, or `GET` without any; every knob after."""
        return cast(JSON, self.request("POST", "knobs", knobs) if knobs else self.request("GET", "knobs"))


class PersonioAdmin(SandboxAdmin):
    """The Personio sandbox's admin routes: the company's employees and departments, quirks, options."""

    def employees(self) -> list[JSON]:
        """Every employee, plain (shaped like the Singer `employees` record), by id."""
        return cast(list[JSON], self.request("GET", "employees"))

    def employee(self, employee_id: int | str) -> JSON:
        return cast(JSON, self.request("GET", f"employees/{employee_id}"))

    def hire(self, **fields: Any) -> JSON:
        """A new employee (missing fields get plain defaults); the employee as stored."""
        return cast(JSON, self.request("POST", "employees", fields))

    def update(self, employee_id: int | str, **fields: Any) -> JSON:
        """Edit an employee (a real change bumps `last_modified_at` unless one is given)."""
        return cast(JSON, self.request("PATCH", f"employees/{employee_id}", fields))

    def try_update(self, employee_id: int | str, **fields: Any) -> int:
        """As `update`, answering the status instead of raising (the sandbox refuses e.g. cycles)."""
        return self.request_status("PATCH", f"employees/{employee_id}", fields)

    def delete(self, employee_id: int | str) -> None:
        """Remove an employee; their reports lose their supervisor."""
        self.request("DELETE", f"employees/{employee_id}")

    def departments(self) -> list[JSON]:
        """`[{id, name, parent_id}]`."""
        return cast(list[JSON], self.request("GET", "departments"))

    def department_names(self) -> dict[int, str | None]:
        return {int(d["id"]): d["name"] for d in self.departments()}

    def create_department(self, name: str, parent_id: int | None = None) -> JSON:
        body: JSON = {"name": name} if parent_id is None else {"name": name, "parent_id": parent_id}
        return cast(JSON, self.request("POST", "departments", body))

    def rename_department(self, department_id: int | str, name: str) -> JSON:
        return cast(JSON, self.request("PATCH", f"departments/{department_id}", {"name": name}))

    def hide(self, *keys: str) -> JSON:
        """`POST /_admin/whitelist`: exactly these attributes become unreadable for the credential."""
        return cast(JSON, self.request("POST", "whitelist", {"hidden": list(keys)}))

    def expire_tokens(self) -> None:
        self.request("POST", "tokens/expire")

    def malformed_next_page(self) -> None:
        self.request("POST", "malformed-next-page")

    def org_units(self, *, enabled: bool) -> None:
        self.request("POST", "org-units", {"enabled": enabled})

    def after_employee_requests(self, count: int, action: str, **details: Any) -> JSON:
        """Schedule a one-shot action inside the `count`-th employees-list request (see the sandbox)."""
        body = {"count": count, "action": action, **details}
        return cast(JSON, self.request("POST", "after-employee-requests", body))

    def options(self, **options: Any) -> JSON:
        """`POST /_admin/options` with the given options, or `GET` without any; every option after."""
        return cast(JSON, self.request("POST", "options", options) if options else self.request("GET", "options"))

    def planted(self) -> dict[str, list[int]]:
        """`{kind: [ids]}` of a realistic company, `{}` otherwise."""
        return cast(dict[str, list[int]], self.request("GET", "planted"))


class LeapsomeAdmin(SandboxAdmin):
    """The Leapsome sandbox's admin routes: the whole organisation, and edits a Leapsome admin makes by hand."""

    def state(self) -> JSON:
        """`{users, groups, options}`, in creation order (see `sandbox/leapsome/admin.py`)."""
        return cast(JSON, self.request("GET", "state"))

    def by_external(self) -> dict[str, JSON]:
        """Users with an externalId, by externalId."""
        return {u["externalId"]: u for u in self.state()["users"] if u["externalId"]}

    def groups(self) -> dict[str, JSON]:
        """Groups by displayName."""
        return {g["displayName"]: g for g in self.state()["groups"]}

    def create_user(self, **body: Any) -> JSON:
        """A hand-made user (body as a SCIM PATCH body, `userName` required); the user's state."""
        return cast(JSON, self.request("POST", "users", body))

    def edit_user(self, key: str, **body: Any) -> JSON:
        """Edit a user by id, userName or externalId; the user's state."""
        return cast(JSON, self.request("PATCH", f"users/{key}", body))

    def create_group(self, **body: Any) -> JSON:
        """`{displayName, externalId?, members?: [id|userName|externalId]}`, no cap."""
        return cast(JSON, self.request("POST", "groups", body))

    def edit_group(self, key: str, **body: Any) -> JSON:
        """Edit a team by id, externalId or displayName; `members` replace the team's members."""
        return cast(JSON, self.request("PATCH", f"groups/{key}", body))

    def options(self, **options: Any) -> JSON:
        """`POST /_admin/options` with the given options, or `GET` without any; every option after."""
        return cast(JSON, self.request("POST", "options", options) if options else self.request("GET", "options"))
