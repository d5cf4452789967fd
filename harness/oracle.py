"""The one oracle: what Leapsome must hold, given what Personio holds (docs/design.md, the product contract).

Derived from the Personio sandbox's own data (`GET /_admin/employees`, `/_admin/departments`), never from
the target's code, and compared with the Leapsome sandbox's `GET /_admin/state`. Used by the reliability
and end-to-end tests (and usable by anything else that checks a finished sync):

- `expected_state(employees, departments, unusable=, gone=) -> Expected`, or `expected_from(personio_admin)`;
- `mismatches(state, expected, hand_made=None) -> [problem]`, empty when Leapsome is exactly right;
- `assert_mirrors(personio_admin, leapsome_admin)`: the two above as one assertion;
- `hand_made(state)` / `hand_made_changes(before, state)`: what the sync must never touch, and whether it did;
- `duplicates(state)`: users or teams that exist twice.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, TypedDict

from harness.admin import LeapsomeAdmin, PersonioAdmin

JSON = dict[str, Any]
SYNCED_STATUSES = ("active", "leave")
TEAM_PREFIX = "personio-department-"


class ExpectedUser(TypedDict):
    userName: str  # lower-case email
    manager: str | None  # the manager's externalId (Personio id)
    team: str | None  # the team's externalId
    # a supervisor who is not synced (left, or skipped): the manager when they have a Leapsome user,
    # since a supervisor who left stays the manager until HR assigns another (Personio wins)
    former_manager: str | None


class ExpectedTeam(TypedDict):
    displayName: str | None
    members: set[str]  # externalIds of the active members


@dataclass
class Expected:
    """What Leapsome must hold for the synced part of the organisation, keyed by Personio ids."""

    users: dict[str, ExpectedUser]  # externalId -> user
    teams: dict[str, ExpectedTeam]  # team externalId -> team
    inactive: set[str]  # employees who must not have an active user
    unnamed_departments: set[int]
    any_manager: set[str] = field(default_factory=set)  # users whose manager is not checked (cycles)


def expected_state(
    employees: list[JSON],
    departments: dict[int, str | None],
    *,
    unusable: Iterable[int] = (),
    gone: Iterable[int] = (),
) -> Expected:
    """The contract, applied to Personio's data.

    Active/leave employees get one user; managers are their supervisors' users; one team per named
    department with synced members, holding exactly them. `unusable` ids are bad records (no user
    expected); `gone` ids were deleted from Personio (their users must be inactive).
    """
    skip = {str(i) for i in unusable}
    people = {str(e["id"]): e for e in employees}
    synced = {k for k, e in people.items() if e["status"] in SYNCED_STATUSES and k not in skip}
    unnamed = {d for d, name in departments.items() if not (name or "").strip()}
    users: dict[str, ExpectedUser] = {}
    teams: dict[str, ExpectedTeam] = {}
    for key in sorted(synced, key=int):
        person = people[key]
        boss = person.get("supervisor")
        manager = str(boss["id"]) if boss and str(boss["id"]) in synced and str(boss["id"]) != key else None
        former = str(boss["id"]) if boss and manager is None and str(boss["id"]) != key else None
        department = (person.get("department") or {}).get("id")
        team = None
        if department is not None and department not in unnamed:
            team = f"{TEAM_PREFIX}{department}"
            teams.setdefault(team, {"displayName": departments[department], "members": set()})["members"].add(key)
        users[key] = {
            "userName": str(person["email"]).lower(),
            "manager": manager,
            "team": team,
            "former_manager": former if former in people and people[former]["status"] == "inactive" else None,
        }
    inactive = {k for k, e in people.items() if e["status"] == "inactive"} | {str(i) for i in gone}
    return Expected(users, teams, inactive, unnamed)


def expected_from(personio: PersonioAdmin, **options: Any) -> Expected:
    """`expected_state` of what the Personio sandbox holds now."""
    return expected_state(personio.employees(), personio.department_names(), **options)


def duplicates(state: JSON) -> list[str]:
    """Users or teams that exist twice (same externalId or same name, case-insensitive)."""
    problems: list[str] = []
    for kind, items, keys in (
        ("user", state["users"], ("externalId", "userName")),
        ("team", state["groups"], ("externalId", "displayName")),
    ):
        for key in keys:
            seen = Counter(str(i[key]).lower() for i in items if i.get(key))
            problems += [f"{kind} {key} {value!r} x{n}" for value, n in seen.items() if n > 1]
    return problems


def mismatches(
    state: JSON, expected: Expected, hand_made: JSON | None = None, *, exact_user_names: bool = False
) -> list[str]:
    """Every way the Leapsome state differs from the expected one; empty when it is exactly right.

    userNames compare case-insensitively unless `exact_user_names` (then they must be the lower-case email).
    """
    problems = duplicates(state)
    users = {u["id"]: u for u in state["users"]}
    groups = {g["id"]: g for g in state["groups"]}
    by_ext = {u["externalId"]: u for u in state["users"] if u.get("externalId")}
    for key, want in expected.users.items():
        user = by_ext.get(key)
        if user is None:
            problems.append(f"employee {key}: no Leapsome user")
            continue
        if not user["active"]:
            problems.append(f"employee {key}: user is deactivated")
        user_name = str(user["userName"]) if exact_user_names else str(user["userName"]).lower()
        if user_name != want["userName"]:
            problems.append(f"employee {key}: userName {user['userName']!r}, want {want['userName']!r}")
        manager = users.get(user.get("manager") or "", {}).get("externalId")
        wanted = want["manager"] or (want["former_manager"] if want["former_manager"] in by_ext else None)
        if manager != wanted and key not in expected.any_manager:
            problems.append(f"employee {key}: manager {manager!r}, want {wanted!r}")
        synced_teams = {
            groups[t]["externalId"]
            for t in user.get("teams", [])
            if t in groups and str(groups[t].get("externalId") or "").startswith(TEAM_PREFIX)
        }
        if synced_teams != ({want["team"]} if want["team"] else set()):
            problems.append(f"employee {key}: teams {sorted(synced_teams)}, want {want['team']!r}")
    for user in state["users"]:
        key = user.get("externalId")
        if key and key.isdigit() and key not in expected.users and user["active"]:
            problems.append(f"employee {key}: has an active user but should not")
    for key in expected.inactive:
        user = by_ext.get(key)
        if user is not None and user["active"]:
            problems.append(f"employee {key} (inactive or gone): user still active")
    synced_groups = {
        g["externalId"]: g for g in state["groups"] if str(g.get("externalId") or "").startswith(TEAM_PREFIX)
    }
    for ext, want_team in expected.teams.items():
        group = synced_groups.get(ext)
        if group is None:
            problems.append(f"team {ext}: missing")
            continue
        if group["displayName"] != want_team["displayName"]:
            problems.append(f"team {ext}: name {group['displayName']!r}, want {want_team['displayName']!r}")
        members = {users[m]["externalId"] for m in group["members"] if m in users and users[m]["active"]}
        if members != want_team["members"]:
            problems.append(
                f"team {ext}: active members differ: +{sorted(members - want_team['members'])} "
                f"-{sorted(want_team['members'] - members)}"
            )
    for ext, group in synced_groups.items():
        active = [m for m in group["members"] if m in users and users[m]["active"]]
        if ext not in expected.teams and active:
            problems.append(f"team {ext}: exists with active members but should not")
    if hand_made is not None:
        problems += hand_made_changes(hand_made, state)
    return problems


def assert_mirrors(personio: PersonioAdmin, leapsome: LeapsomeAdmin, *, exact_user_names: bool = True) -> JSON:
    """Leapsome holds exactly what the contract derives from Personio; returns Leapsome's state."""
    state = leapsome.state()
    problems = mismatches(state, expected_from(personio), exact_user_names=exact_user_names)
    assert not problems, "Leapsome does not mirror Personio:\n" + "\n".join(problems)
    return state


def hand_made(state: JSON) -> JSON:
    """The users and teams the sync must never touch, as they are now."""
    return {
        "users": [u for u in state["users"] if not u.get("externalId")],
        "groups": [g for g in state["groups"] if not str(g.get("externalId") or "").startswith(TEAM_PREFIX)],
    }


def hand_made_changes(before: JSON, state: JSON) -> list[str]:
    """The hand-made users and teams of `before` that are not exactly the same in `state`."""
    now_users = {u["id"]: u for u in state["users"]}
    now_groups = {g["id"]: g for g in state["groups"]}
    problems = [f"hand-made user {u['userName']} changed" for u in before["users"] if now_users.get(u["id"]) != u]
    problems += [f"hand-made team {g['displayName']} changed" for g in before["groups"] if now_groups.get(g["id"]) != g]
    return problems
