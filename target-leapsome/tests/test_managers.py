"""Managers: the supervisors' users, written after the users, over HTTP against the Leapsome sandbox.

Self-supervision, cycles, supervisors without a user or who left, a supervisor Personio did not send, a new
department with its manager in one run.
"""

from __future__ import annotations

import json
from typing import Any


def sync(leapsome, singer, people, **kwargs):
    config = kwargs.pop("config", {})
    result = leapsome.run(singer.input(people, **kwargs), **config)
    assert result.ok, f"{result.error}\n{result.log}"
    return result


def people(singer: Any, n: int, departments: int = 3) -> list[dict[str, Any]]:
    return [singer.employee(1, first="Ada", last="Boss")] + [
        singer.employee(i, department=1 + i % departments, supervisor=1 + (i // 10)) for i in range(2, n + 1)
    ]


# -- 3. absent vs null -------------------------------------------------------------------------------------
def without(records: list[dict[str, Any]], *keys: str) -> list[dict[str, Any]]:
    return [{k: v for k, v in record.items() if k not in keys} for record in records]


DEPARTMENTS = {1: "Engineering", 2: "Sales", 3: "People"}


def run(leapsome, singer, people, departments=None, **kwargs):
    config = kwargs.pop("config", {})
    result = leapsome.run(singer.input(people, departments, **kwargs), **config)
    assert result.ok, f"{result.error}\n{result.log[-4000:]}"
    return result


def nothing_left(leapsome, singer, people, departments=None, **kwargs):
    """The same input again writes nothing: the scenario converged."""
    leapsome.reset_counters()
    run(leapsome, singer, people, departments, **kwargs)
    assert leapsome.counters()["writes"] == 0


def members(leapsome, external_id):
    group = next(g for g in leapsome.state()["groups"] if g["externalId"] == external_id)
    by_id = {u["id"]: u for u in leapsome.state()["users"]}
    return {by_id[m]["externalId"] or by_id[m]["userName"] for m in group["members"]}


def test_users_written_before_managers(leapsome, singer):
    # the supervisor comes after the report in the input and both are new
    people = [singer.employee(2, supervisor=9), singer.employee(9, first="Late", last="Boss")]
    result = sync(leapsome, singer, people)
    users = leapsome.by_external()
    assert users["2"]["manager"] == users["9"]["id"]
    assert "failed_writes=0" in result.log


def test_self_supervision_and_cycles_skipped_and_reported(leapsome, singer):
    people = [
        singer.employee(1, supervisor=1),
        singer.employee(2, supervisor=3),
        singer.employee(3, supervisor=2),
        singer.employee(4, supervisor=2),
    ]
    result = sync(leapsome, singer, people)
    users = leapsome.by_external()
    assert users["1"]["manager"] is None
    assert users["2"]["manager"] is None
    assert users["3"]["manager"] is None
    assert users["4"]["manager"] == users["2"]["id"]
    assert "own supervisor" in result.log
    assert "supervision cycle" in result.log


def test_supervisor_without_user_is_reported(leapsome, singer):
    people = [
        singer.employee(1, status="inactive"),
        singer.employee(2, supervisor=1),
        singer.employee(3, supervisor=77),
    ]
    result = sync(leapsome, singer, people)
    users = leapsome.by_external()
    assert users["2"]["manager"] is None
    assert users["3"]["manager"] is None
    assert result.ok, result.log[-3000:]  # a missing manager is a skip for HR to fix, not a failure
    assert "their supervisor, employee 1 (Person Number1), has status inactive" in result.log
    assert "their supervisor, employee 77, is not among the employees Personio returned" in result.log


def test_absent_supervisor_and_department_change_no_manager_and_no_team(leapsome, singer):
    """A revoked permission on `supervisor`/`department` (keys absent) must not clear managers or teams."""
    org = people(singer, 30)
    assert leapsome.run(singer.input(org)).ok
    before = leapsome.state()
    leapsome.reset_counters()
    result = leapsome.run(singer.input(without(org, "supervisor", "department")))  # a complete snapshot
    assert result.ok, result.log
    assert leapsome.counters()["writes"] == 0
    assert leapsome.state() == before
    # a key present with null still means "none": that user's manager is cleared
    org[4] = {**org[4], "supervisor": None}
    assert leapsome.run(singer.input(without(org, "department"))).ok
    users = leapsome.by_external()
    assert not users[str(org[4]["id"])]["manager"]
    assert users["6"]["manager"] == users["1"]["id"]


# -- structure changes ------------------------------------------------------------------------------
def test_a_new_department_with_a_new_manager_and_report_in_one_run(leapsome, singer):
    people = [singer.employee(1, first="Ada", last="Boss")]
    run(leapsome, singer, people, DEPARTMENTS)
    departments = {**DEPARTMENTS, 9: "Research"}
    new = [
        singer.employee(20, first="Rosa", last="Lead", department=9, supervisor=1),
        singer.employee(21, first="Rui", last="Report", department=9, supervisor=20),
    ]
    run(leapsome, singer, new, departments, snapshot=False)
    users = leapsome.by_external()
    assert users["21"]["manager"] == users["20"]["id"]
    assert users["20"]["manager"] == users["1"]["id"]
    assert members(leapsome, "personio-department-9") == {"20", "21"}
    nothing_left(leapsome, singer, [*people, *new], departments)


# -- managers who left ------------------------------------------------------------------------------
def test_a_supervisor_who_left_stays_the_manager_and_is_counted(leapsome, singer, tmp_path):
    boss = singer.employee(1, first="Ada", last="Boss")
    report_to = singer.employee(2, supervisor=1)
    run(leapsome, singer, [boss, report_to])
    path = tmp_path / "report.json"
    left = {**boss, "status": "inactive"}
    result = run(leapsome, singer, [left], snapshot=False, config={"report_path": str(path)})
    users = leapsome.by_external()
    assert not users["1"]["active"]
    assert users["2"]["manager"] == users["1"]["id"]  # Personio still says so: Personio wins
    run(leapsome, singer, [left, report_to], config={"report_path": str(path)})
    report = json.loads(path.read_text())
    assert report["counts"]["managers_who_left"] == 1
    assert report["to_look_at"][0]["subject"] == "employee 2 (Person Number2)"
    assert "has status inactive" in report["to_look_at"][0]["reason"]
    assert "managers_who_left" in result.log
    nothing_left(leapsome, singer, [left, report_to])
