"""A plan: the writes that bring Leapsome to what Personio says, each item describing itself.

The planner builds it, the guard checks it, apply executes it, verify plans again to prove it, and the
report shows it; none of them changes it, so every item is frozen.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal, NamedTuple

from target_leapsome.models import Skip

MAX_MEMBERS = 100  # Leapsome refuses more members in one group request


class UserKey(NamedTuple):
    """Who a planned write is about: an existing Leapsome user, or a user this plan creates."""

    kind: Literal["leapsome", "new"]
    value: str  # the Leapsome id, or the Personio id of the user to create


@dataclass(frozen=True)
class UserRef:
    """A user the plan writes to: an existing Leapsome id, or a Personio id created in this run."""

    leapsome_id: str | None = None
    external_id: str | None = None

    @property
    def key(self) -> UserKey:
        if self.leapsome_id:
            return UserKey("leapsome", self.leapsome_id)
        return UserKey("new", str(self.external_id))


class Change(StrEnum):
    """What a planned write means, for users and teams alike: counted in the summary, named in the report."""

    CREATED = "created"
    CREATE_DETAILS = "create_details"  # the PATCH that completes a create: part of it, not an update
    ADOPTED = "adopted"
    TAKEN_OVER = "taken_over"  # a returning employee takes over the user of their former Personio record
    ADDRESS_FREED = "address_freed"  # a temporary userName, so another user can take this one's address
    EMAIL_CHANGED = "email_changed"
    REACTIVATED = "reactivated"
    DEACTIVATED = "deactivated"
    MANAGER_CHANGED = "manager_changed"
    UPDATED = "updated"
    RENAMED = "renamed"
    MEMBERS_CHANGED = "members_changed"
    EMPTIED = "emptied"  # the department is gone from Personio; Leapsome cannot delete its team


# the user changes that are not plain field updates
_SPECIAL_FIELDS = frozenset({"external_id", "active", "user_name", "manager", "additional_managers"})


@dataclass(frozen=True)
class CreateUser:
    external_id: str
    user_name: str
    fields: Mapping[str, str | None]
    label: str

    def to_json(self) -> dict[str, Any]:
        after = {"userName": self.user_name, "externalId": self.external_id, **self.fields}
        return {"action": "create_user", "subject": self.label, "after": after}


@dataclass(frozen=True)
class UpdateUser:
    """One PATCH of one user: every managed field that differs, the manager included."""

    ref: UserRef
    user_name: str  # the userName to send (the new one when the email changes)
    label: str
    changes: Mapping[str, tuple[object, object]] = field(default_factory=dict)
    set_manager: bool = False
    manager: UserRef | None = None
    additional_managers: tuple[UserRef, ...] | None = None  # None: leave them as they are
    temporary: bool = False  # only moves the userName out of another user's way

    @property
    def kinds(self) -> tuple[Change, ...]:
        """What the update means; a new user's follow-up PATCH is part of its creation."""
        if self.ref.leapsome_id is None:
            return (Change.CREATE_DETAILS,)
        if self.temporary:
            return (Change.ADDRESS_FREED,)
        changes = self.changes
        adopted_from = changes["external_id"][0] if "external_id" in changes else None
        found = [
            (Change.ADOPTED, "external_id" in changes and adopted_from is None),
            (Change.TAKEN_OVER, adopted_from is not None),
            (Change.EMAIL_CHANGED, "user_name" in changes),
            (Change.REACTIVATED, changes.get("active") == (False, True)),
            (Change.DEACTIVATED, changes.get("active") == (True, False)),
            (Change.MANAGER_CHANGED, "manager" in changes or "additional_managers" in changes),
            (Change.UPDATED, any(name not in _SPECIAL_FIELDS for name in changes)),
        ]
        return tuple(kind for kind, applies in found if applies)

    def to_json(self) -> dict[str, Any]:
        changes = {k: {"before": b, "after": a} for k, (b, a) in self.changes.items() if b != a}
        return {"action": "+".join(self.kinds), "subject": self.label, "changes": changes}


@dataclass(frozen=True)
class TeamWrite:
    """The writes of one synced team after users exist: creation, adoption, rename and membership together."""

    department_id: int
    team_id: str | None  # None: created in this run
    label: str
    kinds: tuple[Change, ...] = ()
    display_name: str | None = None  # set when creating, renaming or adopting
    external_id: str | None = None  # set when creating or adopting
    replace: bool = False
    members: tuple[UserRef, ...] = ()  # the full list when replacing, else additions
    added: tuple[str, ...] = ()  # labels, for the report
    removed: tuple[str, ...] = ()
    name_before: str | None = None

    @property
    def request_count(self) -> int:
        """A create is its own request; members go in chunks of 100, the first riding on a rename or adoption."""
        chunks = -(-len(self.members) // MAX_MEMBERS)
        return 1 + chunks if self.team_id is None else max(1, chunks)

    def to_json(self) -> dict[str, Any]:
        entry: dict[str, Any] = {"action": "+".join(self.kinds) or "team", "subject": self.label}
        if Change.RENAMED in self.kinds:
            entry["changes"] = {"displayName": {"before": self.name_before, "after": self.display_name}}
        if self.added or self.removed:
            entry["members_added"], entry["members_removed"] = list(self.added), list(self.removed)
        return entry


@dataclass(frozen=True)
class Plan:
    user_moves: tuple[UpdateUser, ...] = ()  # temporary userNames, first: addresses that change hands
    user_creates: tuple[CreateUser, ...] = ()
    user_updates: tuple[UpdateUser, ...] = ()
    team_writes: tuple[TeamWrite, ...] = ()
    skips: tuple[Skip, ...] = ()
    notices: tuple[Skip, ...] = ()  # done, but HR should look: a manager who left, a department gone
    out_of_scope: tuple[Skip, ...] = ()  # employees the `scope` setting leaves out, with the reason
    managed_active: int = 0  # active users the sync manages, adopted ones included: the base of the share limit

    @property
    def deactivations(self) -> list[UpdateUser]:
        return [u for u in self.user_updates if Change.DEACTIVATED in u.kinds]

    @property
    def write_count(self) -> int:
        """The planned requests, counting each member chunk of 100; used in logs and dry runs."""
        users = len(self.user_moves) + len(self.user_creates) + len(self.user_updates)
        return users + sum(w.request_count for w in self.team_writes)

    def is_empty(self) -> bool:
        return not (self.user_moves or self.user_creates or self.user_updates or self.team_writes)
