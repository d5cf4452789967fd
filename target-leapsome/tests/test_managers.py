"""Managers: the supervisors' users, written after the users, over HTTP against the Leapsome sandbox.

Self-supervision, cycles, supervisors without a user or who left, a supervisor Personio did not send, a new
department with its manager in one run.
"""

from __future__ import annotations

import json

# -- 3. absent vs null -------------------------------------------------------------------------------------


DEPARTMENTS = {1: "Engineering", 2: "Sales", 3: "People"}


def test_users_written_before_managers(leapsome, singer):
    # the supervisor comes after the report in the input and both are new
    people = [singer.employee(2, supervisor=9), singer.employee(9, first="Late", last="Boss")]
    result = singer.sync(leapsome, people)
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
    result = singer.sync(leapsome, people)
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
    result = singer.sync(leapsome, people)
    users = leapsome.by_external()
    assert users["2"]["manager"] is None
    assert users["3"]["manager"] is None
    assert result.ok, result.log[-3000:]  # a missing manager is a skip for HR to fix, not a failure
    assert "their supervisor, employee 1 (Person Number1), has status inactive" in result.log
    assert "their supervisor, employee 77, is not among the employees Personio returned" in result.log


def test_absent_supervisor_and_department_change_no_manager_and_no_team(leapsome, singer):
    """A revoked permission on `supervisor`/`department` (keys absent) must not clear managers or teams."""
    org = singer.people(30)
    assert leapsome.run(singer.input(org)).ok
    before = leapsome.state()
    leapsome.reset_counters()
    result = leapsome.run(singer.input(singer.without(org, "supervisor", "department")))  # a complete snapshot
    assert result.ok, result.log
    assert leapsome.counters()["writes"] == 0
    assert leapsome.state() == before
    # a key present with null still means "none": that user's manager is cleared
    org[4] = {**org[4], "supervisor": None}
    assert leapsome.run(singer.input(singer.without(org, "department"))).ok
    users = leapsome.by_external()
    assert not users[str(org[4]["id"])]["manager"]
    assert users["6"]["manager"] == users["1"]["id"]


# -- structure changes ------------------------------------------------------------------------------
def test_a_new_department_with_a_new_manager_and_report_in_one_run(leapsome, singer):
    people = [singer.employee(1, first="Ada", last="Boss")]
    singer.sync(leapsome, people, DEPARTMENTS)
    departments = {**DEPARTMENTS, 9: "Research"}
    new = [
        singer.employee(20, first="Rosa", last="Lead", department=9, supervisor=1),
        singer.employee(21, first="Rui", last="Report", department=9, supervisor=20),
    ]
    singer.sync(leapsome, new, departments, snapshot=False)
    users = leapsome.by_external()
    assert users["21"]["manager"] == users["20"]["id"]
    assert users["20"]["manager"] == users["1"]["id"]
    assert singer.members(leapsome, "personio-department-9") == {"20", "21"}
    singer.nothing_left(leapsome, [*people, *new], departments)


# -- managers who left ------------------------------------------------------------------------------
def test_a_supervisor_who_left_stays_the_manager_and_is_counted(leapsome, singer, tmp_path):
    boss = singer.employee(1, first="Ada", last="Boss")
    report_to = singer.employee(2, supervisor=1)
    singer.sync(leapsome, [boss, report_to])
    path = tmp_path / "report.json"
    left = {**boss, "status": "inactive"}
    result = singer.sync(leapsome, [left], snapshot=False, config={"report_path": str(path)})
    users = leapsome.by_external()
    assert not users["1"]["active"]
    assert users["2"]["manager"] == users["1"]["id"]  # Personio still says so: Personio wins
    singer.sync(leapsome, [left, report_to], config={"report_path": str(path)})
    report = json.loads(path.read_text())
    assert report["counts"]["managers_who_left"] == 1
    assert report["to_look_at"][0]["subject"] == "employee 2 (Person Number2)"
    assert "has status inactive" in report["to_look_at"][0]["reason"]
    assert "managers_who_left" in result.log
    singer.nothing_left(leapsome, [left, report_to])
