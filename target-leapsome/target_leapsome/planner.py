"""The pure heart of the sync: desired population + Leapsome's current state -> a plan of writes.

Planning runs in phases, each a pure function of the frozen result of the ones before it:

    index_leapsome (who is who in Leapsome)
      -> plan_users (creates, field changes, adoption, (de)activation)
      -> plan_managers (manager links from supervisors; self-supervision, cycles and missing users skipped)
      -> plan_teams (one team per department, holding exactly its synced members)
      -> assemble (one update per user, the manager included)

No I/O here, so every rule (identity, adoption, leavers, teams, managers, "Personio wins") can be tested
without HTTP; applying the plan to any faithful model of Leapsome reaches the desired state, after which
planning again yields nothing to do (which is how `verify.py` proves a run).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from target_leapsome.desired import Desired
from target_leapsome.mapping import ADDITIONAL_MANAGERS
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
from target_leapsome.plan import Change, CreateUser, Plan, TeamWrite, UpdateUser, UserKey, UserRef

MAX_TEAM_NAME = 128
SHARE_LIMIT_FROM = 3  # a tiny org losing 3 people is not a mass deactivation
NAME_FIELDS = ("given_name", "family_name")
Changes = dict[str, tuple[object, object]]


@dataclass(frozen=True)
class PlanOptions:
    statuses: frozenset[str] = frozenset({"active", "leave"})
    deactivate_statuses: frozenset[str] = frozenset({"inactive"})
    out_of_scope: str = "deactivate"  # or "leave": what happens to the user of an employee the scope leaves out


def limit_violation(plan: Plan, max_count: int, max_share: float) -> str | None:
    """Entra-style accidental-deletion guard: too many deactivations means the input is suspect."""
    count = len(plan.deactivations)
    if count == 0:
        return None
    once = (
        "; if they are expected (former employees found when switching to this sync, for instance), read the "
        "plan with dry_run and let it through once with {setting} (e.g. the environment variable "
        "TARGET_LEAPSOME_{env} for that one run)"
    )
    if count > max_count:
        return (
            f"the plan deactivates {count} users, over the limit of {max_count} (setting "
            "max_deactivations); nothing was written"
            + once.format(setting=f"max_deactivations={count}", env=f"MAX_DEACTIVATIONS={count}")
        )
    share = count / max(plan.managed_active, 1)
    if count > SHARE_LIMIT_FROM and share > max_share:
        needed = f"{min(1.0, share + 0.005):.2f}"
        return (
            f"the plan deactivates {count} of {plan.managed_active} managed active users ({share:.0%}), "
            f"over the limit of {max_share:.0%} (setting max_deactivation_share); nothing was written"
            + once.format(setting=f"max_deactivation_share={needed}", env=f"MAX_DEACTIVATION_SHARE={needed}")
        )
    return None


def plan_sync(desired: Desired, state: LeapsomeState, options: PlanOptions | None = None) -> Plan:
    """Compute the writes that bring Leapsome to what Personio says."""
    options = options or PlanOptions()
    index = index_leapsome(state)
    users = plan_users(desired, index, options)
    managers = plan_managers(desired, index, users, options)
    teams = plan_teams(desired, state, index, users)
    updates = assemble(users, managers)
    return Plan(
        user_moves=users.moves,
        user_creates=users.creates,
        user_updates=updates,
        team_writes=teams.writes,
        skips=(*desired.skips, *index.skips, *users.skips, *managers.skips, *teams.skips),
        notices=(*managers.notices, *teams.notices),
        out_of_scope=tuple(
            Skip(e.label, e.out_of_scope, e.external_id)
            for e in sorted(desired.employees.values(), key=lambda e: e.id)
            if e.out_of_scope
        ),
        managed_active=index.managed_active + users.adopted_active,
    )


# -- phase 1: who is who in Leapsome ----------------------------------------------------------------
@dataclass(frozen=True)
class LeapsomeIndex:
    by_ext: Mapping[str, LeapsomeUser]  # the users the sync manages, by Personio id
    by_name: Mapping[str, LeapsomeUser]  # every user, by lower-cased userName
    by_id: Mapping[str, LeapsomeUser]
    managed_active: int
    skips: tuple[Skip, ...]


def index_leapsome(state: LeapsomeState) -> LeapsomeIndex:
    by_ext: dict[str, LeapsomeUser] = {}
    by_name: dict[str, LeapsomeUser] = {}
    skips: list[Skip] = []
    managed_active = 0
    for user in state.users:
        by_name.setdefault(user.user_name.lower(), user)
        if not user.managed:
            continue
        ext = str(user.external_id)
        if ext in by_ext:
            subject = f"Leapsome user {user.id} ({user.user_name})"
            skips.append(Skip(subject, f"has the same externalId {ext} as Leapsome user {by_ext[ext].id}; left alone"))
            continue
        by_ext[ext] = user
        managed_active += int(user.active)
    return LeapsomeIndex(by_ext, by_name, {u.id: u for u in state.users}, managed_active, tuple(skips))


# -- phase 2: users -------------------------------------------------------------------------------
@dataclass(frozen=True)
class UsersPlan:
    creates: tuple[CreateUser, ...]
    moves: tuple[UpdateUser, ...]  # temporary userNames that free an address another user takes in this run
    updates: Mapping[UserKey, UpdateUser]  # one per user the plan touches; may still be empty (managers follow)
    resolved: Mapping[str, UserRef]  # Personio id -> the user it has after the plan
    active_after: Mapping[str, bool]  # Personio id -> whether that user is active after the plan
    synced: Mapping[str, Employee]  # employees whose user this plan writes
    team_of: Mapping[UserKey, int | None]  # the department whose team a user belongs in (None: no team)
    labels: Mapping[UserKey, str]
    adopted_active: int  # active users this plan adopts: they join the base of the deactivation share
    skips: tuple[Skip, ...]


@dataclass(frozen=True)
class _Claims:
    """Who may take which Leapsome user or address, decided before any employee is planned."""

    takeovers: Mapping[str, LeapsomeUser]  # returning employee -> the user of their former Personio record
    released: frozenset[str]  # Personio ids whose user a returning employee takes over
    leaving: Mapping[str, LeapsomeUser]  # addresses (lower-case) whose managed holder moves to another in this run
    wanted_emails: frozenset[str]  # the emails of the employees the sync gives a user
    shared_emails: frozenset[str]  # emails on more than one usable record (any status, in scope or not)


@dataclass
class _Users:
    """The users phase while it runs; `plan_users` freezes it."""

    index: LeapsomeIndex
    claims: _Claims
    creates: list[CreateUser] = field(default_factory=list)
    drafts: dict[UserKey, tuple[UserRef, str, str, Changes]] = field(default_factory=dict)
    moves: dict[str, UpdateUser] = field(default_factory=dict)  # by Leapsome id
    resolved: dict[str, UserRef] = field(default_factory=dict)
    active_after: dict[str, bool] = field(default_factory=dict)
    synced: dict[str, Employee] = field(default_factory=dict)
    team_of: dict[UserKey, int | None] = field(default_factory=dict)
    labels: dict[UserKey, str] = field(default_factory=dict)
    adopted: set[str] = field(default_factory=set)  # Leapsome ids adopted by this plan
    adopted_active: int = 0
    skips: list[Skip] = field(default_factory=list)

    def changes_of(self, ref: UserRef, user_name: str, label: str) -> Changes:
        """The change set of one user's update, started on first use."""
        return self.drafts.setdefault(ref.key, (ref, user_name, label, {}))[3]

    def keep(self, user: LeapsomeUser) -> None:
        """A managed user this plan leaves as it is; still resolvable as a manager or team member."""
        ext = str(user.external_id)
        self.resolved[ext] = UserRef(user.id, ext)
        self.active_after[ext] = user.active

    def adopt(self, user: LeapsomeUser, ext: str, label: str) -> Changes:
        """Make a user the sync did not make the employee's: it gets the Personio id as externalId."""
        self.adopted.add(user.id)
        self.adopted_active += int(user.active)
        changes = self.changes_of(UserRef(user.id, ext), user.user_name, label)
        changes["external_id"] = (None, ext)
        return changes

    def deactivate(self, user: LeapsomeUser, label: str, reason: str, ext: str | None = None) -> None:
        """Deactivate (never delete); `ext` adopts a user the sync did not make for that employee first."""
        ext = ext or str(user.external_id)
        ref = UserRef(user.id, ext)
        self.resolved[ext] = ref
        self.active_after[ext] = False
        self.team_of[ref.key] = None
        self.labels[ref.key] = label
        changes = self.adopt(user, ext, f"{label}: {reason}") if not user.managed else None
        if user.active:
            changes = changes if changes is not None else self.changes_of(ref, user.user_name, f"{label}: {reason}")
            changes["active"] = (True, False)

    def place(self, ref: UserRef, employee: Employee) -> None:
        """Note the employee's team; one whose record has no department key keeps the teams they are in."""
        self.labels[ref.key] = employee.label
        if "team" not in employee.unknown:
            self.team_of[ref.key] = employee.department_id

    def free_address(self, holder: LeapsomeUser, taker: Employee) -> None:
        """Move a holder who gives up its address in this run out of the way first, through a temporary name."""
        ext = str(holder.external_id)
        temporary = f"personio-sync-moving-{ext}@{holder.user_name.rsplit('@', 1)[-1]}"
        label = f"employee {ext} ({holder.user_name}): frees its address for {taker.label}"
        changes = {"user_name": (holder.user_name, temporary)}
        self.moves[holder.id] = UpdateUser(UserRef(holder.id, ext), temporary, label, changes, temporary=True)

    def freeze(self) -> UsersPlan:
        updates = {
            key: UpdateUser(ref, user_name, label, changes)
            for key, (ref, user_name, label, changes) in self.drafts.items()
        }
        return UsersPlan(
            tuple(self.creates),
            tuple(self.moves.values()),
            updates,
            self.resolved,
            self.active_after,
            self.synced,
            self.team_of,
            self.labels,
            self.adopted_active,
            tuple(self.skips),
        )


def plan_users(desired: Desired, index: LeapsomeIndex, options: PlanOptions) -> UsersPlan:
    """Every employee's user: created, adopted, taken over, updated, (re)activated or deactivated; the rest kept."""
    phase = _Users(index, _claims(desired, index, options))
    for employee in sorted(desired.employees.values(), key=lambda e: e.id):
        if employee.external_id in phase.claims.released:
            continue  # a returning employee takes this user over
        user = index.by_ext.get(employee.external_id)
        if employee.out_of_scope:
            if user is not None and options.out_of_scope == "deactivate":
                phase.deactivate(user, employee.label, employee.out_of_scope)
            elif user is not None:
                phase.keep(user)
        elif employee.status in options.statuses:
            _sync_user(phase, employee, user)
        elif employee.status in options.deactivate_statuses:
            user = user or _adoptable(phase, employee)
            if user is not None:
                phase.deactivate(user, employee.label, f"status is {employee.status}", employee.external_id)
        else:
            _leave_as_is(phase, employee, user)
    for ext, user in index.by_ext.items():
        if ext in phase.resolved or ext in desired.unusable or ext in desired.employees or ext in phase.claims.released:
            continue
        if desired.complete:
            phase.deactivate(user, f"employee {ext} ({user.user_name})", "no longer in Personio")
        else:
            phase.keep(user)
    for ext in desired.unusable:
        user = index.by_ext.get(ext)
        if user is not None and ext not in phase.resolved:
            phase.keep(user)
    return phase.freeze()


def _leave_as_is(phase: _Users, employee: Employee, user: LeapsomeUser | None) -> None:
    """A status the sync does not give a user (onboarding, unless asked): an existing user stays as it is."""
    adoptable = _adoptable(phase, employee) if user is None else None
    if adoptable is not None:
        phase.adopt(adoptable, employee.external_id, employee.label)
        user = replace(adoptable, external_id=employee.external_id)
    if user is None:
        return
    phase.keep(user)
    reason = f"status {employee.status} is not in the statuses setting; left as is"
    phase.skips.append(Skip(employee.label, reason, employee.external_id))


def _adoptable(phase: _Users, employee: Employee) -> LeapsomeUser | None:
    """The user the sync did not make whose userName is this employee's email, unless someone synced wants it."""
    if not employee.email or employee.email in phase.claims.wanted_emails | phase.claims.shared_emails:
        return None
    candidate = phase.index.by_name.get(employee.email)
    if candidate is None or candidate.external_id is not None or candidate.id in phase.adopted:
        return None
    return candidate


def _claims(desired: Desired, index: LeapsomeIndex, options: PlanOptions) -> _Claims:
    wanted = {
        e.external_id: e for e in desired.employees.values() if e.status in options.statuses and not e.out_of_scope
    }
    takeovers: dict[str, LeapsomeUser] = {}
    for ext, employee in sorted(wanted.items(), key=lambda item: int(item[0])):
        holder = index.by_name.get(employee.email)
        if ext in index.by_ext or holder is None or not holder.managed or holder.external_id == ext:
            continue
        if holder not in takeovers.values() and _has_left(desired, options, holder):
            takeovers[ext] = holder
    moving = {
        user.user_name.lower(): user
        for ext, user in index.by_ext.items()
        if ext in wanted and user.user_name.lower() != wanted[ext].email
    }
    leaving = {name: user for name, user in moving.items() if _can_move(name, moving, wanted, index)}
    return _Claims(
        takeovers,
        frozenset(str(user.external_id) for user in takeovers.values()),
        leaving,
        frozenset(e.email for e in wanted.values()),
        frozenset(
            email for email, n in Counter(e.email for e in desired.employees.values() if e.email).items() if n > 1
        ),
    )


def _has_left(desired: Desired, options: PlanOptions, holder: LeapsomeUser) -> bool:
    """The employee a user belongs to has left: inactive in Personio, or gone from it."""
    ext = str(holder.external_id)
    if ext in desired.unusable:
        return False
    employee = desired.employees.get(ext)
    if employee is not None:
        return employee.status in options.deactivate_statuses
    return desired.complete or not holder.active  # an incremental run knows "gone" only from a deactivation


def _can_move(
    name: str, moving: Mapping[str, LeapsomeUser], wanted: Mapping[str, Employee], index: LeapsomeIndex
) -> bool:
    """A user can change to its new address if it is free, or held by users that can all move on (a swap too)."""
    seen: set[str] = set()
    while name not in seen:
        seen.add(name)
        user = moving[name]
        target = wanted[str(user.external_id)].email
        holder = index.by_name.get(target)
        if holder is None or holder.id == user.id:
            return True
        if target not in moving:
            return False
        name = target
    return True  # a cycle: every address in it changes hands


def _sync_user(phase: _Users, employee: Employee, user: LeapsomeUser | None) -> None:
    """Create the employee's user, or bring the one they have (or adopt, or take over) up to date."""
    ext = employee.external_id
    adopted = False
    if user is None and ext in phase.claims.takeovers:
        user = phase.claims.takeovers[ext]
        phase.changes_of(UserRef(user.id, ext), user.user_name, employee.label)["external_id"] = (
            user.external_id,
            ext,
        )
    elif user is None:
        candidate = phase.index.by_name.get(employee.email)
        if candidate is not None and candidate.external_id is None:
            user, adopted = candidate, True
        elif candidate is not None and candidate.user_name.lower() in phase.claims.leaving:
            phase.free_address(candidate, employee)
        elif candidate is not None:
            reason = (
                f"the email {employee.email} is the userName of Leapsome user {candidate.id}, which "
                f"belongs to externalId {candidate.external_id}; not synced"
            )
            phase.skips.append(Skip(employee.label, reason, ext))
            return
    phase.synced[ext] = employee
    phase.active_after[ext] = True
    if user is None:
        _create(phase, employee)
    else:
        _update(phase, employee, user, adopted)


def _create(phase: _Users, employee: Employee) -> None:
    """A create carries the documented core fields; the rest follows in the user's first PATCH."""
    ext = employee.external_id
    ref = UserRef(None, ext)
    phase.resolved[ext] = ref
    wanted = employee.fields()
    core = {k: v for k, v in wanted.items() if k not in CLEARABLE_FIELDS}
    phase.creates.append(CreateUser(ext, employee.email, core, employee.label))
    changes = phase.changes_of(ref, employee.email, employee.label)
    changes.update({name: (None, wanted[name]) for name in sorted(CLEARABLE_FIELDS) if wanted[name] is not None})
    changes.update({f"attr:{name}": (None, value) for name, value in employee.attributes if isinstance(value, str)})
    phase.place(ref, employee)


def _update(phase: _Users, employee: Employee, user: LeapsomeUser, adopted: bool) -> None:
    """Personio wins: every managed field that differs, the email (userName) and the activation."""
    ext = employee.external_id
    ref = UserRef(user.id, ext)
    phase.resolved[ext] = ref
    phase.place(ref, employee)
    changes = (
        phase.adopt(user, ext, employee.label) if adopted else phase.changes_of(ref, user.user_name, employee.label)
    )
    if user.user_name.lower() != employee.email:
        other = phase.index.by_name.get(employee.email)
        if other is not None and other.id != user.id and other.user_name.lower() in phase.claims.leaving:
            phase.free_address(other, employee)
            other = None
        if other is not None and other.id != user.id:
            reason = f"email change to {employee.email} not applied: that userName belongs to Leapsome user {other.id}"
            phase.skips.append(Skip(employee.label, reason, ext))
        else:
            phase.drafts[ref.key] = (ref, employee.email, employee.label, changes)  # the PATCH names the new one
            changes["user_name"] = (user.user_name, employee.email)
    changes.update(_field_changes(employee, user))
    if not user.active:
        changes["active"] = (False, True)


def _field_changes(employee: Employee, user: LeapsomeUser) -> Changes:
    """The managed fields Personio says differently; names go together, since Leapsome sets them together."""
    have, want = user.fields(), employee.fields()
    changes: Changes = {}
    for name, value in want.items():
        if name in employee.unknown or (value is None and name not in CLEARABLE_FIELDS):
            continue
        if blank(value) != blank(have[name]):
            changes[name] = (have[name], value)
    if any(n in changes for n in NAME_FIELDS):
        for name in NAME_FIELDS:
            changes.setdefault(name, (have[name], want[name] if want[name] else have[name]))
    for attribute, mapped in employee.attributes:
        key = f"attr:{attribute}"
        if attribute == ADDITIONAL_MANAGERS or key in employee.unknown:
            continue  # additional managers are the managers phase's
        if blank(mapped if isinstance(mapped, str) else None) != blank(user.attribute(attribute)):
            changes[key] = (user.attribute(attribute), mapped)
    return changes


# -- phase 3: managers ------------------------------------------------------------------------------
@dataclass(frozen=True)
class ManagersPlan:
    links: Mapping[str, tuple[UserRef | None, str | None]]  # Personio id -> (new manager, current manager id)
    skips: tuple[Skip, ...]
    notices: tuple[Skip, ...]  # reports whose manager has left: kept (Personio wins), for HR to reassign
    additional: Mapping[str, tuple[tuple[UserRef, ...], tuple[str, ...]]] = field(default_factory=dict)
    # Personio id -> (additional managers to set, the Leapsome ids set now), only where they differ


def plan_managers(desired: Desired, index: LeapsomeIndex, users: UsersPlan, options: PlanOptions) -> ManagersPlan:
    """Each synced employee's manager is their supervisor's user, unless that link cannot be made."""
    skips: list[Skip] = []
    wanted: dict[str, str | None] = {}
    for ext, employee in users.synced.items():
        if "manager" in employee.unknown:
            continue  # no supervisor key: the manager Leapsome has stays
        wanted[ext], reason = _supervisor_link(desired, index, users, options, employee)
        if reason:
            skips.append(Skip(employee.label, reason, ext))
    notices = tuple(
        Skip(users.synced[ext].label, _left_reason(desired, boss), ext)
        for ext, boss in sorted(wanted.items(), key=lambda item: int(item[0]))
        if boss is not None and not users.active_after.get(boss)
    )
    ext_of_id = {u.id: ext for ext, u in index.by_ext.items()}
    graph: dict[str, str | None] = {ext: ext_of_id.get(u.manager_id or "") for ext, u in index.by_ext.items()}
    graph.update(wanted)
    for cycle in _cycles(graph):
        path = " -> ".join([*cycle, cycle[0]])
        for ext in (e for e in cycle if e in wanted):
            wanted[ext] = None
            reason = f"supervision cycle {path} in Personio; fix a supervisor there (synced without a manager)"
            skips.append(Skip(users.synced[ext].label, reason, ext))
    links: dict[str, tuple[UserRef | None, str | None]] = {}
    for ext, manager_ext in sorted(wanted.items(), key=lambda item: int(item[0])):
        current = index.by_id.get(users.resolved[ext].leapsome_id or "")
        current_id = current.manager_id if current else None
        manager = users.resolved[manager_ext] if manager_ext else None
        if manager is None and current_id is None:
            continue
        if manager is not None and manager.leapsome_id is not None and manager.leapsome_id == current_id:
            continue
        links[ext] = (manager, current_id)
    additional = _additional_managers(index, users, skips)
    return ManagersPlan(
        links, tuple(skips), tuple(n for n in notices if wanted.get(str(n.key)) is not None), additional
    )


def _additional_managers(
    index: LeapsomeIndex, users: UsersPlan, skips: list[Skip]
) -> dict[str, tuple[tuple[UserRef, ...], tuple[str, ...]]]:
    """Additional managers from the mapping: Personio ids made users; one without a user is named and left out."""
    found: dict[str, tuple[tuple[UserRef, ...], tuple[str, ...]]] = {}
    for ext, employee in sorted(users.synced.items(), key=lambda item: int(item[0])):
        ids = dict(employee.attributes).get(ADDITIONAL_MANAGERS)
        if not isinstance(ids, tuple) or f"attr:{ADDITIONAL_MANAGERS}" in employee.unknown:
            continue
        refs = []
        for manager in ids:
            if manager in users.resolved and manager != ext:
                refs.append(users.resolved[manager])
            else:
                skips.append(Skip(employee.label, f"additional manager employee {manager} has no Leapsome user", ext))
        current = index.by_id.get(users.resolved[ext].leapsome_id or "")
        now = current.additional_manager_ids if current else ()
        if any(r.leapsome_id is None for r in refs) or {r.leapsome_id for r in refs} != set(now):
            found[ext] = (tuple(refs), now)
    return found


def _supervisor_link(
    desired: Desired, index: LeapsomeIndex, users: UsersPlan, options: PlanOptions, employee: Employee
) -> tuple[str | None, str | None]:
    """The Personio id of the employee's manager-to-be (or None), and why there is none when there should be."""
    supervisor = employee.supervisor_id
    if supervisor is None:
        return None, None
    if supervisor == employee.id:
        return None, "is their own supervisor in Personio; set their real supervisor there (synced without a manager)"
    key = str(supervisor)
    if key in users.resolved:  # a supervisor who left keeps the link: Personio wins, and HR is told
        return key, None
    return None, _no_manager_reason(desired, index, options, key)


def _left_reason(desired: Desired, supervisor: str) -> str:
    employee = desired.employees.get(supervisor)
    who = employee.label if employee is not None else f"employee {supervisor}"
    status = f"has status {employee.status}" if employee is not None else "has a deactivated Leapsome user"
    return (
        f"their supervisor in Personio, {who}, {status}; kept as their manager in Leapsome until HR assigns a "
        "current supervisor"
    )


def _no_manager_reason(desired: Desired, index: LeapsomeIndex, options: PlanOptions, supervisor: str) -> str:
    """Why a supervisor has no Leapsome user to point at, in words that tell HR where to look."""
    employee = desired.employees.get(supervisor)
    if supervisor in desired.unusable:
        return f"their supervisor, employee {supervisor}, is skipped (see there); synced without a manager"
    if employee is not None and employee.status in options.deactivate_statuses:
        return (
            f"their supervisor, {employee.label}, has status {employee.status}; assign a current supervisor "
            "in Personio (synced without a manager)"
        )
    if employee is not None or supervisor in index.by_ext:
        name = employee.label if employee is not None else f"employee {supervisor}"
        return f"their supervisor, {name}, has no active Leapsome user; synced without a manager"
    return (
        f"their supervisor, employee {supervisor}, is not among the employees Personio returned; correct the "
        "supervisor in Personio (synced without a manager)"
    )


def _cycles(graph: Mapping[str, str | None]) -> list[list[str]]:
    """Every cycle in a functional graph (each node has at most one successor), each reported once."""
    state: dict[str, int] = {}
    cycles: list[list[str]] = []
    for start in sorted(graph, key=lambda value: (len(value), value)):
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


# -- phase 4: teams ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class TeamsPlan:
    writes: tuple[TeamWrite, ...]
    skips: tuple[Skip, ...]
    notices: tuple[Skip, ...]  # teams emptied because their department is gone from Personio


@dataclass
class _Teams:
    """What the teams phase knows while it runs: Leapsome's teams and who is in them, and taken names."""

    by_department: dict[int, LeapsomeTeam]
    names: dict[int, str | None]  # department -> its name in Personio
    taken: dict[str, LeapsomeTeam]  # lower-cased team name -> team
    members: dict[str, set[UserKey]]  # team id -> its members now
    decided: dict[UserKey, int | None]  # user -> department whose team they belong in
    refs: dict[UserKey, UserRef]
    labels: Mapping[UserKey, str]
    departments: frozenset[int]  # Personio's departments, when the input has them (else empty: unknown)
    skips: list[Skip] = field(default_factory=list)
    notices: list[Skip] = field(default_factory=list)


def plan_teams(desired: Desired, state: LeapsomeState, index: LeapsomeIndex, users: UsersPlan) -> TeamsPlan:
    """One team per department with a name, holding exactly the department's synced active members."""
    phase = _teams_phase(desired, state, index, users)
    writes = []
    departments = {d for d in phase.decided.values() if d is not None} | set(phase.by_department)
    for department in sorted(departments):
        write = _team_write(phase, department)
        if write is not None:
            writes.append(write)
    return TeamsPlan(tuple(writes), tuple(phase.skips), tuple(phase.notices))


def _teams_phase(desired: Desired, state: LeapsomeState, index: LeapsomeIndex, users: UsersPlan) -> _Teams:
    by_department: dict[int, LeapsomeTeam] = {}
    for existing in state.teams:
        if existing.department_id is not None:
            by_department.setdefault(existing.department_id, existing)
    names: dict[int, str | None] = {}
    for employee in desired.employees.values():
        if employee.department_id is not None and employee.department_name:
            names.setdefault(employee.department_id, employee.department_name)
    names.update({k: v for k, v in desired.departments.items() if v})
    members: dict[str, set[UserKey]] = {}
    for user in state.users:
        for group in user.group_ids:
            members.setdefault(group, set()).add(UserKey("leapsome", user.id))
    decided = dict(users.team_of)
    if desired.complete:  # a complete snapshot decides everyone but the unusable and the skipped
        left_alone = {index.by_ext[e].id for e in desired.unusable if e in index.by_ext}
        for user in state.users:
            key = UserKey("leapsome", user.id)
            undecided = user.managed and str(user.external_id) in users.resolved and key not in users.team_of
            if key not in decided and user.id not in left_alone and not undecided:
                decided[key] = None
    refs = {ref.key: ref for ref in users.resolved.values()}
    taken = {t.display_name.lower(): t for t in state.teams}
    return _Teams(by_department, names, taken, members, decided, refs, users.labels, frozenset(desired.departments))


def _team_write(phase: _Teams, department: int) -> TeamWrite | None:
    """The write that makes one department's team right, or None when it already is (or cannot be made)."""
    wanted_members = {k for k, d in phase.decided.items() if d == department}
    team = phase.by_department.get(department)
    name = phase.names.get(department)
    label = f"team of department {department} ({name or 'no name'})"
    kinds: list[Change] = []
    display_name = external_id = name_before = None
    if team is None:
        if not wanted_members:
            return None
        team = _team_to_create_or_adopt(phase, department, name, label, len(wanted_members))
        if team is None:
            return None
        if team.id.startswith("new:"):
            kinds.append(Change.CREATED)
            display_name, external_id = name, team_external_id(department)
        else:
            kinds.append(Change.ADOPTED)
            external_id = team_external_id(department)
    elif name and team.display_name != name and _may_rename(phase, team, name, label):
        kinds.append(Change.RENAMED)
        display_name, name_before = name, team.display_name
    creating = Change.CREATED in kinds
    have = set() if creating else phase.members.get(team.id, set())
    wanted = {k for k in have if k not in phase.decided} | wanted_members
    added, removed = sorted(wanted - have), sorted(have - wanted)
    chosen = sorted(wanted) if removed else added
    if added or removed:
        kinds.append(Change.MEMBERS_CHANGED)
    if removed and not wanted and phase.departments and department not in phase.departments:
        kinds.append(Change.EMPTIED)
        reason = "the department is no longer in Personio: its team is emptied (Leapsome cannot delete a team)"
        phase.notices.append(Skip(f"team {team.display_name!r} of department {department}", reason))
    if not kinds:
        return None
    return TeamWrite(
        department_id=department,
        team_id=None if creating else team.id,
        label=label,
        kinds=tuple(kinds),
        display_name=display_name,
        external_id=external_id,
        replace=bool(removed),
        members=tuple(phase.refs.get(k, UserRef(k.value, None)) for k in chosen),
        added=tuple(phase.labels.get(k, k.value) for k in added),
        removed=tuple(phase.labels.get(k, k.value) for k in removed),
        name_before=name_before,
    )


def _team_to_create_or_adopt(
    phase: _Teams, department: int, name: str | None, label: str, waiting: int
) -> LeapsomeTeam | None:
    """A department without a team gets a new one, or the hand-made team of exactly its name."""
    if not name:
        reason = (
            "the department has no name in Personio; name it there, and the next complete snapshot creates its "
            f"team ({waiting} members wait for it)"
        )
        phase.skips.append(Skip(label, reason))
        return None
    if len(name) > MAX_TEAM_NAME:
        phase.skips.append(Skip(label, f"the name is over {MAX_TEAM_NAME} characters; team not created"))
        return None
    clash = phase.taken.get(name.lower())
    if clash is not None and clash.display_name == name and clash.external_id is None:
        # now ours: a second department of the same name must not adopt it too
        phase.taken[name.lower()] = LeapsomeTeam(clash.id, clash.display_name, team_external_id(department))
        return clash
    if clash is not None:
        reason = (
            f"the name is taken by Leapsome team {clash.id} ({clash.display_name!r}), which the sync does not "
            "own; team not created"
        )
        phase.skips.append(Skip(label, reason))
        return None
    new = LeapsomeTeam(f"new:{department}", name, team_external_id(department))
    phase.taken[name.lower()] = new
    return new


def _may_rename(phase: _Teams, team: LeapsomeTeam, name: str, label: str) -> bool:
    clash = phase.taken.get(name.lower())
    if len(name) > MAX_TEAM_NAME:
        phase.skips.append(Skip(label, f"rename not applied: the name is over {MAX_TEAM_NAME} characters"))
        return False
    if clash is not None and clash.id != team.id:
        phase.skips.append(Skip(label, f"rename to {name!r} not applied: Leapsome team {clash.id} has that name"))
        return False
    phase.taken[name.lower()] = team
    return True


# -- assembly ---------------------------------------------------------------------------------------
def assemble(users: UsersPlan, managers: ManagersPlan) -> tuple[UpdateUser, ...]:
    """One update per user: the users phase's changes and the manager link, dropping the empty ones."""
    updates: list[UpdateUser] = []
    for update in users.updates.values():
        ext = str(update.ref.external_id)
        link = managers.links.get(ext) if ext in users.synced else None
        extra = managers.additional.get(ext) if ext in users.synced else None
        changes = dict(update.changes)
        if link is not None:
            changes["manager"] = (link[1], link[0].key.value if link[0] else None)
        if extra is not None:
            changes["additional_managers"] = (extra[1], tuple(ref.key.value for ref in extra[0]))
        if changes:
            updates.append(
                UpdateUser(
                    update.ref,
                    update.user_name,
                    update.label,
                    changes,
                    set_manager=link is not None,
                    manager=link[0] if link else None,
                    additional_managers=extra[0] if extra is not None else None,
                )
            )
    return tuple(updates)
