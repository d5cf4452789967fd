"""The floor: the fewest requests a piece of work needs, and the time the rate limits impose for them.

Computed from the data alone (Personio's employees before and after, as the admin API shows them), never
from what the plugins did, so it is the yardstick both our sync and the naive one are measured against.

The API facts it rests on (docs/design.md, ../shared/reference/leapsome-api.md):
- Personio: one token (`/v1/auth`) serves every call; employees come 100 a page; v2 org units (departments)
  100 a page and are not rate limited; employee endpoints allow 15 requests in any second and 300 in any
  minute.
- Leapsome: 30 requests in any second; `GET /Users` lists 5,000 users a page and `GET /Groups` 1,000 groups;
  a create takes only the core fields, so a new user needs a create and a PATCH (manager, location, dates);
  a new team needs its create (the spec documents only `displayName` and `externalId` for it) and then
  ceil(members/100) PATCHes; adding members costs ceil(added/100) PATCHes, while removing one means
  replacing the whole list (`replaceMembers`), ceil(remaining/100).
- Not in the floor: the target's read-back after a run that wrote (the same list reads again), which
  proves the result; the table's read counts show it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

SYNCED = frozenset({"active", "leave"})
PERSONIO_PAGE = 100
ORG_UNITS_PAGE = 100
USERS_PAGE = 5000
GROUPS_PAGE = 1000
MEMBERS_PER_CALL = 100
LEAPSOME_PER_SECOND = 30
PERSONIO_PER_SECOND = 15
PERSONIO_PER_MINUTE = 300

Person = Mapping[str, Any]


@dataclass(frozen=True)
class Floor:
    """The minimum requests of one run and the seconds the rate limits (plus latency) impose for them."""

    personio_requests: int
    leapsome_reads: int
    leapsome_writes: int
    seconds: float

    @property
    def leapsome_requests(self) -> int:
        return self.leapsome_reads + self.leapsome_writes


def personio_seconds(limited_requests: int, latency_s: float) -> float:
    """Earliest finish of `limited_requests` employee calls under 15/s and 300/min (sliding windows)."""
    if limited_requests <= 0:
        return 2 * latency_s
    last = limited_requests - 1
    wait = 60 * (last // PERSONIO_PER_MINUTE) + (last % PERSONIO_PER_MINUTE) // PERSONIO_PER_SECOND
    return wait + 2 * latency_s  # the token first, then the last page's round trip


def leapsome_seconds(requests: int, latency_s: float) -> float:
    """`requests` at 30 per second (total requests / 30 s), plus the last round trip."""
    return requests / LEAPSOME_PER_SECOND + latency_s if requests else 0.0


def _pages(count: int, size: int) -> int:
    return max(1, math.ceil(count / size))


def _synced(person: Person) -> bool:
    return person.get("status") in SYNCED and bool(person.get("email"))


def _ref(person: Person, key: str) -> Any:
    value = person.get(key)
    return value.get("id") if isinstance(value, Mapping) else None


def _ref_name(person: Person, key: str) -> Any:
    value = person.get(key)
    return value.get("name") if isinstance(value, Mapping) else None


def user_view(person: Person, synced_ids: set[int]) -> tuple[Any, ...]:
    """What a Leapsome user shows of an employee: a difference here needs one PATCH."""
    supervisor = _ref(person, "supervisor")
    return (
        str(person.get("email") or "").lower(),
        person.get("first_name"),
        person.get("last_name"),
        person.get("preferred_name"),
        person.get("position"),
        _ref_name(person, "office"),
        person.get("hire_date"),
        person.get("termination_date"),
        supervisor if supervisor in synced_ids else None,
    )


def needs_patch_after_create(person: Person, synced_ids: set[int]) -> bool:
    """A create carries only core fields; manager, location and dates need the PATCH."""
    return bool(
        _ref(person, "supervisor") in synced_ids
        or _ref_name(person, "office")
        or person.get("hire_date")
        or person.get("termination_date")
    )


def _teams(people: Iterable[Person]) -> dict[Any, set[int]]:
    teams: dict[Any, set[int]] = {}
    for person in people:
        if _synced(person):
            teams.setdefault(_ref(person, "department"), set()).add(int(person["id"]))
    teams.pop(None, None)
    return teams


def leapsome_writes(before: Sequence[Person], after: Sequence[Person]) -> int:
    """The fewest Leapsome writes that turn Leapsome-in-sync-with-`before` into in-sync-with-`after`."""
    old = {int(p["id"]): p for p in before}
    old_synced = {i for i, p in old.items() if _synced(p)}
    new_synced = {int(p["id"]) for p in after if _synced(p)}
    writes = 0
    for person in after:
        pid = int(person["id"])
        if pid in new_synced and pid not in old:
            writes += 1 + needs_patch_after_create(person, new_synced)
        elif pid in new_synced and pid not in old_synced:
            writes += 1  # an existing (deactivated) user: one PATCH reactivates and updates it
        elif pid in new_synced:
            writes += user_view(person, new_synced) != user_view(old[pid], old_synced)
        elif pid in old_synced:
            writes += 1  # deactivate
    old_teams, new_teams = _teams(before), _teams(after)
    for team, members in new_teams.items():
        previous = old_teams.get(team)
        if previous is None:
            writes += 1 + _pages(len(members), MEMBERS_PER_CALL)  # the create, then the members
        elif previous - members:
            writes += _pages(len(members), MEMBERS_PER_CALL)
        elif members - previous:
            writes += math.ceil(len(members - previous) / MEMBERS_PER_CALL)
    writes += sum(1 for team in old_teams if team not in new_teams)  # emptied: one replace with []
    return writes


def floor_for_run(
    *,
    before: Sequence[Person],
    after: Sequence[Person],
    employee_records: int,
    departments: int,
    leapsome_users: int,
    leapsome_groups: int,
    latency_s: float,
) -> Floor:
    """The floor of one run that must read `employee_records` employees and reach `after` from `before`.

    Leapsome reads: with employees in the input, the whole user list (membership is only readable through
    the users) and the groups; with none, only the groups (the departments stream may rename teams).
    """
    employee_pages = _pages(employee_records, PERSONIO_PAGE)
    personio = 1 + employee_pages + _pages(departments, ORG_UNITS_PAGE)
    reads = _pages(leapsome_groups, GROUPS_PAGE)
    if employee_records:
        reads += _pages(leapsome_users, USERS_PAGE)
    writes = leapsome_writes(before, after)
    seconds = max(personio_seconds(employee_pages, latency_s), leapsome_seconds(reads + writes, latency_s))
    return Floor(personio, reads, writes, seconds)
