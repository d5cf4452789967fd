"""The value types the planner reasons about: Personio employees and Leapsome users and teams.

Only values and the rules that hold between them live here; reading them from SCIM resources is scim.py's
job (beside the bodies written back), and text cleaning is text.py's.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from target_leapsome.text import employee_label

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
    # Holds user field names (see `fields()`), "manager" (no supervisor key), "team" (no department key)
    # and the mapped destinations whose source is absent.
    unknown: frozenset[str] = frozenset()
    # The `attribute_mapping` destinations beyond the built-in fields, with their values: text, or for
    # additionalManagers the Personio ids of the managers.
    attributes: tuple[tuple[str, str | tuple[str, ...] | None], ...] = ()
    out_of_scope: str | None = None  # why the `scope` setting leaves this employee out

    @property
    def external_id(self) -> str:
        return str(self.id)

    @property
    def label(self) -> str:
        return employee_label(self.id, self.given_name, self.family_name)

    def fields(self) -> dict[str, str | None]:
        """The managed user fields; None in a non-clearable field means "leave Leapsome's value"."""
        return user_fields(self)


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
    attributes: tuple[tuple[str, str | None], ...] = ()  # enterprise and custom attribute values, by SCIM name
    additional_manager_ids: tuple[str, ...] = ()

    @property
    def managed(self) -> bool:
        return is_personio_external_id(self.external_id)

    def attribute(self, name: str) -> str | None:
        return dict(self.attributes).get(name)

    def fields(self) -> dict[str, str | None]:
        """Leapsome's current values of the managed fields, keyed like `Employee.fields`."""
        return user_fields(self)


@dataclass(frozen=True)
class LeapsomeTeam:
    """A Leapsome team (SCIM group); its members are only known through the users' `groups`."""

    id: str
    display_name: str
    external_id: str | None

    @property
    def department_id(self) -> int | None:
        return department_id_of(self.external_id)


@dataclass(frozen=True)
class LeapsomeState:
    """Everything read from Leapsome at the start of a run."""

    users: tuple[LeapsomeUser, ...]
    teams: tuple[LeapsomeTeam, ...]
