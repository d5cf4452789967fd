"""Read the Leapsome sandbox's state the way a person would look at it: counts, a few people, changes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

JSON = dict[str, Any]


@dataclass
class LeapsomeView:
    """One snapshot of `GET /_admin/state`, indexed for reading."""

    users: dict[str, JSON]
    groups: dict[str, JSON]

    @classmethod
    def from_state(cls, state: JSON) -> LeapsomeView:
        return cls({u["id"]: u for u in state["users"]}, {g["id"]: g for g in state["groups"]})

    def synced_users(self) -> list[JSON]:
        return [u for u in self.users.values() if u.get("externalId")]

    def hand_made_users(self) -> list[JSON]:
        return [u for u in self.users.values() if not u.get("externalId")]

    def synced_teams(self) -> list[JSON]:
        return [g for g in self.groups.values() if str(g.get("externalId") or "").startswith("personio-department-")]

    def hand_made_teams(self) -> list[JSON]:
        return [g for g in self.groups.values() if g not in self.synced_teams()]

    def name(self, user_id: str | None) -> str:
        user = self.users.get(user_id or "")
        return str(user.get("displayName") or user["userName"]) if user else "-"

    def team_names(self, user: JSON) -> str:
        return ", ".join(str(self.groups[t]["displayName"]) for t in user.get("teams", []) if t in self.groups) or "-"

    def counts(self) -> list[tuple[str, int]]:
        synced = self.synced_users()
        return [
            ("users synced from Personio", len(synced)),
            ("  active", sum(1 for u in synced if u["active"])),
            ("  deactivated", sum(1 for u in synced if not u["active"])),
            ("  with a manager", sum(1 for u in synced if u.get("manager"))),
            ("users made by hand in Leapsome", len(self.hand_made_users())),
            ("teams synced from Personio departments", len(self.synced_teams())),
            ("teams made by hand in Leapsome", len(self.hand_made_teams())),
        ]

    def describe(self, user: JSON) -> str:
        state = "active" if user["active"] else "deactivated"
        return (
            f"{self.name(user['id'])} <{user['userName']}> · {user.get('title') or '-'} · {state} · "
            f"manager: {self.name(user.get('manager'))} · team: {self.team_names(user)}"
        )


def changes(before: LeapsomeView, after: LeapsomeView) -> list[str]:
    """Human-readable lines for what differs between two snapshots."""
    lines: list[str] = []
    for uid, user in after.users.items():
        old = before.users.get(uid)
        if old is None:
            lines.append(f"+ new user      {after.describe(user)}")
            continue
        if old["active"] != user["active"]:
            verb = "reactivated" if user["active"] else "deactivated"
            lines.append(f"~ {verb:<13} {after.describe(user)}")
        if old.get("manager") != user.get("manager"):
            lines.append(
                f"~ manager       {user['displayName']}: {before.name(old.get('manager'))} -> "
                f"{after.name(user.get('manager'))}"
            )
        if set(old.get("teams", [])) != set(user.get("teams", [])):
            lines.append(f"~ team          {user['displayName']}: {before.team_names(old)} -> {after.team_names(user)}")
        for field in ("userName", "displayName", "title"):
            if old.get(field) != user.get(field):
                lines.append(f"~ {field:<13} {user['displayName']}: {old.get(field)!r} -> {user.get(field)!r}")
    for gid, group in after.groups.items():
        old_group = before.groups.get(gid)
        if old_group is None:
            lines.append(f"+ new team      {group['displayName']}")
        elif old_group["displayName"] != group["displayName"]:
            lines.append(f"~ team renamed  {old_group['displayName']!r} -> {group['displayName']!r}")
    return lines
