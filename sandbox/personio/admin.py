"""The Personio sandbox's `/_admin` routes: mutate the company, switch quirks on, read data back plainly.

Admin requests skip auth, rate limits, faults and counters (see `sandbox.core`). Errors: `{"error"}`.
- `GET /_admin/employees`: every employee, plain (shaped like the Singer `employees` record), by id.
- `POST /_admin/employees`: hire (employee fields; missing ones get plain defaults). 201 with the employee.
- `GET|PATCH|DELETE /_admin/employees/{id}`: read, edit (a real change bumps `last_modified_at` unless
  one is given), remove (their reports lose their supervisor).
- `GET|POST /_admin/departments`: `[{id, name, parent_id}]` / create `{name, parent_id?}`.
- `PATCH /_admin/departments/{id}`: rename `{name}` (bumps members only with `rename_bumps_members`).
- `POST /_admin/tokens/expire`: every token becomes invalid (clients see 401 and must re-authenticate).
- `POST /_admin/whitelist`: `{"hidden": [keys]}`, attributes the credential may not read; answered with
  the same.
- `POST /_admin/malformed-next-page`: the next employees page is cut in half (not JSON).
- `POST /_admin/org-units`: `{"enabled": false}`: the beta list answers 404 as if the tenant lacked it,
  as forum users report.
- `GET|POST /_admin/options`: the options of `sandbox/personio/options.py`; POST takes any subset,
  validates all of it first (400 otherwise) and answers with every option.
- `GET /_admin/planted`: `{kind: [ids]}` of a realistic company, `{}` otherwise.
- `POST /_admin/after-employee-requests {"count": N, "action": ...}` schedules a one-shot action that
  runs inside the N-th employees-list request (`GET /v1/company/employees`) answered 200 after
  scheduling, after that page's rows are taken and before its answer is sent, so the client's next
  request is the first to see it. Tests use it instead of a watcher thread polling the counters, which
  can act a page too late. Actions: `expire_tokens`; `fail` (sets the `fault_rate` knob to 1: every
  later API request gets a 5xx); `delete` with `"id"` (checked when scheduled); `hire` with optional
  `"fields"` (as `POST /_admin/employees`). Requests answered 401, 400, 429 or by an injected fault do
  not count. Several actions may be scheduled; those due on the same request run in scheduling order.
  `GET /_admin/after-employee-requests` lists them with `fired` and `result` (the hired employee, or
  `error`).
- `GET|POST /_admin/webhooks`: the webhooks, delivery counters and latest deliveries; POST sets
  `retry_delays` and resets the counters with `"reset": true` (`sandbox/personio/webhooks.py`).
- From `sandbox.core`: `/_admin/counters`, `/_admin/counters/reset`, `/_admin/knobs`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from sandbox.core import JSON, Handler, Request, Response
from sandbox.personio.org import Department
from sandbox.personio.store import CompanyError

if TYPE_CHECKING:
    from sandbox.personio.app import PersonioSandbox


def _department_json(department: Department) -> JSON:
    return {"id": department.id, "name": department.name, "parent_id": department.parent_id}


def _error(status: int, message: str) -> Response:
    return Response(status=status, body={"error": message})


def _object_body(request: Request) -> JSON | None:
    try:
        body = request.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


class PersonioAdmin:
    """The admin handlers of one `PersonioSandbox`; `routes()` is the table the app registers."""

    def __init__(self, app: PersonioSandbox) -> None:
        self.app = app
        self.company = app.company

    def routes(self) -> list[tuple[str, str, Handler]]:
        return [
            ("GET", "/_admin/employees", self.list_employees),
            ("POST", "/_admin/employees", self.hire),
            ("GET", "/_admin/employees/{employee_id}", self.get_employee),
            ("PATCH", "/_admin/employees/{employee_id}", self.update),
            ("DELETE", "/_admin/employees/{employee_id}", self.delete),
            ("GET", "/_admin/departments", self.list_departments),
            ("POST", "/_admin/departments", self.create_department),
            ("PATCH", "/_admin/departments/{department_id}", self.rename_department),
            ("POST", "/_admin/org-units", self.org_units),
            ("POST", "/_admin/tokens/expire", self.expire_tokens),
            ("POST", "/_admin/whitelist", self.set_whitelist),
            ("POST", "/_admin/malformed-next-page", self.malformed),
            ("POST", "/_admin/after-employee-requests", self.schedule),
            ("GET", "/_admin/after-employee-requests", self.list_scheduled),
            ("GET", "/_admin/options", self.get_options),
            ("POST", "/_admin/options", self.set_options),
            ("GET", "/_admin/planted", self.planted),
        ]

    def _guarded(self, action: Callable[[], Response]) -> Response:
        """Run a mutation under the data lock; a refused one answers with its status."""
        try:
            with self.app.lock:
                return action()
        except CompanyError as exc:
            return _error(exc.status, str(exc))

    # -- employees ----------------------------------------------------------------------------
    def list_employees(self, _request: Request) -> Response:
        with self.app.lock:
            return Response(body=[self.company.plain(i) for i in self.company.ids])

    def get_employee(self, _request: Request, employee_id: str) -> Response:
        with self.app.lock:
            if not employee_id.isdigit() or int(employee_id) not in self.company.people:
                return _error(404, f"no employee {employee_id}")
            return Response(body=self.company.plain(int(employee_id)))

    def hire(self, request: Request) -> Response:
        body = _object_body(request)
        if body is None:
            return _error(400, "send a JSON object of employee fields")
        return self._guarded(lambda: Response(status=201, body=self.company.hire(body)))

    def update(self, request: Request, employee_id: str) -> Response:
        body = _object_body(request)
        if body is None or not employee_id.isdigit():
            return _error(400, "send a JSON object of employee fields")
        return self._guarded(lambda: Response(body=self.company.update(int(employee_id), body)))

    def delete(self, _request: Request, employee_id: str) -> Response:
        if not employee_id.isdigit():
            return _error(404, f"no employee {employee_id}")

        def action() -> Response:
            self.company.delete(int(employee_id))
            return Response(status=204)

        return self._guarded(action)

    # -- departments --------------------------------------------------------------------------
    def list_departments(self, _request: Request) -> Response:
        with self.app.lock:
            return Response(body=[_department_json(d) for d in self.company.org.departments.values()])

    def create_department(self, request: Request) -> Response:
        body = _object_body(request)
        if body is None or not isinstance(body.get("name"), str) or not body["name"]:
            return _error(400, "send {name, parent_id?}")
        parent = body.get("parent_id")
        return self._guarded(
            lambda: Response(status=201, body=_department_json(self.company.create_department(body["name"], parent)))
        )

    def rename_department(self, request: Request, department_id: str) -> Response:
        body = _object_body(request)
        if body is None or not isinstance(body.get("name"), str) or not department_id.isdigit():
            return _error(400, "send {name}")
        return self._guarded(
            lambda: Response(body=_department_json(self.company.rename_department(int(department_id), body["name"])))
        )

    # -- quirks -------------------------------------------------------------------------------
    def org_units(self, request: Request) -> Response:
        body = _object_body(request)
        if body is None or not isinstance(body.get("enabled"), bool):
            return _error(400, 'send {"enabled": true|false}')
        with self.app.lock:
            self.app.org_units_enabled = body["enabled"]
        return Response(body={"enabled": self.app.org_units_enabled})

    def expire_tokens(self, _request: Request) -> Response:
        self.app.tokens.expire_all()
        return Response(body={"expired": True})

    def set_whitelist(self, request: Request) -> Response:
        body = _object_body(request)
        hidden = body.get("hidden") if body else None
        if not isinstance(hidden, list) or not all(isinstance(k, str) for k in hidden):
            return _error(400, 'send {"hidden": [attribute keys]}')

        def action() -> Response:
            self.company.set_hidden(set(hidden))
            return Response(body={"hidden": sorted(self.company.hidden)})

        return self._guarded(action)

    def malformed(self, _request: Request) -> Response:
        with self.app.lock:
            self.app.malformed_next_page = True
        return Response(body={"malformed_next_page": True})

    # -- actions inside the N-th employees-list answer ----------------------------------------
    def schedule(self, request: Request) -> Response:
        body = _object_body(request)
        count = body.get("count") if body else None
        if body is None or not isinstance(count, int) or isinstance(count, bool) or count < 1:
            return _error(400, 'send {"count": N >= 1, "action": "expire_tokens"|"fail"|"delete"|"hire", ...}')
        app, company = self.app, self.company
        action = body.get("action")
        entry: JSON = {"count": count, "action": action}
        run: Callable[[], Any]
        if action == "expire_tokens":
            run = app.tokens.expire_all
        elif action == "fail":

            def run() -> None:
                app.knobs.fault_rate = 1.0

        elif action == "delete":
            employee_id = body.get("id")
            with app.lock:
                known = isinstance(employee_id, int) and employee_id in company.people
            if not known or not isinstance(employee_id, int):
                return _error(400, f"delete needs the id of an existing employee, not {employee_id!r}")
            entry["id"] = employee_id

            def run() -> None:
                company.delete(employee_id)

        elif action == "hire":
            fields = body.get("fields", {})
            if not isinstance(fields, dict):
                return _error(400, "hire takes an object of employee fields in `fields`")
            entry["fields"] = fields

            def run() -> JSON:
                return company.hire(fields)

        else:
            return _error(400, f"unknown action {action!r}: expire_tokens, fail, delete or hire")
        app.after_employee_requests(count, run, entry)
        return Response(status=201, body=entry)

    def list_scheduled(self, _request: Request) -> Response:
        with self.app.lock:
            return Response(body=list(self.app.scheduled_log))

    # -- options and planted cases ------------------------------------------------------------
    def get_options(self, _request: Request) -> Response:
        with self.app.lock:
            return Response(body=asdict(self.app.options))

    def set_options(self, request: Request) -> Response:
        body = _object_body(request)
        if body is None:
            return _error(400, "send a JSON object of options")
        with self.app.lock:
            try:
                self.app.options.update(body)
            except ValueError as exc:
                return _error(400, str(exc))
            return Response(body=asdict(self.app.options))

    def planted(self, _request: Request) -> Response:
        with self.app.lock:
            return Response(body=self.app.org.planted)
