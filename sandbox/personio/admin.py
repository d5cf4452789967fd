"""The Personio sandbox's `/_admin` routes: mutate the company, switch quirks on, read data back plainly."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from sandbox.core import JSON, Request, Response
from sandbox.personio.org import Department
from sandbox.personio.store import DirectoryError

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


def register(app: PersonioSandbox) -> None:
    """Attach the admin routes to `app` (see the package docstring for the list)."""
    directory = app.directory

    def guarded(action: Any) -> Response:
        try:
            with app.lock:
                return action()  # type: ignore[no-any-return]
        except DirectoryError as exc:
            return _error(exc.status, str(exc))

    def list_employees(_request: Request) -> Response:
        with app.lock:
            return Response(body=[directory.plain(i) for i in directory.ids])

    def get_employee(_request: Request, employee_id: str) -> Response:
        with app.lock:
            if not employee_id.isdigit() or int(employee_id) not in directory.people:
                return _error(404, f"no employee {employee_id}")
            return Response(body=directory.plain(int(employee_id)))

    def hire(request: Request) -> Response:
        body = _object_body(request)
        if body is None:
            return _error(400, "send a JSON object of employee fields")
        return guarded(lambda: Response(status=201, body=directory.hire(body)))

    def update(request: Request, employee_id: str) -> Response:
        body = _object_body(request)
        if body is None or not employee_id.isdigit():
            return _error(400, "send a JSON object of employee fields")
        return guarded(lambda: Response(body=directory.update(int(employee_id), body)))

    def delete(_request: Request, employee_id: str) -> Response:
        if not employee_id.isdigit():
            return _error(404, f"no employee {employee_id}")

        def action() -> Response:
            directory.delete(int(employee_id))
            return Response(status=204)

        return guarded(action)

    def list_departments(_request: Request) -> Response:
        with app.lock:
            return Response(body=[_department_json(d) for d in directory.org.departments.values()])

    def create_department(request: Request) -> Response:
        body = _object_body(request)
        if body is None or not isinstance(body.get("name"), str) or not body["name"]:
            return _error(400, "send {name, parent_id?}")
        parent = body.get("parent_id")
        return guarded(
            lambda: Response(status=201, body=_department_json(directory.create_department(body["name"], parent)))
        )

    def rename_department(request: Request, department_id: str) -> Response:
        body = _object_body(request)
        if body is None or not isinstance(body.get("name"), str) or not department_id.isdigit():
            return _error(400, "send {name}")
        return guarded(
            lambda: Response(body=_department_json(directory.rename_department(int(department_id), body["name"])))
        )

    def expire_tokens(_request: Request) -> Response:
        app.tokens.expire_all()
        return Response(body={"expired": True})

    def get_whitelist(_request: Request) -> Response:
        with app.lock:
            return Response(body={"hidden": sorted(directory.hidden)})

    def set_whitelist(request: Request) -> Response:
        body = _object_body(request)
        hidden = body.get("hidden") if body else None
        if not isinstance(hidden, list) or not all(isinstance(k, str) for k in hidden):
            return _error(400, 'send {"hidden": [attribute keys]}')

        def action() -> Response:
            directory.set_hidden(set(hidden))
            return get_whitelist(request)

        return guarded(action)

    def malformed(_request: Request) -> Response:
        with app.lock:
            app.malformed_next_page = True
        return Response(body={"malformed_next_page": True})

    def org_units(request: Request) -> Response:
        body = _object_body(request)
        if body is None or not isinstance(body.get("enabled"), bool):
            return _error(400, 'send {"enabled": true|false}')
        with app.lock:
            app.org_units_enabled = body["enabled"]
        return Response(body={"enabled": app.org_units_enabled})

    def schedule(request: Request) -> Response:
        body = _object_body(request)
        count = body.get("count") if body else None
        if body is None or not isinstance(count, int) or isinstance(count, bool) or count < 1:
            return _error(400, 'send {"count": N >= 1, "action": "expire_tokens"|"fail"|"delete"|"hire", ...}')
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
                known = isinstance(employee_id, int) and employee_id in directory.people
            if not known or not isinstance(employee_id, int):
                return _error(400, f"delete needs the id of an existing employee, not {employee_id!r}")
            entry["id"] = employee_id

            def run() -> None:
                directory.delete(employee_id)

        elif action == "hire":
            fields = body.get("fields", {})
            if not isinstance(fields, dict):
                return _error(400, "hire takes an object of employee fields in `fields`")
            entry["fields"] = fields

            def run() -> JSON:
                return directory.hire(fields)

        else:
            return _error(400, f"unknown action {action!r}: expire_tokens, fail, delete or hire")
        app.after_employee_requests(count, run, entry)
        return Response(status=201, body=entry)

    def list_scheduled(_request: Request) -> Response:
        with app.lock:
            return Response(body=list(app.scheduled_log))

    def get_options(_request: Request) -> Response:
        with app.lock:
            return Response(body=asdict(app.options))

    def set_options(request: Request) -> Response:
        body = _object_body(request)
        if body is None:
            return _error(400, "send a JSON object of options")
        with app.lock:
            try:
                app.options.update(body)
            except ValueError as exc:
                return _error(400, str(exc))
            return Response(body=asdict(app.options))

    def planted(_request: Request) -> Response:
        with app.lock:
            return Response(body=app.org.planted)

    app.admin("GET", "/_admin/employees", "employees", list_employees)
    app.admin("POST", "/_admin/employees", "hire", hire)
    app.admin("GET", "/_admin/employees/{employee_id}", "employee", get_employee)
    app.admin("PATCH", "/_admin/employees/{employee_id}", "update", update)
    app.admin("DELETE", "/_admin/employees/{employee_id}", "delete", delete)
    app.admin("GET", "/_admin/departments", "departments", list_departments)
    app.admin("POST", "/_admin/departments", "department-create", create_department)
    app.admin("PATCH", "/_admin/departments/{department_id}", "department-rename", rename_department)
    app.admin("POST", "/_admin/org-units", "org-units", org_units)
    app.admin("POST", "/_admin/tokens/expire", "tokens-expire", expire_tokens)
    app.admin("GET", "/_admin/whitelist", "whitelist", get_whitelist)
    app.admin("POST", "/_admin/whitelist", "whitelist-set", set_whitelist)
    app.admin("POST", "/_admin/malformed-next-page", "malformed-next-page", malformed)
    app.admin("POST", "/_admin/after-employee-requests", "after-employee-requests", schedule)
    app.admin("GET", "/_admin/after-employee-requests", "after-employee-requests-list", list_scheduled)
    app.admin("GET", "/_admin/options", "options", get_options)
    app.admin("POST", "/_admin/options", "options-set", set_options)
    app.admin("GET", "/_admin/planted", "planted", planted)
