"""Helpers for driving the real target with Singer input shaped like tap-personio's (docs/design.md)."""

from __future__ import annotations

import contextlib
import io
import json
import logging
from dataclasses import dataclass, field
from typing import Any

import pytest
from target_leapsome.target import TargetLeapsome

from harness.admin import LeapsomeAdmin
from sandbox.leapsome import API_TOKEN

REF = {"type": ["object", "null"], "properties": {"id": {"type": "integer"}, "name": {"type": ["string", "null"]}}}
STR = {"type": ["string", "null"]}
DATE = {"type": ["string", "null"], "format": "date"}
EMPLOYEE_SCHEMA = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "email": STR,
        "first_name": STR,
        "last_name": STR,
        "preferred_name": STR,
        "gender": STR,
        "position": STR,
        "employment_type": STR,
        "weekly_working_hours": STR,
        "status": STR,
        "hire_date": DATE,
        "contract_end_date": DATE,
        "termination_date": DATE,
        "last_working_day": DATE,
        "probation_period_end": DATE,
        "termination_type": STR,
        "termination_reason": STR,
        "created_at": {"type": ["string", "null"], "format": "date-time"},
        "last_modified_at": {"type": ["string", "null"], "format": "date-time"},
        "department": REF,
        "office": REF,
        "team": REF,
        "subcompany": REF,
        "supervisor": {
            "type": ["object", "null"],
            "properties": {
                "id": {"type": "integer"},
                "email": STR,
                "first_name": STR,
                "last_name": STR,
            },
        },
        "cost_centers": {"type": ["array", "null"], "items": {"type": "object"}},
        "custom_attributes": {"type": ["object", "array", "null"]},  # keyed values (older taps: a list)
    },
    "required": ["id"],
}
DEPARTMENT_SCHEMA = {
    "type": "object",
    "properties": {"id": {"type": "integer"}, "name": STR, "parent_id": {"type": ["integer", "null"]}},
    "required": ["id"],
}
DEPARTMENTS = {1: "Engineering", 2: "Sales", 3: "People"}


def employee(
    employee_id: int,
    *,
    first: str | None = None,
    last: str | None = None,
    email: str | None = "",
    status: str = "active",
    department: int | None = 1,
    department_name: str | None = "",
    supervisor: int | None = None,
    position: str | None = "Engineer",
    office: str | None = "Berlin",
    hire_date: str | None = "2024-01-15",
    termination_date: str | None = None,
    preferred_name: str | None = None,
) -> dict[str, Any]:
    """One `employees` record exactly as the stream contract shapes it."""
    first = first if first is not None else "Person"
    last = last if last is not None else f"Number{employee_id}"
    if email == "":
        email = f"Person.{employee_id}@Acme.example"
    if department_name == "":
        department_name = DEPARTMENTS.get(department or 0, f"Department {department}")
    return {
        "id": employee_id,
        "email": email,
        "first_name": first,
        "last_name": last,
        "preferred_name": preferred_name,
        "gender": None,
        "position": position,
        "employment_type": "internal",
        "weekly_working_hours": "40",
        "status": status,
        "hire_date": hire_date,
        "contract_end_date": None,
        "termination_date": termination_date,
        "last_working_day": None,
        "probation_period_end": None,
        "termination_type": None,
        "termination_reason": None,
        "created_at": "2024-01-01T09:00:00+00:00",
        "last_modified_at": "2026-01-05T09:00:00+00:00",
        "department": {"id": department, "name": department_name} if department is not None else None,
        "office": {"id": 7, "name": office} if office else None,
        "team": None,
        "subcompany": None,
        "supervisor": {"id": supervisor, "email": None, "first_name": None, "last_name": None}
        if supervisor is not None
        else None,
        "cost_centers": [],
        "custom_attributes": [],
    }


def singer_input(
    employees: list[dict[str, Any]],
    departments: dict[int, str | None] | None = None,
    *,
    snapshot: bool = True,
    activate: bool = True,
    version: int = 1767600000000,
    state: dict[str, Any] | None = None,
) -> str:
    """Singer lines as tap-personio emits them: versioned records + ACTIVATE_VERSION for a snapshot."""
    lines: list[dict[str, Any]] = [
        {
            "type": "SCHEMA",
            "stream": "employees",
            "schema": EMPLOYEE_SCHEMA,
            "key_properties": ["id"],
            "bookmark_properties": ["last_modified_at"],
        }
    ]
    for record in employees:
        message: dict[str, Any] = {"type": "RECORD", "stream": "employees", "record": record}
        if snapshot:
            message["version"] = version
        lines.append(message)
    if snapshot and activate:
        lines.append({"type": "ACTIVATE_VERSION", "stream": "employees", "version": version})
    if departments is None:
        departments = dict(DEPARTMENTS)
    lines.append({"type": "SCHEMA", "stream": "departments", "schema": DEPARTMENT_SCHEMA, "key_properties": ["id"]})
    for department_id, name in departments.items():
        lines.append(
            {
                "type": "RECORD",
                "stream": "departments",
                "record": {"id": department_id, "name": name, "parent_id": None},
                "version": version + 1,
            }
        )
    lines.append({"type": "ACTIVATE_VERSION", "stream": "departments", "version": version + 1})
    lines.append(
        {
            "type": "STATE",
            "value": state
            or {"bookmarks": {"employees": {"replication_key": "last_modified_at", "replication_key_value": "x"}}},
        }
    )
    return "".join(json.dumps(line) + "\n" for line in lines)


@dataclass
class RunResult:
    ok: bool
    error: str | None
    states: list[dict[str, Any]]
    log: str
    stdout: str = ""
    target: Any = field(default=None, repr=False)


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def run_target(config: dict[str, Any], lines: str) -> RunResult:
    """Drive the real target in-process: stdin lines in, STATE lines and the log out."""
    capture = _Capture()
    root = logging.getLogger()
    root.addHandler(capture)
    previous = root.level
    root.setLevel(logging.INFO)
    stdout = io.StringIO()
    error = None
    target = None
    try:
        with contextlib.redirect_stdout(stdout):
            target = TargetLeapsome(config=config)
            target.listen(io.StringIO(lines))
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
    finally:
        root.removeHandler(capture)
        root.setLevel(previous)
    states = [json.loads(line) for line in stdout.getvalue().splitlines() if line.strip()]
    return RunResult(error is None, error, states, "\n".join(capture.lines), stdout.getvalue(), target)


class Leapsome(LeapsomeAdmin):
    """The sandbox as the tests see it: config for the target, and its typed admin client (`harness.admin`).

    `state()`, `by_external()`, `groups()`, `counters()`, `reset_counters()`, `knobs()`, `create_user()`, ...
    """

    def __init__(self, server: Any) -> None:
        super().__init__(server.url)
        self.server = server

    def config(self, **overrides: Any) -> dict[str, Any]:
        return {"api_token": API_TOKEN, "base_url": f"{self.url}/scim/v1", **overrides}

    def admin(self, method: str, path: str, body: Any = None) -> Any:
        """Compatibility for test modules not yet on the typed methods (`path` as `/users/...`)."""
        return self.request(method, path.lstrip("/"), body)

    def run(self, lines: str, **config: Any) -> RunResult:
        return run_target(self.config(**config), lines)


@pytest.fixture
def leapsome(leapsome_factory: Any) -> Leapsome:
    """A default Leapsome sandbox (hand-made users and team, rate limit on) wrapped for the tests."""
    return Leapsome(leapsome_factory())


@pytest.fixture
def make_leapsome(leapsome_factory: Any) -> Any:
    def make(**options: Any) -> Leapsome:
        return Leapsome(leapsome_factory(**options))

    return make


@pytest.fixture
def singer() -> Any:
    """The input builders (test modules cannot import conftest under --import-mode=importlib)."""
    import types

    return types.SimpleNamespace(
        employee=employee,
        input=singer_input,
        run=run_target,
        DEPARTMENTS=DEPARTMENTS,
        schema=EMPLOYEE_SCHEMA,
        org=small_org,
        refused_address_org=refused_address_org,
        people=staff,
        sync=sync,
        nothing_left=nothing_left,
        members=members,
        without=without,
    )


# -- scenario helpers, shared by the topic files through the `singer` fixture ---------------------------------
def small_org(n: int = 6) -> list[dict[str, Any]]:
    """A small org: 1 heads Engineering, 2..n report to 1; even ids in Sales."""
    people = [employee(1, first="Ada", last="Boss", position="CTO")]
    people.extend(employee(i, department=2 if i % 2 == 0 else 1, supervisor=1) for i in range(2, n + 1))
    return people


def refused_address_org() -> list[dict[str, Any]]:
    """1 leads; 2 works for 1; 3 has an address Leapsome refuses and leads 4."""
    return [
        employee(1, first="Ada", last="Boss"),
        employee(2, supervisor=1),
        employee(3, first="Out", last="Side", email="out.side@contractor.example", supervisor=1),
        employee(4, supervisor=3, department=2),
    ]


def staff(n: int, departments: int = 3) -> list[dict[str, Any]]:
    """n employees in `departments` departments, ten to a supervisor."""
    return [employee(1, first="Ada", last="Boss")] + [
        employee(i, department=1 + i % departments, supervisor=1 + (i // 10)) for i in range(2, n + 1)
    ]


def sync(leapsome: Leapsome, people: list[dict[str, Any]], departments: Any = None, **kwargs: Any) -> RunResult:
    """One run that must succeed; `config` holds target settings, the rest shapes the Singer input."""
    config = kwargs.pop("config", {})
    result = leapsome.run(singer_input(people, departments, **kwargs), **config)
    assert result.ok, f"{result.error}\n{result.log[-4000:]}"
    return result


def nothing_left(leapsome: Leapsome, people: list[dict[str, Any]], departments: Any = None, **kwargs: Any) -> None:
    """The same input again writes nothing: the scenario converged."""
    leapsome.reset_counters()
    sync(leapsome, people, departments, **kwargs)
    assert leapsome.counters()["writes"] == 0


def members(leapsome: Leapsome, external_id: str) -> set[str]:
    """The team's members, by externalId (userName for users the sync does not manage)."""
    state = leapsome.state()
    group = next(g for g in state["groups"] if g["externalId"] == external_id)
    by_id = {u["id"]: u for u in state["users"]}
    return {by_id[m]["externalId"] or by_id[m]["userName"] for m in group["members"]}


def without(records: list[dict[str, Any]], *keys: str) -> list[dict[str, Any]]:
    """The records with these attributes absent, as Personio leaves out what the credential may not read."""
    return [{k: v for k, v in record.items() if k not in keys} for record in records]
