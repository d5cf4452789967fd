"""Check that Leapsome matches Personio after a run, so both syncs are measured doing real, correct work.

For every employee Personio would sync (active or on leave): a user with their email as userName, active,
the position as title, the supervisor's user as manager (when the supervisor is synced too), and
membership of their department's team (ours keys it `personio-department-<id>`, the naive script names it
after the department). Every other employee: no user, or a deactivated one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

SYNCED = ("active", "leave")


def _ref(person: Mapping[str, Any], key: str) -> Any:
    value = person.get(key)
    return value if isinstance(value, Mapping) else {}


def mismatches(people: list[dict[str, Any]], state: Mapping[str, Any]) -> list[str]:
    """Every way Leapsome (`GET /_admin/state`) differs from Personio (`GET /_admin/employees`)."""
    users = {str(u["userName"]).lower(): u for u in state["users"]}
    by_id = {u["id"]: u for u in state["users"]}
    groups = {g["id"]: g for g in state["groups"]}
    synced = {p["id"] for p in people if p["status"] in SYNCED}
    emails = {p["id"]: str(p["email"]).lower() for p in people}
    problems: list[str] = []
    for person in people:
        email = emails[person["id"]]
        user = users.get(email)
        if person["id"] not in synced:
            if user is not None and user["active"]:
                problems.append(f"{person['id']}: {person['status']} but active in Leapsome")
            continue
        if user is None:
            problems.append(f"{person['id']}: no Leapsome user")
            continue
        if not user["active"]:
            problems.append(f"{person['id']}: deactivated in Leapsome")
        if (user.get("title") or None) != (person.get("position") or None):
            problems.append(f"{person['id']}: title {user.get('title')!r} != {person.get('position')!r}")
        supervisor = _ref(person, "supervisor").get("id")
        want = emails.get(supervisor) if supervisor in synced else None
        manager = by_id.get(user.get("manager") or "")
        have = str(manager["userName"]).lower() if manager else None
        if have != want:
            problems.append(f"{person['id']}: manager {have} != {want}")
        department = _ref(person, "department")
        if department:
            teams = [groups[t] for t in user.get("teams", []) if t in groups]
            key = f"personio-department-{department.get('id')}"
            name = str(department.get("name") or "").casefold()
            if not any(t.get("externalId") == key or str(t["displayName"]).casefold() == name for t in teams):
                problems.append(f"{person['id']}: not in the team of department {department.get('id')}")
    return problems
