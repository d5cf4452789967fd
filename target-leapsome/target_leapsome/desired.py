"""Turn tap-personio records into the desired population, with one clear error per unusable record.

Validation lives here, not in the planner, so that a bad record is named once and the rest of the
input still syncs; a record that fails is remembered as "named but unusable", which keeps a complete
snapshot from deactivating that person for being absent.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from target_leapsome.models import Employee, employee_label

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
STATUSES = ("onboarding", "active", "leave", "inactive")


@dataclass(frozen=True)
class RecordError:
    """A record the target could not use; `label` names it (id and name) and never carries other data."""

    stream: str
    key: str
    label: str
    message: str

    def __str__(self) -> str:
        return f"{self.stream} record {self.label}: {self.message}"


@dataclass
class Desired:
    """What Personio says, as far as the input tells: the planner's only view of Personio."""

    employees: dict[str, Employee] = field(default_factory=dict)  # by external id (Personio id)
    unusable: set[str] = field(default_factory=set)  # named in the input but not usable: left alone
    departments: dict[int, str | None] = field(default_factory=dict)
    complete: bool = False  # the employees are a complete snapshot: absence means "gone"
    errors: list[RecordError] = field(default_factory=list)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _date(value: Any) -> str | None:
    """Dates arrive as `date`/`datetime` (the SDK parses them) or as text; Leapsome wants YYYY-MM-DD."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return datetime.date.fromisoformat(str(value)[:10]).isoformat()


def _ref_id(value: Any) -> int | None:
    if isinstance(value, Mapping) and isinstance(value.get("id"), int):
        return int(value["id"])
    return None


def _ref_name(value: Any) -> str | None:
    return _text(value.get("name")) if isinstance(value, Mapping) else None


def parse_employee(record: Mapping[str, Any], statuses: frozenset[str]) -> Employee:
    """Validate one employee record; raises ValueError with a message fit for the user."""
    employee_id = record.get("id")
    if not isinstance(employee_id, int) or isinstance(employee_id, bool):
        raise ValueError("has no integer id")
    status = _text(record.get("status"))
    if status is None:
        raise ValueError("has no status (is the status attribute whitelisted for the API credentials?)")
    if status not in STATUSES:
        raise ValueError(f"has an unknown status {status!r}")
    email = (_text(record.get("email")) or "").lower()
    if status in statuses:
        if not email:
            raise ValueError("has no email, so it cannot have a Leapsome user")
        if not EMAIL.match(email):
            raise ValueError(f"has a malformed email {email!r}")
    first, last = _text(record.get("first_name")), _text(record.get("last_name"))
    preferred = _text(record.get("preferred_name"))
    full = " ".join(part for part in (first, last) if part) or None
    try:
        start_date, end_date = _date(record.get("hire_date")), _date(record.get("termination_date"))
    except ValueError as exc:
        raise ValueError(f"has an invalid date: {exc}") from None
    return Employee(
        id=employee_id,
        email=email,
        status=status,
        given_name=first,
        family_name=last,
        display_name=preferred or full,
        title=_text(record.get("position")),
        location=_ref_name(record.get("office")),
        start_date=start_date,
        end_date=end_date,
        department_id=_ref_id(record.get("department")),
        department_name=_ref_name(record.get("department")),
        supervisor_id=_ref_id(record.get("supervisor")),
    )


def build_desired(
    employee_records: Iterable[Mapping[str, Any]],
    department_records: Iterable[Mapping[str, Any]],
    statuses: Iterable[str],
    *,
    complete: bool,
) -> Desired:
    """Collect the usable employees; a later record of the same id supersedes an earlier one."""
    wanted = frozenset(statuses)
    desired = Desired(complete=complete)
    latest: dict[str, Mapping[str, Any]] = {}
    for record in employee_records:
        latest[str(record.get("id"))] = record
    errors: dict[str, RecordError] = {}
    for key, record in latest.items():
        label = employee_label(key, record.get("first_name"), record.get("last_name"))
        try:
            employee = parse_employee(record, wanted)
        except ValueError as exc:
            errors[key] = RecordError("employees", key, label, str(exc))
            continue
        desired.employees[key] = employee
    by_email: dict[str, list[str]] = {}
    for key, employee in desired.employees.items():
        if employee.status in wanted:
            by_email.setdefault(employee.email, []).append(key)
    for email, keys in by_email.items():
        if len(keys) < 2:
            continue
        names = ", ".join(desired.employees[k].label for k in sorted(keys, key=int))
        for key in keys:
            employee = desired.employees.pop(key)
            errors[key] = RecordError(
                "employees", key, employee.label, f"shares the email {email} with {names}; none of them synced"
            )
    desired.errors = sorted(errors.values(), key=lambda e: (len(e.key), e.key))
    desired.unusable = set(errors)
    for record in department_records:
        department_id = record.get("id")
        if isinstance(department_id, int):
            desired.departments[department_id] = _text(record.get("name"))
    return desired
