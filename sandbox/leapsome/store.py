"""The organisation a Leapsome sandbox serves (`LeapsomeOrganisation`): users, teams, membership.

Every lookup a request needs is a dictionary access, so 50,000 users stay fast; only the list
endpoints walk the creation-order lists. Callers hold `LeapsomeOrganisation.lock` around a whole request.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field

# Enterprise attributes that name a team: Leapsome puts the user in the team of that name.
TEAM_ATTRIBUTES = ("department", "costCenter", "division")
# A user's invite state (`User.invite`): created (never invited), invited (not accepted), accepted.
INVITES = ("created", "invited", "accepted")


class ScimError(Exception):
    """A request the organisation refuses; carries the HTTP status and the SCIM `detail`."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


@dataclass
class User:
    """One Leapsome user; `enterprise` holds the plain string attributes of the extension."""

    id: str
    user_name: str
    external_id: str | None = None
    given_name: str = ""
    family_name: str = ""
    formatted: str | None = None
    display_name: str | None = None
    title: str = "Colleague"
    photos: list[str] = field(default_factory=list)
    active: bool = True
    manager_id: str | None = None
    additional_manager_ids: list[str] = field(default_factory=list)
    enterprise: dict[str, str] = field(default_factory=dict)
    teams: set[str] = field(default_factory=set)
    created: float = 0.0
    modified: float = 0.0
    version: int = 1
    invite: str = "created"  # INVITES: not invited yet, invited, or the user accepted (logged in)

    @property
    def status(self) -> str:
        """The Content API `status`: deactivated wins; an active account is `active` only once accepted.

        The SCIM spec: a reactivated user is "active again while it might be in a 'invited' or 'created'
        state if the user never accepted an invitation before", so the invite state outlives deactivation.
        """
        if not self.active:
            return "deactivated"
        return "active" if self.invite == "accepted" else self.invite

    @property
    def shown_name(self) -> str:
        """The name Leapsome shows: the display name, else the full name, else the email."""
        if self.display_name:
            return self.display_name
        full = f"{self.given_name} {self.family_name}".strip()
        return full or self.user_name


@dataclass
class Group:
    """One Leapsome team; `members` are user ids."""

    id: str
    display_name: str
    external_id: str | None = None
    members: set[str] = field(default_factory=set)
    created: float = 0.0
    modified: float = 0.0
    version: int = 1


class LeapsomeOrganisation:
    """Users and teams with their indexes; keeps membership consistent in both directions."""

    def __init__(self, seed: int = 0) -> None:
        self.lock = threading.RLock()
        self.users: dict[str, User] = {}
        self.user_order: list[str] = []
        self.users_by_name: dict[str, str] = {}
        self.users_by_external: dict[str, str] = {}
        self.groups: dict[str, Group] = {}
        self.group_order: list[str] = []
        self.groups_by_name: dict[str, str] = {}
        self.groups_by_external: dict[str, str] = {}
        self._rng = random.Random(seed)
        self._serial = 0

    # -- ids and lookups -------------------------------------------------------------------------
    def new_id(self) -> str:
        """A 24-hex id shaped like a MongoDB ObjectId (what Leapsome uses), unique by its serial."""
        self._serial += 1
        return f"66a1{self._rng.getrandbits(56):014x}{self._serial:06x}"

    def find_user(self, key: str, fallback_external: bool = True) -> User | None:
        """By Leapsome id, then (if allowed) by externalId."""
        user = self.users.get(key)
        if user is None and fallback_external:
            found = self.users_by_external.get(key)
            user = self.users.get(found) if found else None
        return user

    def user_by_name(self, user_name: str) -> User | None:
        found = self.users_by_name.get(user_name.lower())
        return self.users[found] if found else None

    def resolve_person(self, reference: str) -> User | None:
        """A manager reference: a Leapsome id, then an email, then an externalId."""
        return self.users.get(reference) or self.user_by_name(reference) or self.find_user(reference)

    def find_group(self, key: str, fallback_external: bool = True) -> Group | None:
        group = self.groups.get(key)
        if group is None and fallback_external:
            found = self.groups_by_external.get(key)
            group = self.groups.get(found) if found else None
        return group

    def group_by_name(self, name: str) -> Group | None:
        found = self.groups_by_name.get(name.lower())
        return self.groups[found] if found else None

    # -- users -----------------------------------------------------------------------------------
    def add_user(self, user_name: str, external_id: str | None = None) -> User:
        """Create a user with defaults; the caller has checked that the names are free."""
        now = time.time()
        user = User(id=self.new_id(), user_name=user_name, created=now, modified=now)
        self.users[user.id] = user
        self.user_order.append(user.id)
        self.users_by_name[user_name.lower()] = user.id
        self.set_external_id(user, external_id)
        return user

    def rename_user(self, user: User, user_name: str) -> None:
        taken = self.users_by_name.get(user_name.lower())
        if taken is not None and taken != user.id:
            raise ScimError(409, "Email address conflict")
        del self.users_by_name[user.user_name.lower()]
        user.user_name = user_name
        self.users_by_name[user_name.lower()] = user.id

    def set_external_id(self, user: User, external_id: str | None) -> None:
        if external_id is not None:
            taken = self.users_by_external.get(external_id)
            if taken is not None and taken != user.id:
                raise ScimError(409, "The externalId is already in use within the organization")
        if user.external_id is not None:
            self.users_by_external.pop(user.external_id, None)
        user.external_id = external_id
        if external_id is not None:
            self.users_by_external[external_id] = user.id

    def set_team_attribute(self, user: User, attribute: str, team_name: str | None) -> None:
        """Set department/costCenter/division: leave the old value's team, join (or create) the new."""
        previous = user.enterprise.get(attribute)
        if previous == team_name:
            return
        if previous is not None:
            old = self.group_by_name(previous)
            if old is not None and old.display_name.lower() != (team_name or "").lower():
                self.leave(old, user)
            del user.enterprise[attribute]
        if team_name:
            user.enterprise[attribute] = team_name
            team = self.group_by_name(team_name) or self.add_group(team_name)
            self.join(team, user)

    def touch_user(self, user: User) -> None:
        user.modified = time.time()
        user.version += 1

    # -- groups ----------------------------------------------------------------------------------
    def add_group(self, display_name: str, external_id: str | None = None) -> Group:
        now = time.time()
        group = Group(id=self.new_id(), display_name=display_name, created=now, modified=now)
        self.groups[group.id] = group
        self.group_order.append(group.id)
        self.groups_by_name[display_name.lower()] = group.id
        self.set_group_external_id(group, external_id)
        return group

    def rename_group(self, group: Group, display_name: str) -> None:
        taken = self.groups_by_name.get(display_name.lower())
        if taken is not None and taken != group.id:
            raise ScimError(409, "The displayName is already in use within the organization")
        del self.groups_by_name[group.display_name.lower()]
        group.display_name = display_name
        self.groups_by_name[display_name.lower()] = group.id

    def set_group_external_id(self, group: Group, external_id: str | None) -> None:
        if external_id is not None:
            taken = self.groups_by_external.get(external_id)
            if taken is not None and taken != group.id:
                raise ScimError(409, "The externalId is already in use within the organization")
        if group.external_id is not None:
            self.groups_by_external.pop(group.external_id, None)
        group.external_id = external_id
        if external_id is not None:
            self.groups_by_external[external_id] = group.id

    def join(self, group: Group, user: User) -> None:
        group.members.add(user.id)
        user.teams.add(group.id)

    def leave(self, group: Group, user: User) -> None:
        group.members.discard(user.id)
        user.teams.discard(group.id)

    def clear_members(self, group: Group) -> None:
        for user_id in group.members:
            self.users[user_id].teams.discard(group.id)
        group.members.clear()

    def touch_group(self, group: Group) -> None:
        group.modified = time.time()
        group.version += 1
