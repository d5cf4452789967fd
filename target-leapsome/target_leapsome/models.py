"""The value types the planner reasons about: Personio employees and Leapsome users and teams.

Parsing SCIM resources lives here so that one module owns the mapping between Leapsome's wire shape
and the fields the sync manages.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from typing import Any

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
TEAM_EXTERNAL_PREFIX = "personio-department-"

ENTERPRISE_FIELDS = ("location", "start_date", "end_date")
# The user fields the sync owns ("Personio wins"). Names are the planner's; scim.py maps them to SCIM.
# Employee and LeapsomeUser both carry them as attributes, so one list keeps the two views comparable.
USER_FIELDS = ("given_name", "family_name", "display_name", "title", *ENTERPRISE_FIELDS)
# Fields Personio can clear: None means "no value" and is written as a clear, not skipped.
CLEARABLE_FIELDS = frozenset(ENTERPRISE_FIELDS)


def team_external_id(department_id: int) -> str:
    """The externalId that marks a team as ours: keyed by id so a rename renames instead of duplicating."""
    return f"{TEAM_EXTERNAL_PREFIX}{department_id}"


def department_id_of(external_id: str | None) -> int | None:
    """The Personio department id a synced team belongs to, or None for a team the sync does not own."""
    if not external_id or not external_id.startswith(TEAM_EXTERNAL_PREFIX):
        return None
    rest = external_id[len(TEAM_EXTERNAL_PREFIX) :]
    return int(rest) if rest.isdigit() else None


def is_personio_external_id(external_id: str | None) -> bool:
    """A user is managed by the sync only when its externalId is a Personio employee id (decimal).

    The design fixes externalId = Personio id, so a numeric externalId set by another provisioning tool
    looks the same: such a user is deactivated by a complete snapshot (see the README's caveat).
    """
    return bool(external_id) and external_id.isdigit()  # type: ignore[union-attr]


def user_fields(source: Employee | LeapsomeUser) -> dict[str, str | None]:
    """The managed user fields of either side, by planner name, so they compare key by key."""
    return {name: getattr(source, name) for name in USER_FIELDS}


def blank(value: str | None) -> str | None:
    """Leapsome answers absent and empty the same way; comparing through this avoids phantom updates."""
    return value if value else None


@dataclass(frozen=True)
class Employee:
    """One usable Personio employee record, reduced to what Leapsome receives."""

    id: int
    email: str  # lower-cased
    status: str
    given_name: str | None
    family_name: str | None
    display_name: str | None
    title: str | None
    location: str | None
    start_date: str | None
    end_date: str | None
    department_id: int | None
    department_name: str | None
    supervisor_id: int | None
    # What the record does not say (the attribute is absent, e.g. not whitelisted): Leapsome's value stays.
    # Holds user field names (see `fields()`), "manager" (no supervisor key) and "team" (no department key).
    unknown: frozenset[str] = frozenset()

    @property
    def external_id(self) -> str:
        return str(self.id)

    @property
    def label(self) -> str:
        return employee_label(self.id, self.given_name, self.family_name)

    def fields(self) -> dict[str, str | None]:
        """The managed user fields; None in a non-clearable field means "leave Leapsome's value"."""
        return user_fields(self)


def _is_control(char: str) -> bool:
    return unicodedata.category(char) == "Cc"


def clean_text(value: str) -> tuple[str, bool]:
    """Remove C0/C1 control characters (category Cc), which must never reach Leapsome.

    Whitespace controls (tab, newline, ...) become a space and the resulting runs collapse, so
    a tab between words reads as a space; others (NUL, BEL, ESC) are dropped. Format characters (Cf, such as
    the right-to-left mark) are legitimate in names and kept. Returns the text and whether it changed.
    """
    if not any(_is_control(char) for char in value):
        return value, False
    spaced = "".join(" " if char.isspace() else char for char in value if not _is_control(char) or char.isspace())
    return " ".join(spaced.split()), True


def escape_controls(text: str) -> str:
    """Make a name safe to put in one log line: control characters and line separators become escapes."""
    return "".join(
        char.encode("unicode_escape").decode("ascii") if _is_control(char) or char in "\u2028\u2029" else char
        for char in text
    )


def employee_label(employee_id: Any, first: Any = None, last: Any = None) -> str:
    """How an employee is named in errors and reports: the id plus the name, never other data.

    Names come from Personio unvetted, so control characters are escaped: a name must not be able to
    forge or split a log line.
    """
    name = " ".join(str(part) for part in (first, last) if part)
    return escape_controls(f"employee {employee_id} ({name})" if name else f"employee {employee_id}")


@dataclass(frozen=True)
class Skip:
    """Something the sync leaves out, not a failure: named once with what HR can fix in Personio.

    `key` is the Personio id of the employee it concerns, when it concerns one: a run's verification
    leaves skipped employees out, since what was not written for them is expected to differ.
    """

    subject: str
    reason: str
    key: str | None = None


@dataclass(frozen=True)
class LeapsomeUser:
    """A Leapsome user as the sync sees it."""

    id: str
    user_name: str
    external_id: str | None
    active: bool
    given_name: str | None = None
    family_name: str | None = None
    display_name: str | None = None
    title: str | None = None
    location: str | None = None
    start_date: str | None = None
    end_date: str | None = None
    manager_id: str | None = None
    group_ids: frozenset[str] = field(default_factory=frozenset)

    @property
    def managed(self) -> bool:
        return is_personio_external_id(self.external_id)

    def fields(self) -> dict[str, str | None]:
        """Leapsome's current values of the managed fields, keyed like `Employee.fields`."""
        return user_fields(self)

    @classmethod
    def from_scim(cls, resource: dict[str, Any]) -> LeapsomeUser:
        """Parse a SCIM user defensively: Leapsome omits, nulls or empties fields interchangeably."""
        name = resource.get("name") or {}
        enterprise = resource.get(ENTERPRISE) or {}
        manager = enterprise.get("manager")
        manager_id: str | None = None
        if isinstance(manager, dict):
            manager_id = blank(manager.get("managerId") or manager.get("value"))
        elif isinstance(manager, str):
            manager_id = blank(manager)
        if manager_id is None and isinstance(resource.get("manager"), dict):
            manager_id = blank(resource["manager"].get("value"))
        groups = resource.get("groups") or []
        return cls(
            id=str(resource["id"]),
            user_name=str(resource.get("userName") or ""),
            external_id=blank(resource.get("externalId")),
            active=resource.get("active", True) is not False,
            given_name=blank(name.get("givenName")),
            family_name=blank(name.get("familyName")),
            display_name=blank(resource.get("displayName")),
            title=blank(resource.get("title")),
            location=blank(enterprise.get("location")),
            start_date=blank(enterprise.get("startDate")),
            end_date=blank(enterprise.get("endDate")),
            manager_id=manager_id,
            group_ids=frozenset(str(g["value"]) for g in groups if isinstance(g, dict) and g.get("value")),
        )


@dataclass(frozen=True)
class LeapsomeTeam:
    """A Leapsome team (SCIM group); its members are only known through the users' `groups`."""

    id: str
    display_name: str
    external_id: str | None

    @property
    def department_id(self) -> int | None:
        return department_id_of(self.external_id)

    @classmethod
    def from_scim(cls, resource: dict[str, Any]) -> LeapsomeTeam:
        return cls(
            id=str(resource["id"]),
            display_name=str(resource.get("displayName") or ""),
            external_id=blank(resource.get("externalId")),
        )


@dataclass(frozen=True)
class LeapsomeState:
    """Everything read from Leapsome at the start of a run."""

    users: tuple[LeapsomeUser, ...]
    teams: tuple[LeapsomeTeam, ...]
