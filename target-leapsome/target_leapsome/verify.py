"""Prove a run's result: plan again against Leapsome as read after the writes; what is still planned did not take.

A 2xx answer only says Leapsome accepted a request, not that it did what we meant (a create body field it
ignores, a PATCH it answers without applying). Planning is pure and already knows what "in place" means,
so the proof is the planner itself, run on the state read back: an empty plan means every change is there.

Employees whose writes failed or were refused are left out of the check (they are reported already), as
are the departments whose team write failed.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace

from target_leapsome.apply import Failure
from target_leapsome.desired import Desired
from target_leapsome.plan import Plan, TeamWrite

WHAT_IS_MISSING = {
    "created": "the team does not exist after its create",
    "adopted": "the team does not carry the sync's externalId after its adoption",
    "renamed": "the team still has its old name after the rename",
}


def without(desired: Desired, employees: Collection[str]) -> Desired:
    """The desired population with these employees left alone, as if their records had been unusable."""
    if not employees:
        return desired
    kept = {key: employee for key, employee in desired.employees.items() if key not in employees}
    return replace(desired, employees=kept, unusable=desired.unusable | set(employees))


def unconfirmed(check: Plan, failed_departments: Collection[int] = ()) -> list[Failure]:
    """Each write still planned after applying, named like the write it repeats."""
    found = [
        Failure(create.label, "no Leapsome user after its create", employee=create.external_id)
        for create in check.user_creates
    ]
    for update in check.user_updates:
        fields = ", ".join(sorted(update.changes))
        found.append(Failure(update.label, f"still differs after the write: {fields}", employee=update.ref.external_id))
    found.extend(
        Failure(write.label, _team_problem(write), department=write.department_id)
        for write in check.team_writes
        if write.department_id not in failed_departments
    )
    return found


def _team_problem(write: TeamWrite) -> str:
    problems = [WHAT_IS_MISSING[kind] for kind in write.kinds if kind in WHAT_IS_MISSING]
    if write.added:
        problems.append(f"{len(write.added)} members missing after the write")
    if write.removed:
        problems.append(f"{len(write.removed)} members still in it after their removal")
    return "; ".join(problems) or "the team still differs after the write"
