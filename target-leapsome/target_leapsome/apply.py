"""Execute a plan against Leapsome in dependency order, recording failures instead of stopping.

Users are created first, then patched (managers need every user to exist), then teams (members need
Leapsome ids). Within a phase writes run concurrently under the client's shared pacer. A write that
depends on a failed one is recorded as not applied.

A stop (the target got SIGTERM or SIGINT) sets `stop`: no write starts after it, the ones in flight
finish their attempt, and every write that did not start is named in `not_started`.

A user write Leapsome refuses for its data (400, or 409 for a userName in use) is a skip, not a failure:
the value came from Personio and HR fixes it there. What depended on that user (its team membership,
being someone's manager) is left out quietly, since the refusal already names the employee.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from typing import TypeVar

from target_leapsome.client import LeapsomeClient, LeapsomeError
from target_leapsome.existing import external_id_body, needs_external_id, without_follow_up
from target_leapsome.models import Skip
from target_leapsome.plan import CreateUser, Plan, TeamWrite, UpdateUser, UserRef
from target_leapsome.scim import create_user_body, patch_user_body, team_bodies

LOGGER = logging.getLogger("target-leapsome.apply")
Labelled = TypeVar("Labelled", CreateUser, UpdateUser, TeamWrite)
REFUSED_FOR_DATA = frozenset({400, 409})  # a user write's answer that names a problem with its values


@dataclass(frozen=True)
class Failure:
    """A write that did not take; it names the employee or department so a later check can leave it out."""

    subject: str
    message: str
    employee: str | None = None  # Personio id of the user written
    department: int | None = None  # Personio department of the team written


@dataclass
class ApplyResult:
    """What applying did; the plan itself is never changed, so what apply learned is kept here."""

    failures: list[Failure] = field(default_factory=list)
    refusals: list[Skip] = field(default_factory=list)  # user writes Leapsome refused for their data
    writes: int = 0
    user_writes: int = 0  # user writes Leapsome accepted: with `refusals`, tells a data problem from a broken sync
    unconfirmed: list[Failure] = field(default_factory=list)  # accepted, yet not in Leapsome when read back
    verification_reads: int = 0
    # Personio ids of users whose create found an existing user without our externalId (see existing.py)
    external_id_fixes: set[str] = field(default_factory=set)
    stopped: bool = False  # a stop came while applying
    not_started: list[NotStarted] = field(default_factory=list)  # the writes a stop kept from starting


@dataclass(frozen=True)
class NotStarted:
    """A planned write a stop kept from starting (or from finishing, for a team's later member chunks)."""

    phase: str
    subject: str


class _Progress:
    """A progress line every few seconds so a long run shows it is alive and how far it got."""

    def __init__(self, phase: str, total: int, every: float) -> None:
        self.phase, self.total, self.every = phase, total, every
        self.done = 0
        self.last = time.monotonic()

    def step(self) -> None:
        self.done += 1
        now = time.monotonic()
        if now - self.last >= self.every and self.done < self.total:
            self.last = now
            LOGGER.info("progress: %s %d/%d", self.phase, self.done, self.total)


class Applier:
    """Runs one plan; worker threads record what they learn in `ids` and `result`, never in the plan."""

    def __init__(
        self,
        client: LeapsomeClient,
        concurrency: int,
        progress_every: float = 10.0,
        stop: threading.Event | None = None,
    ) -> None:
        self.client = client
        self.stop = stop or threading.Event()
        self.concurrency = max(1, concurrency)
        self.progress_every = progress_every
        self.result = ApplyResult()
        self.ids: dict[str, str] = {}  # Personio id -> Leapsome id of users created in this run
        self._refused_ids: set[str] = set()  # Personio ids whose user write Leapsome refused
        self._moved: set[str | None] = set()  # Leapsome ids given a temporary userName in this run
        self._lock = threading.Lock()

    def _run(
        self,
        phase: str,
        items: Iterable[Labelled],
        work: Callable[[Labelled], None],
        failure: Callable[[Labelled, str], Failure],
    ) -> None:
        todo = list(items)
        if not todo:
            return
        if self.stop.is_set():
            self._not_started(phase, *(item.label for item in todo))
            return
        progress = _Progress(phase, len(todo), self.progress_every)
        LOGGER.info("applying: %s (%d)", phase, len(todo))

        def guarded(item: Labelled) -> None:
            # checked as each write would start, so a stop costs only the writes already in flight
            if self.stop.is_set():
                self._not_started(phase, item.label)
            else:
                work(item)

        with ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="leapsome") as pool:
            futures = {pool.submit(guarded, item): item for item in todo}
            for future in as_completed(futures):
                progress.step()
                error = future.exception()
                if error is not None:
                    message = str(error) if isinstance(error, LeapsomeError) else f"{type(error).__name__}: {error}"
                    self._failed(failure(futures[future], message))

    def _not_started(self, phase: str, *subjects: str) -> None:
        with self._lock:
            self.result.stopped = True
            self.result.not_started.extend(NotStarted(phase, subject) for subject in subjects)

    def _failed(self, failure: Failure) -> None:
        with self._lock:
            self.result.failures.append(failure)
        LOGGER.error("failed: %s: %s", failure.subject, failure.message)

    def _wrote(self, user: bool = False) -> None:
        with self._lock:
            self.result.writes += 1
            self.result.user_writes += int(user)

    def _refused(self, external_id: str, label: str, what: str, error: LeapsomeError) -> None:
        reason = (
            f"Leapsome refused {what} ({error.detail or f'HTTP {error.status}'}); correct the email or the value "
            "it names in Personio to sync them"
        )
        with self._lock:
            self.result.refusals.append(Skip(label, reason, external_id))
            self._refused_ids.add(external_id)
        LOGGER.debug("refused: %s: %s", label, reason)  # named once, in the summary

    def _resolve(self, ref: UserRef) -> str | None:
        if ref.leapsome_id:
            return ref.leapsome_id
        return self.ids.get(str(ref.external_id))

    # -- phases ---------------------------------------------------------------------------------
    def create(self, create: CreateUser) -> None:
        try:
            found = self.client.create_user(create_user_body(create))
        except LeapsomeError as error:
            if error.status != 400:
                raise
            self._refused(create.external_id, create.label, "to create their user", error)
            return
        self._wrote(user=True)
        fix = needs_external_id(create, found)
        with self._lock:
            if fix:
                self.result.external_id_fixes.add(create.external_id)
            self.ids[create.external_id] = str(found["id"])

    def update(self, update: UpdateUser) -> None:
        user_id = self._resolve(update.ref)
        if user_id is None:
            if str(update.ref.external_id) in self._refused_ids:
                return  # its create was refused, which already names the employee
            raise LeapsomeError("not applied: the user could not be created")
        manager_id = None
        if update.set_manager and update.manager is not None:
            manager_id = self._resolve(update.manager)
            if manager_id is None and str(update.manager.external_id) in self._refused_ids:
                changes = {k: v for k, v in update.changes.items() if k != "manager"}
                if not changes and update.ref.leapsome_id is not None:
                    return  # the manager was all there was to write
                update = replace(update, set_manager=False, manager=None, changes=changes)
            elif manager_id is None:
                raise LeapsomeError("manager not set: the manager's user could not be created")
        additional = None
        if update.additional_managers is not None:
            resolved = (self._resolve(ref) for ref in update.additional_managers)
            additional = [found for found in resolved if found is not None]  # one refused stays out
        body = patch_user_body(update, manager_id, additional)
        body.update(external_id_body(update.ref, self.result.external_id_fixes))
        try:
            self.client.patch_user(user_id, body)
        except LeapsomeError as error:
            if error.status not in REFUSED_FOR_DATA or update.ref.external_id is None or self._must_take(update):
                raise
            self._refused(update.ref.external_id, update.label, "the update of their user", error)
            return
        self._wrote(user=True)

    def team(self, write: TeamWrite) -> None:
        members: list[str] = []
        for ref in write.members:
            member = self._resolve(ref)
            if member is None and str(ref.external_id) not in self._refused_ids:
                self._failed(
                    Failure(
                        write.label, f"member {ref.key} not added: user not created", department=write.department_id
                    )
                )
            elif member is not None:
                members.append(member)
        bodies = team_bodies(write, members)
        team_id = write.team_id
        for number, body in enumerate(bodies):
            if number and self.stop.is_set():
                self._not_started("write teams", f"{write.label} (members after request {number} of {len(bodies)})")
                return
            if team_id is None:
                created = self.client.create_group(body)
                team_id = str(created["id"])
            else:
                self.client.patch_group(team_id, body)
            self._wrote()

    def _must_take(self, update: UpdateUser) -> bool:
        """Refusals that are not HR's to fix: a leaver would keep access, a moved user its temporary name."""
        if update.temporary or update.changes.get("active") == (True, False):
            return True
        return update.ref.leapsome_id in self._moved and "user_name" in update.changes

    def apply(self, plan: Plan) -> ApplyResult:
        self._moved = {move.ref.leapsome_id for move in plan.user_moves}
        self._run("free addresses", plan.user_moves, self.update, _user_failure)  # before anyone takes them
        self._run("create users", plan.user_creates, self.create, _user_failure)
        updates = list(plan.user_updates)
        missing = without_follow_up((u.ref for u in updates), self.result.external_id_fixes)
        if missing:
            # a created user with nothing else to patch still needs its externalId: an extra PATCH, outside the plan
            names = {c.external_id: c.user_name for c in plan.user_creates}
            updates.extend(UpdateUser(UserRef(None, e), names[e], f"employee {e}") for e in missing)
        self._run("update users", updates, self.update, _user_failure)
        self._run("write teams", plan.team_writes, self.team, _team_failure)
        return self.result


def _user_failure(item: CreateUser | UpdateUser, message: str) -> Failure:
    employee = item.external_id if isinstance(item, CreateUser) else item.ref.external_id
    return Failure(item.label, message, employee=employee)


def _team_failure(write: TeamWrite, message: str) -> Failure:
    return Failure(write.label, message, department=write.department_id)


def apply_plan(
    plan: Plan,
    client: LeapsomeClient,
    concurrency: int,
    progress_every: float = 10.0,
    stop: threading.Event | None = None,
) -> ApplyResult:
    """Write the plan; never raises for a single failed write, which is in the result instead."""
    return Applier(client, concurrency, progress_every, stop).apply(plan)
