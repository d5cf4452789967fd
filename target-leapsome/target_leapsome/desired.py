"""Turn tap-personio records into the desired population, naming each record it cannot use once.

Two kinds of unusable record are told apart, because they call for different people:
- a *skip*: the record is fine as data, but HR data keeps it from becoming a correct Leapsome user (no
  email, a malformed or shared email). HR fixes it in Personio; the rest syncs and the run succeeds.
- a *record error*: the input itself is wrong (no status field because the credential may not read
  it, an unknown status, a date that does not parse). That is the sync failing, so the run fails.
Either way the employee is remembered as "named but unusable", which keeps a complete snapshot from
deactivating that person for being absent.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from target_leapsome.mapping import ADDITIONAL_MANAGERS, BUILT_IN, AttributeMapping, FieldMap, as_ids, as_text, resolve
from target_leapsome.models import Employee, Skip
from target_leapsome.scope import Scope
from target_leapsome.text import clean_text, employee_label, escape_controls

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
STATUSES = ("onboarding", "active", "leave", "inactive")
# The employee fields the target reads; the sink keeps only these, so neither memory nor validation time
# grows with custom attributes, cost centers and the rest of what a tap may send (absent keys stay absent).
EMPLOYEE_FIELDS = frozenset(
    {"id", "email", "status", "first_name", "last_name", "preferred_name", "position", "hire_date",
     "termination_date", "office", "department", "supervisor"}
)  # fmt: skip


@dataclass(frozen=True)
class RecordError:
    """A record the target could not use; `label` names it (id and name) and never carries other data."""

    stream: str
    key: str
    label: str
    message: str

    def __str__(self) -> str:
        return f"{self.stream} record {self.label}: {self.message}"


@dataclass(frozen=True)
class Rules:
    """How records become employees beyond the built-in fields: the mapping, the scope, custom attribute labels."""

    mapping: AttributeMapping = field(default_factory=AttributeMapping)
    scope: Scope = field(default_factory=Scope)
    labels: Mapping[str, str] = field(default_factory=dict)  # custom attribute label -> key or column

    @property
    def sources(self) -> list[tuple[str, str]]:
        """(source, what it fills) for every source the settings name."""
        found = [(f.source, f.destination) for f in self.mapping.fields]
        clauses = [c for rule in (*self.scope.include, *self.scope.exclude) for c in rule]
        return found + [(c.field, "the scope") for c in clauses]


class SkipRecord(ValueError):
    """The record is well formed, but HR data keeps it from becoming a Leapsome user; says what to fix."""


@dataclass
class Desired:
    """What Personio says, as far as the input tells: the planner's only view of Personio."""

    employees: dict[str, Employee] = field(default_factory=dict)  # by external id (Personio id)
    unusable: set[str] = field(default_factory=set)  # named in the input but not usable: left alone
    departments: dict[int, str | None] = field(default_factory=dict)
    complete: bool = False  # the employees are a complete snapshot: absence means "gone"
    errors: list[RecordError] = field(default_factory=list)  # the input is wrong: the run fails
    skips: list[Skip] = field(default_factory=list)  # HR data to fix in Personio: the rest syncs
    warnings: list[str] = field(default_factory=list)  # values repaired on the way (control characters)


class _Texts:
    """Reads text fields, removing control characters and remembering which fields had them."""

    def __init__(self) -> None:
        self.cleaned: list[str] = []

    def text(self, value: Any, field_name: str) -> str | None:
        if value is None:
            return None
        text, changed = clean_text(str(value))
        if changed:
            self.cleaned.append(field_name)
        return text.strip() or None

    def ref_name(self, value: Any, field_name: str) -> str | None:
        return self.text(value.get("name"), f"{field_name}.name") if isinstance(value, Mapping) else None


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


# The record key each user field comes from: an absent key (the attribute is not whitelisted for the
# credentials) means "unknown", and Leapsome's value is kept, unlike a key present with null.
SOURCES = {
    "given_name": "first_name",
    "family_name": "last_name",
    "title": "position",
    "location": "office",
    "start_date": "hire_date",
    "end_date": "termination_date",
}


def _unknown(record: Mapping[str, Any], preferred: str | None) -> frozenset[str]:
    """What the record does not tell; the display name needs the preferred name, or it null plus both names."""
    unknown = {name for name, key in SOURCES.items() if key not in record}
    if preferred is None and (
        "preferred_name" not in record or "first_name" not in record or "last_name" not in record
    ):
        unknown.add("display_name")
    if "supervisor" not in record:
        unknown.add("manager")
    if "department" not in record:
        unknown.add("team")
    return frozenset(unknown)


def parse_employee(
    record: Mapping[str, Any], statuses: frozenset[str], texts: _Texts | None = None, rules: Rules | None = None
) -> Employee:
    """Validate one employee record; raises SkipRecord (HR data) or ValueError (bad input), fit for the log."""
    texts = texts if texts is not None else _Texts()
    rules = rules or Rules()
    employee_id = record.get("id")
    if not isinstance(employee_id, int) or isinstance(employee_id, bool):
        raise ValueError("has no integer id")
    status = _status(record, texts)
    unreadable = rules.scope.unknown_field(record, rules.labels)
    if unreadable:  # never guess the scope: an employee wrongly out of it would be deactivated
        raise ValueError(
            f"has no {unreadable!r}, which the scope setting reads (is the attribute allowed for the API credentials?)"
        )
    out_of_scope = rules.scope.why_out(record, rules.labels)
    email = _email(record, texts, required=status in statuses and out_of_scope is None)
    first, last = texts.text(record.get("first_name"), "first_name"), texts.text(record.get("last_name"), "last_name")
    preferred = texts.text(record.get("preferred_name"), "preferred_name")
    unknown = set(_unknown(record, preferred))
    built_in = _built_in(record, texts, rules, unknown)
    attributes, absent = _attributes(record, rules, texts)
    return Employee(
        id=employee_id,
        email=email,
        status=status,
        given_name=first,
        family_name=last,
        display_name=None
        if "display_name" in unknown
        else preferred or " ".join(p for p in (first, last) if p) or None,
        title=built_in["title"],
        location=built_in["location"],
        start_date=built_in["start_date"],
        end_date=built_in["end_date"],
        department_id=_ref_id(record.get("department")),
        department_name=texts.ref_name(record.get("department"), "department"),
        supervisor_id=_ref_id(record.get("supervisor")),
        unknown=frozenset(unknown | absent),
        attributes=attributes,
        out_of_scope=out_of_scope,
    )


def _status(record: Mapping[str, Any], texts: _Texts) -> str:
    """A missing status is a credential that may not read it: the input is wrong, not the employee."""
    if "status" not in record:
        raise ValueError("has no status field (is the status attribute whitelisted for the API credentials?)")
    status = texts.text(record.get("status"), "status")
    if status is None:
        raise ValueError("has no status (is the status attribute whitelisted for the API credentials?)")
    if status not in STATUSES:
        raise ValueError(f"has an unknown status {status!r}")
    return status


def _email(record: Mapping[str, Any], texts: _Texts, *, required: bool) -> str:
    """The lower-cased email; when the employee needs a user, a missing or malformed one is HR's to fix."""
    email = (texts.text(record.get("email"), "email") or "").lower()
    if not required:
        return email
    if "email" not in record:
        raise ValueError("has no email field (is the email attribute whitelisted for the API credentials?)")
    if not email:
        raise SkipRecord("no email in Personio; add one to sync them")
    if not EMAIL.match(email) or "email" in texts.cleaned:
        shown = escape_controls(repr(record.get("email")))
        raise SkipRecord(f"the email {shown} is not a valid address; correct it in Personio to sync them")
    return email


def _built_in(record: Mapping[str, Any], texts: _Texts, rules: Rules, unknown: set[str]) -> dict[str, str | None]:
    """Title, location and the dates, from their usual fields or from the source the mapping gives them."""
    try:
        start_date, end_date = _date(record.get("hire_date")), _date(record.get("termination_date"))
    except ValueError as exc:
        raise ValueError(f"has an invalid date: {exc}") from None
    built_in: dict[str, str | None] = {
        "title": texts.text(record.get("position"), "position"),
        "location": texts.ref_name(record.get("office"), "office"),
        "start_date": start_date,
        "end_date": end_date,
    }
    for scim_name, name in BUILT_IN.items():
        mapped = rules.mapping.override(scim_name)
        if mapped is not None:
            present, value = _mapped(record, mapped, rules, texts)
            built_in[name] = value if isinstance(value, str) else None
            unknown.discard(name)
            if not present:
                unknown.add(name)
    return built_in


def _mapped(
    record: Mapping[str, Any], mapped: FieldMap, rules: Rules, texts: _Texts
) -> tuple[bool, str | tuple[str, ...] | None]:
    """(present, value) of one mapped destination: translated, cleaned, dates as YYYY-MM-DD."""
    present, raw = resolve(record, mapped.source, rules.labels)
    if not present:
        return False, None
    if mapped.destination == ADDITIONAL_MANAGERS:
        return True, as_ids(raw)
    value = mapped.translate(as_text(raw))
    if isinstance(value, str) and mapped.destination in {"birthday", "startDate", "endDate"}:
        try:
            return True, _date(value)
        except ValueError:
            raise ValueError(f"has an invalid date in {mapped.source} for {mapped.destination}") from None
    return True, texts.text(value, mapped.source) if isinstance(value, str) else value


def _attributes(
    record: Mapping[str, Any], rules: Rules, texts: _Texts
) -> tuple[tuple[tuple[str, str | tuple[str, ...] | None], ...], set[str]]:
    """The extra destinations' values, and the ones the record does not tell (left as Leapsome has them)."""
    values: list[tuple[str, str | tuple[str, ...] | None]] = []
    absent: set[str] = set()
    for mapped in rules.mapping.extra:
        present, value = _mapped(record, mapped, rules, texts)
        if present:
            values.append((mapped.destination, value))
        else:
            absent.add(f"attr:{mapped.destination}")
    return tuple(values), absent


def missing_sources(records: Iterable[Mapping[str, Any]], rules: Rules) -> list[str]:
    """A warning for each source no record carries: the credential may not read it, so say what to allow."""
    records = list(records)
    if not records:
        return []
    warnings = []
    for source, destination in rules.sources:
        if not any(resolve(record, source, rules.labels)[0] for record in records):
            warnings.append(
                f"no employee record carries {source!r} (for {destination}): allow that attribute for the API "
                "credential in Personio (Settings > Integrations > API credentials) or correct the setting; "
                "until then Leapsome keeps its value"
            )
    return warnings


def build_desired(
    employee_records: Iterable[Mapping[str, Any]],
    department_records: Iterable[Mapping[str, Any]],
    statuses: Iterable[str],
    *,
    complete: bool,
    rejected: Collection[str] = (),
    rules: Rules | None = None,
) -> Desired:
    """Collect the usable employees; a later record of the same id supersedes an earlier one.

    `rejected` are the keys of employee records already refused (schema, dates): those employees are
    left alone, whatever other records of theirs say, since we cannot know which one is current.
    """
    wanted = frozenset(statuses)
    rules = rules or Rules()
    desired = Desired(complete=complete)
    latest: dict[str, Mapping[str, Any]] = {}
    for record in employee_records:
        latest[str(record.get("id"))] = record
    errors: dict[str, RecordError] = {}
    skips: dict[str, Skip] = {}
    for key, record in latest.items():
        if key in rejected:
            continue
        label = employee_label(key, record.get("first_name"), record.get("last_name"))
        texts = _Texts()
        try:
            employee = parse_employee(record, wanted, texts, rules)
        except SkipRecord as exc:
            skips[key] = Skip(label, str(exc), key)
            continue
        except ValueError as exc:
            errors[key] = RecordError("employees", key, label, str(exc))
            continue
        desired.employees[key] = employee
        if texts.cleaned:
            desired.warnings.append(f"{employee.label}: control characters removed from {', '.join(texts.cleaned)}")
    skips.update(_shared_emails(desired, wanted))
    desired.errors = sorted(errors.values(), key=lambda e: (len(e.key), e.key))
    desired.skips = [skips[key] for key in sorted(skips, key=lambda k: (len(k), k))]
    desired.unusable = set(errors) | set(skips) | set(rejected)
    desired.warnings.extend(missing_sources(latest.values(), rules))
    _departments(desired, department_records)
    return desired


def _shared_emails(desired: Desired, wanted: frozenset[str]) -> dict[str, Skip]:
    """Employees who share one email cannot each have a user: none of them syncs until HR separates them."""
    by_email: dict[str, list[str]] = {}
    for key, employee in desired.employees.items():
        if employee.status in wanted and employee.out_of_scope is None:
            by_email.setdefault(employee.email, []).append(key)
    skips: dict[str, Skip] = {}
    for email, keys in by_email.items():
        if len(keys) < 2:
            continue
        labels = {k: desired.employees.pop(k).label for k in sorted(keys, key=int)}
        for key, label in labels.items():
            others = ", ".join(other for k, other in labels.items() if k != key)
            reason = (
                f"shares the email {email} with {others}; give each person their own email in Personio to sync them"
            )
            skips[key] = Skip(label, reason, key)
    return skips


def _departments(desired: Desired, department_records: Iterable[Mapping[str, Any]]) -> None:
    for record in department_records:
        department_id = record.get("id")
        if isinstance(department_id, int):
            texts = _Texts()
            desired.departments[department_id] = texts.text(record.get("name"), "name")
            if texts.cleaned:
                desired.warnings.append(f"department {department_id}: control characters removed from its name")
