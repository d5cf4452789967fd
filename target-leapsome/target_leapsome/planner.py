"""The pure heart of the sync: desired population + Leapsome's current state -> a plan of writes.

No I/O here, so every rule (identity, adoption, leavers, teams, managers, "Personio wins") can be
tested without HTTP, and applying the plan to any faithful model of Leapsome must reach the desired
state, after which planning again yields nothing to do.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from target_leapsome.desired import Desired
from target_leapsome.models import (
    CLEARABLE_FIELDS,
    Employee,
    LeapsomeState,
    LeapsomeTeam,
    LeapsomeUser,
    Skip,
    blank,
    team_external_id,
)

MAX_TEAM_NAME = 128
SHARE_LIMIT_FROM = 3  # a tiny org losing 3 people is not a mass deactivation
MAX_MEMBERS = 100  # Leapsome refuses more members in one group request
NAME_FIELDS = ("given_name", "family_name")


@dataclass(frozen=True)
class UserRef:
    """A user the plan writes to: an existing Leapsome id, or a Personio id created in this run."""

    leapsome_id: str | None = None
    external_id: str | None = None

    @property
    def key(self) -> str:
        return self.leapsome_id if self.leapsome_id else f"ext:{self.external_id}"


@dataclass
class CreateUser:
    external_id: str
    user_name: str
    fields: dict[str, str | None]
    label: str


@dataclass
class UpdateUser:
    """One PATCH of one user: every managed field that differs, the manager included."""

    ref: UserRef
    user_name: str  # the userName to send (the new one when the email changes)
    label: str
    kinds: list[str] = field(default_factory=list)
    changes: dict[str, tuple[object, object]] = field(default_factory=dict)
    set_manager: bool = False
    manager: UserRef | None = None


@dataclass
class TeamWrite:
    """The writes of one synced team after users exist: adoption, rename and membership together."""

    department_id: int
    team_id: str | None  # None: created in this run
    label: str
    kinds: list[str] = field(default_factory=list)
    display_name: str | None = None  # set when renaming or adopting
    external_id: str | None = None  # set when adopting
    replace: bool = False
    members: list[UserRef] = field(default_factory=list)  # the full list when replacing, else additions
    added: list[str] = field(default_factory=list)  # user keys, for the report
    removed: list[str] = field(default_factory=list)
    name_before: str | None = None

    @property
    def request_count(self) -> int:
        """A create is its own request; members go in chunks of 100, the first riding on a rename or adoption."""
        chunks = -(-len(self.members) // MAX_MEMBERS)
        return 1 + chunks if self.team_id is None else max(1, chunks)


@dataclass
class Plan:
    user_creates: list[CreateUser] = field(default_factory=list)
    user_updates: list[UpdateUser] = field(default_factory=list)
    team_writes: list[TeamWrite] = field(default_factory=list)
    skips: list[Skip] = field(default_factory=list)
    managed_active: int = 0  # active users the sync manages before the plan: the base of the share limit

    @property
    def deactivations(self) -> list[UpdateUser]:
        return [u for u in self.user_updates if "deactivated" in u.kinds]

    @property
    def write_count(self) -> int:
        """The planned requests, counting each member chunk of 100; used in logs and dry runs."""
        team_requests = sum(write.request_count for write in self.team_writes)
        return len(self.user_creates) + len(self.user_updates) + team_requests

    def is_empty(self) -> bool:
        return not (self.user_creates or self.user_updates or self.team_writes)


@dataclass(frozen=True)
class PlanOptions:
    statuses: frozenset[str] = frozenset({"active", "leave"})
    deactivate_statuses: frozenset[str] = frozenset({"inactive"})


def limit_violation(plan: Plan, max_count: int, max_share: float) -> str | None:
    """Entra-style accidental-deletion guard: too many deactivations means the input is suspect."""
    count = len(plan.deactivations)
    if count == 0:
        return None
    if count > max_count:
        return (
            f"the plan deactivates {count} users, over the limit of {max_count} (setting "
            "max_deactivations); nothing was written"
        )
    share = count / max(plan.managed_active, 1)
    if count > SHARE_LIMIT_FROM and share > max_share:
        return (
            f"the plan deactivates {count} of {plan.managed_active} managed active users ({share:.0%}), "
            f"over the limit of {max_share:.0%} (setting max_deactivation_share); nothing was written"
        )
    return None


class _Planner:
    def __init__(self, desired: Desired, state: LeapsomeState, options: PlanOptions) -> None:
        self.desired = desired
        self.state = state
        self.options = options
        self.plan = Plan()
        self.by_ext: dict[str, LeapsomeUser] = {}
        self.by_name: dict[str, LeapsomeUser] = {}
        self.by_id = {user.id: user for user in state.users}
        self.resolved: dict[str, UserRef] = {}  # Personio id -> the user it has after the plan
        self.final_active: dict[str, bool] = {}
        self.synced: dict[str, Employee] = {}  # employees whose user is written by this plan
        self.team_of: dict[str, int | None] = {}  # user key -> department whose team it belongs in
        self.updates: dict[str, UpdateUser] = {}
        self.labels: dict[str, str] = {}  # user key -> label

    def skip(self, subject: str, reason: str, key: str | None = None) -> None:
        self.plan.skips.append(Skip(subject, reason, key))

    def update_for(self, ref: UserRef, user_name: str, label: str) -> UpdateUser:
        existing = self.updates.get(ref.key)
        if existing is None:
            existing = UpdateUser(ref=ref, user_name=user_name, label=label)
            self.updates[ref.key] = existing
        return existing

    # -- identity ------------------------------------------------------------------------------
    def index(self) -> None:
        for user in self.state.users:
            self.by_name.setdefault(user.user_name.lower(), user)
            if not user.managed:
                continue
            ext = str(user.external_id)
            if ext in self.by_ext:
                self.skip(
                    f"Leapsome user {user.id} ({user.user_name})",
                    f"has the same externalId {ext} as Leapsome user {self.by_ext[ext].id}; left alone",
                )
                continue
            self.by_ext[ext] = user
            self.plan.managed_active += int(user.active)

    def users(self) -> None:
        employees = sorted(self.desired.employees.values(), key=lambda e: e.id)
        for employee in employees:
            ext = employee.external_id
            user = self.by_ext.get(ext)
            if employee.status in self.options.statuses:
                self.sync_user(employee, user)
            elif user is not None and employee.status in self.options.deactivate_statuses:
                self.deactivate(user, employee.label, f"status is {employee.status}")
            elif user is not None:
                self._keep(user)
                self.skip(employee.label, f"status {employee.status} is not in the statuses setting; left as is", ext)
        for ext, user in self.by_ext.items():
            if ext in self.resolved or ext in self.desired.unusable or ext in self.desired.employees:
                continue
            if self.desired.complete:
                self.deactivate(user, f"employee {ext} ({user.user_name})", "no longer in Personio")
            else:
                self._keep(user)
        for ext in self.desired.unusable:
            user = self.by_ext.get(ext)
            if user is not None and ext not in self.resolved:
                self._keep(user)

    def _keep(self, user: LeapsomeUser) -> None:
        """A managed user this plan leaves as it is; still resolvable as a manager or team member."""
        ext = str(user.external_id)
        self.resolved[ext] = UserRef(user.id, ext)
        self.final_active[ext] = user.active

    def sync_user(self, employee: Employee, user: LeapsomeUser | None) -> None:
        ext = employee.external_id
        adopted = False
        if user is None:
            candidate = self.by_name.get(employee.email)
            if candidate is not None and candidate.external_id is None:
                user, adopted = candidate, True
            elif candidate is not None:
                self.skip(
                    employee.label,
                    f"the email {employee.email} is the userName of Leapsome user {candidate.id}, which "
                    f"belongs to externalId {candidate.external_id}; not synced",
                    ext,
                )
                return
        self.synced[ext] = employee
        self.final_active[ext] = True
        if user is None:
            ref = UserRef(None, ext)
            self.resolved[ext] = ref
            core = {k: v for k, v in employee.fields().items() if k not in CLEARABLE_FIELDS}
            self.plan.user_creates.append(CreateUser(ext, employee.email, core, employee.label))
            update = self.update_for(ref, employee.email, employee.label)
            for name in CLEARABLE_FIELDS:
                value = employee.fields()[name]
                if value is not None:
                    update.changes[name] = (None, value)
            self.decide_team(ref, employee)
            return
        ref = UserRef(user.id, ext)
        self.resolved[ext] = ref
        self.decide_team(ref, employee)
        update = self.update_for(ref, user.user_name, employee.label)
        if adopted:
            update.changes["external_id"] = (None, ext)
        if user.user_name.lower() != employee.email:
            other = self.by_name.get(employee.email)
            if other is not None and other.id != user.id:
                self.skip(
                    employee.label,
                    f"email change to {employee.email} not applied: that userName belongs to Leapsome user {other.id}",
                    ext,
                )
            else:
                update.user_name = employee.email
                update.changes["user_name"] = (user.user_name, employee.email)
        have = user.fields()
        want = employee.fields()
        for name, value in want.items():
            if name in employee.unknown or (value is None and name not in CLEARABLE_FIELDS):
                continue
            if blank(value) != blank(have[name]):
                update.changes[name] = (have[name], value)
        if any(n in update.changes for n in NAME_FIELDS):
            for name in NAME_FIELDS:
                update.changes.setdefault(name, (have[name], want[name] if want[name] else have[name]))
        if not user.active:
            update.changes["active"] = (False, True)

    def decide_team(self, ref: UserRef, employee: Employee) -> None:
        """An employee whose record has no department key keeps the teams they are in (undecided)."""
        self.labels[ref.key] = employee.label
        if "team" not in employee.unknown:
            self.team_of[ref.key] = employee.department_id

    def deactivate(self, user: LeapsomeUser, label: str, reason: str) -> None:
        ext = str(user.external_id)
        ref = UserRef(user.id, ext)
        self.resolved[ext] = ref
        self.final_active[ext] = False
        self.team_of[ref.key] = None
        self.labels[ref.key] = label
        if user.active:
            update = self.update_for(ref, user.user_name, f"{label}: {reason}")
            update.changes["active"] = (True, False)

    # -- managers ------------------------------------------------------------------------------
    def managers(self) -> None:
        wanted: dict[str, str | None] = {}
        for ext, employee in self.synced.items():
            supervisor = employee.supervisor_id
            if "manager" in employee.unknown:
                continue  # no supervisor key: the manager Leapsome has stays
            if supervisor is None:
                wanted[ext] = None
            elif supervisor == employee.id:
                wanted[ext] = None
                self.skip(
                    employee.label,
                    "is their own supervisor in Personio; set their real supervisor there (synced without a manager)",
                    ext,
                )
            elif self.final_active.get(str(supervisor)) and str(supervisor) in self.resolved:
                wanted[ext] = str(supervisor)
            else:
                wanted[ext] = None
                self.skip(employee.label, self._no_manager_reason(str(supervisor)), ext)
        ext_of_id = {u.id: ext for ext, u in self.by_ext.items()}
        graph: dict[str, str | None] = {}
        for ext, user in self.by_ext.items():
            graph[ext] = ext_of_id.get(user.manager_id or "")
        graph.update(wanted)
        for cycle in _cycles(graph):
            path = " -> ".join([*cycle, cycle[0]])
            for ext in cycle:
                if ext in wanted:
                    wanted[ext] = None
                    self.skip(
                        self.synced[ext].label,
                        f"supervision cycle {path} in Personio; fix a supervisor there (synced without a manager)",
                        ext,
                    )
        for ext, manager_ext in sorted(wanted.items(), key=lambda item: int(item[0])):
            ref = self.resolved[ext]
            current = self.by_id.get(ref.leapsome_id or "")
            manager_ref = self.resolved[manager_ext] if manager_ext else None
            current_id = current.manager_id if current else None
            wanted_id = manager_ref.leapsome_id if manager_ref else None
            if manager_ref is None and current_id is None:
                continue
            if manager_ref is not None and wanted_id is not None and wanted_id == current_id:
                continue
            employee = self.synced[ext]
            update = self.update_for(ref, employee.email, employee.label)
            update.set_manager = True
            update.manager = manager_ref
            update.changes["manager"] = (current_id, manager_ref.key if manager_ref else None)

    def _no_manager_reason(self, supervisor: str) -> str:
        """Why a supervisor has no Leapsome user to point at, in words that tell HR where to look."""
        employee = self.desired.employees.get(supervisor)
        if supervisor in self.desired.unusable:
            return f"their supervisor, employee {supervisor}, is skipped (see there); synced without a manager"
        if employee is not None and employee.status in self.options.deactivate_statuses:
            return (
                f"their supervisor, {employee.label}, has status {employee.status}; assign a current supervisor "
                "in Personio (synced without a manager)"
            )
        if employee is not None or supervisor in self.by_ext:
            name = employee.label if employee is not None else f"employee {supervisor}"
            return f"their supervisor, {name}, has no active Leapsome user; synced without a manager"
        return (
            f"their supervisor, employee {supervisor}, is not among the employees Personio returned; correct the "
            "supervisor in Personio (synced without a manager)"
        )

    # -- teams ---------------------------------------------------------------------------------
    def teams(self) -> None:
        by_department: dict[int, LeapsomeTeam] = {}
        for existing in self.state.teams:
            department = existing.department_id
            if department is not None and department not in by_department:
                by_department[department] = existing
        names: dict[int, str | None] = {}
        for employee in self.desired.employees.values():
            if employee.department_id is not None and employee.department_name:
                names.setdefault(employee.department_id, employee.department_name)
        names.update({k: v for k, v in self.desired.departments.items() if v})
        taken = {t.display_name.lower(): t for t in self.state.teams}
        current: dict[str, set[str]] = {}
        for user in self.state.users:
            for group in user.group_ids:
                current.setdefault(group, set()).add(user.id)
        decided = dict(self.team_of)
        if self.desired.complete:
            unusable_ids = {self.by_ext[e].id for e in self.desired.unusable if e in self.by_ext}
            for user in self.state.users:
                if user.id not in decided and user.id not in unusable_ids and not self._undecided(user):
                    decided[user.id] = None
        refs = {ref.key: ref for ref in self.resolved.values()}
        departments = {d for d in decided.values() if d is not None} | set(by_department)
        for department in sorted(departments):
            members_wanted = {k for k, d in decided.items() if d == department}
            team: LeapsomeTeam | None = by_department.get(department)
            name = names.get(department)
            label = f"team of department {department} ({name or 'no name'})"
            adopt = False
            if team is None:
                if not members_wanted:
                    continue
                if not name:
                    self.skip(
                        label,
                        f"the department has no name in Personio; name it there, and the next complete "
                        f"snapshot creates its team ({len(members_wanted)} members wait for it)",
                    )
                    continue
                if len(name) > MAX_TEAM_NAME:
                    self.skip(label, f"the name is over {MAX_TEAM_NAME} characters; team not created")
                    continue
                clash = taken.get(name.lower())
                if clash is not None and clash.display_name == name and clash.external_id is None:
                    team, adopt = clash, True
                elif clash is not None:
                    self.skip(
                        label,
                        f"the name is taken by Leapsome team {clash.id} ({clash.display_name!r}), "
                        "which the sync does not own; team not created",
                    )
                    continue
                else:
                    taken[name.lower()] = LeapsomeTeam(f"new:{department}", name, team_external_id(department))
            write = TeamWrite(department, team.id if team else None, label)
            if team is None and name:
                write.display_name, write.external_id = name, team_external_id(department)
                write.kinds.append("created")
            if adopt and team is not None:
                write.external_id = team_external_id(department)
                write.kinds.append("adopted")
            if team is not None and name and team.display_name != name and not adopt:
                clash = taken.get(name.lower())
                if len(name) > MAX_TEAM_NAME:
                    self.skip(label, f"rename not applied: the name is over {MAX_TEAM_NAME} characters")
                elif clash is not None and clash.id != team.id:
                    self.skip(label, f"rename to {name!r} not applied: Leapsome team {clash.id} has that name")
                else:
                    write.display_name = name
                    write.name_before = team.display_name
                    write.kinds.append("renamed")
                    taken[name.lower()] = team
            have = current.get(team.id, set()) if team is not None else set()
            wanted = {k for k in have if k not in decided} | members_wanted
            added, removed = sorted(wanted - have), sorted(have - wanted)
            if removed:
                write.replace = True
                write.members = [refs.get(k, UserRef(k, None)) for k in sorted(wanted)]
            elif added:
                write.members = [refs.get(k, UserRef(k, None)) for k in added]
            write.added = [self.labels.get(k, k) for k in added]
            write.removed = [self.labels.get(k, k) for k in removed]
            if added or removed:
                write.kinds.append("members_changed")
            if write.kinds or team is None:
                self.plan.team_writes.append(write)

    def _undecided(self, user: LeapsomeUser) -> bool:
        """In a complete snapshot, only managed users whose record was unusable (or skipped) stay as they are."""
        return user.managed and str(user.external_id) in self.resolved and user.id not in self.team_of

    def run(self) -> Plan:
        self.plan.skips.extend(self.desired.skips)
        self.index()
        self.users()
        self.managers()
        self.teams()
        self.plan.user_updates = [u for u in self.updates.values() if u.changes]
        for update in self.plan.user_updates:
            update.kinds = _kinds(update)
        return self.plan


def _kinds(update: UpdateUser) -> list[str]:
    """What an update means for the summary; a new user's follow-up PATCH is part of its creation."""
    if update.ref.leapsome_id is None:
        return ["create_details"]
    changes = update.changes
    kinds = []
    if "external_id" in changes:
        kinds.append("adopted")
    if "user_name" in changes:
        kinds.append("email_changed")
    if changes.get("active") == (False, True):
        kinds.append("reactivated")
    if changes.get("active") == (True, False):
        kinds.append("deactivated")
    if "manager" in changes:
        kinds.append("manager_changed")
    if any(k not in {"external_id", "active", "user_name", "manager"} for k in changes):
        kinds.append("updated")
    return kinds


def _cycles(graph: dict[str, str | None]) -> list[list[str]]:
    """Every cycle in a functional graph (each node has at most one successor), each reported once."""
    state: dict[str, int] = {}
    cycles: list[list[str]] = []
    for start in sorted(graph, key=_sort_key):
        path: list[str] = []
        position: dict[str, int] = {}
        node: str | None = start
        while node is not None and node in graph and state.get(node, 0) == 0:
            state[node] = 1
            position[node] = len(path)
            path.append(node)
            node = graph[node]
        if node is not None and node in position:
            cycles.append(path[position[node] :])
        for visited in path:
            state[visited] = 2
    return cycles


def _sort_key(value: str) -> tuple[int, str]:
    return (len(value), value)


def plan_sync(desired: Desired, state: LeapsomeState, options: PlanOptions | None = None) -> Plan:
    """Compute the writes that bring Leapsome to what Personio says."""
    return _Planner(desired, state, options or PlanOptions()).run()
