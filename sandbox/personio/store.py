"""The company a Personio sandbox serves (`PersonioCompany`): indexes, cached renderings, every mutation.

Lookups never scan all employees: ids are kept sorted (paging is a slice), emails and supervisors
are indexed, and last-modified times live in a sorted list searched with bisect. Each employee's
wrapped attributes and their JSON encoding are cached and dropped when anything they show changes.
Callers hold `SandboxApp.lock` around every call.
"""

from __future__ import annotations

import bisect
import json
from collections import OrderedDict
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from sandbox.core import JSON
from sandbox.personio import attributes as catalog
from sandbox.personio.clock import now, parse_utc
from sandbox.personio.options import Options
from sandbox.personio.org import DOMAIN, Department, Employee, Org
from sandbox.personio.render import plain, wrapped_attributes

ChangeListener = Callable[[str, int, tuple[str, ...]], None]  # ("hire"|"update"|"delete", id, changed keys)


class CompanyError(ValueError):
    """A rejected admin mutation; `status` is the HTTP status to answer with."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class PersonioCompany:
    """The generated `Org` with its employees indexed for the API; every admin mutation goes through here."""

    def __init__(self, org: Org, options: Options | None = None) -> None:
        self.org = org
        self.options = options or Options()
        self.people: dict[int, Employee] = {e.id: e for e in org.employees}
        self.ids: list[int] = sorted(self.people)
        # lower-cased email -> ids holding it, ascending (a realistic company has shared emails and none)
        self.by_email: dict[str, list[int]] = {}
        for person in org.employees:
            self._index_email(person.values.get("email"), person.id)
        self.reports: dict[int, set[int]] = {}
        for person in org.employees:
            boss = person.values.get("supervisor")
            if boss is not None:
                self.reports.setdefault(boss, set()).add(person.id)
        self.modified: list[tuple[datetime, int]] = sorted((e.last_modified_at, e.id) for e in org.employees)
        self.hidden: set[str] = set()
        self._wrapped: dict[int, JSON] = {}
        self._encoded: dict[int, bytes] = {}
        self._queries: OrderedDict[tuple[Any, ...], list[int]] = OrderedDict()
        self.version = 0
        self.listeners: list[ChangeListener] = []  # told of every hire, real change and removal (webhooks)

    def _notify(self, kind: str, emp_id: int, keys: tuple[str, ...] = ()) -> None:
        for listener in self.listeners:
            listener(kind, emp_id, keys)

    # -- reading ------------------------------------------------------------------------------
    def wrapped(self, emp_id: int) -> JSON:
        cached = self._wrapped.get(emp_id)
        if cached is None:
            cached = wrapped_attributes(self.org, self.people, self.people[emp_id], self.hidden)
            self._wrapped[emp_id] = cached
        return cached

    def encoded(self, emp_id: int) -> bytes:
        """`{"type":"Employee","attributes":{...}}` as JSON bytes, cached."""
        cached = self._encoded.get(emp_id)
        if cached is None:
            item = {"type": "Employee", "attributes": self.wrapped(emp_id)}
            cached = json.dumps(item, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
            self._encoded[emp_id] = cached
        return cached

    def plain(self, emp_id: int) -> JSON:
        return plain(self.org, self.people, self.people[emp_id])

    def select(self, since: datetime | None, email: str | None, attrs: list[str] | None) -> list[int]:
        """Ids (ascending) matching a v1 employees query; cached until the next mutation."""
        inclusive = self.options.updated_since == "inclusive"
        key = (self.version, since, inclusive, email, tuple(attrs) if attrs else None)
        hit = self._queries.get(key)
        if hit is not None:
            self._queries.move_to_end(key)
            return hit
        if since is not None:
            if inclusive:  # changed at or after `since`
                start = bisect.bisect_left(self.modified, (since, -1))
            else:  # strictly after
                start = bisect.bisect_right(self.modified, (since, 2**63))
            candidates = [emp_id for _, emp_id in self.modified[start:]]
            if attrs:
                wanted = [a for a in attrs if a in catalog.BY_KEY]
                candidates = [c for c in candidates if any(self._after(c, a, since, inclusive) for a in wanted)]
            result = sorted(candidates)
        elif email is not None:
            result = list(self.by_email.get(email.lower(), []))
        else:
            result = self.ids
        self._queries[key] = result
        if len(self._queries) > 64:
            self._queries.popitem(last=False)
        return result

    def _after(self, emp_id: int, key: str, since: datetime, inclusive: bool) -> bool:
        changed = self._changed_at(emp_id, key)
        return changed >= since if inclusive else changed > since

    def _changed_at(self, emp_id: int, key: str) -> datetime:
        person = self.people[emp_id]
        if key == "last_modified_at":
            return person.last_modified_at
        if key in ("id", "created_at"):
            return person.created_at
        return person.changed.get(key, person.created_at)

    # -- indexes and cache upkeep -------------------------------------------------------------
    def _index_email(self, email: Any, emp_id: int) -> None:
        if email is not None:
            bisect.insort(self.by_email.setdefault(str(email).lower(), []), emp_id)

    def _unindex_email(self, email: Any, emp_id: int) -> None:
        if email is None:
            return
        holders = self.by_email.get(str(email).lower(), [])
        if emp_id in holders:
            holders.remove(emp_id)
        if not holders:
            self.by_email.pop(str(email).lower(), None)

    def _forget(self, emp_id: int) -> None:
        self._wrapped.pop(emp_id, None)
        self._encoded.pop(emp_id, None)

    def _touched(self) -> None:
        self.version += 1
        self._queries.clear()

    def set_hidden(self, keys: set[str]) -> None:
        unknown = keys - set(catalog.BY_KEY)
        if unknown:
            raise CompanyError(400, f"unknown attributes: {sorted(unknown)}")
        self.hidden = keys - {"id"}
        self._wrapped.clear()
        self._encoded.clear()
        self._touched()

    # -- mutations ----------------------------------------------------------------------------
    def _set_modified(self, person: Employee, when: datetime) -> None:
        index = bisect.bisect_left(self.modified, (person.last_modified_at, person.id))
        if index < len(self.modified) and self.modified[index] == (person.last_modified_at, person.id):
            del self.modified[index]
        person.last_modified_at = when
        bisect.insort(self.modified, (when, person.id))

    def _coerce(self, key: str, value: Any, emp_id: int | None) -> Any:
        definition = catalog.BY_KEY.get(key)
        if definition is None or key not in catalog.SETTABLE:
            raise CompanyError(400, f"attribute {key!r} cannot be set")
        if value is None:
            if key in ("email", "first_name", "last_name", "status"):
                raise CompanyError(400, f"{key} is required")
            return None
        if definition.kind == catalog.DATE:
            try:
                return date.fromisoformat(str(value)[:10])
            except ValueError as exc:
                raise CompanyError(400, f"{key}: not a date: {value!r}") from exc
        if definition.kind == catalog.RELATION:
            tables: dict[str, dict[int, Any]] = {
                "Department": dict(self.org.departments),
                "Office": self.org.offices,
                "Team": self.org.teams,
                "Subcompany": self.org.subcompanies,
            }
            table = tables[definition.relation_type]
            if not isinstance(value, int) or value not in table:
                raise CompanyError(400, f"{key}: unknown id {value!r}")
            return value
        if key == "supervisor":
            return self._check_supervisor(value, emp_id)
        if key == "cost_centers":
            if not isinstance(value, list) or any(
                not isinstance(c, dict) or c.get("id") not in self.org.cost_centers for c in value
            ):
                raise CompanyError(400, "cost_centers: a list of {id, percentage} with known ids")
            return [{"id": c["id"], "percentage": c.get("percentage", 100)} for c in value]
        if key == "status" and value not in ("onboarding", "active", "leave", "inactive"):
            raise CompanyError(400, f"status: {value!r} is not onboarding, active, leave or inactive")
        if key == "email":
            text = str(value)
            if any(owner != emp_id for owner in self.by_email.get(text.lower(), [])):
                raise CompanyError(409, "email already in use")
            return text
        return value

    def _check_supervisor(self, value: Any, emp_id: int | None) -> int:
        if not isinstance(value, int) or value not in self.people:
            raise CompanyError(400, f"supervisor: unknown employee {value!r}")
        walker: int | None = value
        seen: set[int] = set()
        while walker is not None and walker not in seen:  # a planted cycle elsewhere must not hang us
            if walker == emp_id:
                raise CompanyError(400, "supervisor: would create a cycle")
            seen.add(walker)
            walker = self.people[walker].values.get("supervisor")
        return value

    def _assign(self, person: Employee, key: str, value: Any, when: datetime) -> bool:
        old = person.values.get(key)
        if old == value:
            return False
        if key == "email":
            self._unindex_email(old, person.id)
            self._index_email(value, person.id)
        if key == "supervisor":
            if old is not None:
                self.reports.get(old, set()).discard(person.id)
            if value is not None:
                self.reports.setdefault(value, set()).add(person.id)
        person.values[key] = value
        person.changed[key] = when
        if key in ("email", "first_name", "last_name"):
            for report in self.reports.get(person.id, ()):  # their supervisor shape shows it
                self._forget(report)
        return True

    def update(self, emp_id: int, changes: JSON) -> JSON:
        """Apply admin changes; any real change bumps `last_modified_at` unless it is given explicitly."""
        person = self.people.get(emp_id)
        if person is None:
            raise CompanyError(404, f"no employee {emp_id}")
        explicit = changes.get("last_modified_at")
        coerced = {k: self._coerce(k, v, emp_id) for k, v in changes.items() if k != "last_modified_at"}
        when = now()
        changed_keys = tuple(key for key, value in coerced.items() if self._assign(person, key, value, when))
        changed = bool(changed_keys)
        if explicit is not None:
            try:
                stamp = parse_utc(str(explicit))
            except ValueError as exc:
                raise CompanyError(400, f"last_modified_at: {exc}") from exc
            self._set_modified(person, stamp)
            for key in coerced:
                person.changed[key] = stamp
        elif changed:
            self._set_modified(person, when)
        self._forget(emp_id)
        self._touched()
        if changed_keys:
            self._notify("update", emp_id, changed_keys)
        return self.plain(emp_id)

    def hire(self, fields: JSON) -> JSON:
        """Create an employee; missing fields get plain defaults."""
        first = fields.get("first_name") or "New"
        last = fields.get("last_name") or "Hire"
        new_id = (self.ids[-1] + 1) if self.ids else 1000
        if "id" in fields:
            new_id = fields["id"]
            if not isinstance(new_id, int) or new_id in self.people:
                raise CompanyError(409, f"id {new_id!r} is taken or invalid")
        base = dict.fromkeys(catalog.SETTABLE)
        base.update(
            {
                "first_name": first,
                "last_name": last,
                "email": fields.get("email") or f"{first}.{last}.{new_id}@{DOMAIN}".lower(),
                "status": "onboarding",
                "hire_date": now().date().isoformat(),
                "department": next(iter(self.org.departments)),
                "office": next(iter(self.org.offices)),
                "subcompany": next(iter(self.org.subcompanies)),
                "cost_centers": [],
                "weekly_working_hours": "40",
                "employment_type": "internal",
            }
        )
        base.update({k: v for k, v in fields.items() if k not in ("id", "last_modified_at")})
        values = {k: self._coerce(k, v, new_id) for k, v in base.items()}
        when = now()
        person = Employee(new_id, {}, when, when, {})
        person.values = dict.fromkeys(catalog.SETTABLE)
        self.people[new_id] = person
        bisect.insort(self.ids, new_id)
        for key, value in values.items():
            self._assign(person, key, value, when)
        for key in catalog.SETTABLE:
            person.changed[key] = when
        bisect.insort(self.modified, (when, new_id))
        if fields.get("last_modified_at"):
            self._set_modified(person, parse_utc(str(fields["last_modified_at"])))
        self._touched()
        self._notify("hire", new_id, tuple(values))
        return self.plain(new_id)

    def delete(self, emp_id: int) -> None:
        """Remove an employee without trace; their reports lose their supervisor (a change to them)."""
        person = self.people.pop(emp_id, None)
        if person is None:
            raise CompanyError(404, f"no employee {emp_id}")
        self.ids.pop(bisect.bisect_left(self.ids, emp_id))
        index = bisect.bisect_left(self.modified, (person.last_modified_at, emp_id))
        del self.modified[index]
        self._unindex_email(person.values.get("email"), emp_id)
        boss = person.values.get("supervisor")
        if boss is not None:
            self.reports.get(boss, set()).discard(emp_id)
        when = now()
        reports = sorted(self.reports.pop(emp_id, set()))
        for report in reports:
            other = self.people[report]
            other.values["supervisor"] = None
            other.changed["supervisor"] = when
            self._set_modified(other, when)
            self._forget(report)
        self._forget(emp_id)
        self._touched()
        self._notify("delete", emp_id)
        for report in reports:
            self._notify("update", report, ("supervisor",))

    def create_department(self, name: str, parent_id: int | None) -> Department:
        if parent_id is not None and parent_id not in self.org.departments:
            raise CompanyError(400, f"unknown parent department {parent_id}")
        new_id = max(self.org.departments) + 1
        department = Department(new_id, name, parent_id, "".join(w[0] for w in name.split())[:6].upper(), "")
        self.org.departments[new_id] = department
        self._touched()
        return department

    def rename_department(self, dept_id: int, name: str) -> Department:
        """Rename a department; by default nobody is bumped (the design's conservative choice).

        With the `rename_bumps_members` option, a real change of name bumps every member's
        `last_modified_at` and their `department` change time (so `attributes[]=department` sees it).
        """
        department = self.org.departments.get(dept_id)
        if department is None:
            raise CompanyError(404, f"no department {dept_id}")
        bump = self.options.rename_bumps_members and department.name != name
        department.name = name
        when = now()
        for person in self.people.values():  # admin-only path; the API never scans
            if person.values.get("department") == dept_id:
                self._forget(person.id)
                if bump:
                    person.changed["department"] = when
                    self._set_modified(person, when)
        self._touched()
        return department
