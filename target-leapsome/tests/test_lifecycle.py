"""The HR lifecycle a real company goes through, over HTTP against the Leapsome sandbox.

Who gets a user by status, leavers deactivated (never deleted), returners reactivated, complete snapshots
versus incremental input, the deactivation guards, and migration from a Leapsome that is already populated.
"""

from __future__ import annotations

import json

DEPARTMENTS = {1: "Engineering", 2: "Sales", 3: "People"}


# -- migration -----------------------------------------------------------------------------------------
def populated_by_another_integration(leapsome, singer):
    """Leapsome as the native integration left it: users without our externalId, a team per department."""
    people = [
        singer.employee(1, first="Ada", last="Boss", department=1),
        singer.employee(2, supervisor=1, department=1),
        singer.employee(3, supervisor=1, department=2),
        singer.employee(4, supervisor=1, department=2),
        singer.employee(5, status="inactive", department=1),
        singer.employee(6, status="inactive", department=2),
        singer.employee(7, status="onboarding", department=1),
    ]
    ids = {}
    for person in people:
        user = leapsome.create_user(userName=person["email"].lower(), title="From native")
        ids[person["id"]] = user["id"]
    stale = leapsome.create_user(userName="contractor@acme.example")
    leapsome.create_group(displayName="Engineering", members=[ids[1], ids[2], ids[5], stale["id"]])
    return people, ids, stale


def test_only_active_and_leave_get_users_by_default(leapsome, singer):
    people = [
        singer.employee(1, status="active"),
        singer.employee(2, status="leave"),
        singer.employee(3, status="onboarding"),
        singer.employee(4, status="inactive"),
    ]
    singer.sync(leapsome, people)
    assert set(leapsome.by_external()) == {"1", "2"}


def test_statuses_setting_can_pre_create_onboarding(leapsome, singer):
    people = [singer.employee(1, status="active"), singer.employee(3, status="onboarding")]
    singer.sync(leapsome, people, config={"statuses": ["active", "leave", "onboarding"]})
    assert set(leapsome.by_external()) == {"1", "3"}


def test_leaver_is_deactivated_never_deleted(leapsome, singer):
    people = singer.org()
    singer.sync(leapsome, people)
    leaver = singer.employee(5, supervisor=1, status="inactive", termination_date="2026-01-31")
    singer.sync(leapsome, [leaver], snapshot=False)
    user = leapsome.by_external()["5"]
    assert user["active"] is False
    assert leapsome.counters()["by_method"].get("DELETE", 0) == 0


def test_returning_employee_is_reactivated(leapsome, singer):
    singer.sync(leapsome, singer.org())
    singer.sync(leapsome, [singer.employee(5, supervisor=1, status="inactive")], snapshot=False)
    assert leapsome.by_external()["5"]["active"] is False
    singer.sync(leapsome, [singer.employee(5, supervisor=1, status="active")], snapshot=False)
    assert leapsome.by_external()["5"]["active"] is True


def test_complete_snapshot_deactivates_users_whose_employee_is_gone(leapsome, singer):
    people = singer.org()
    singer.sync(leapsome, people)
    singer.sync(leapsome, people[:-1], config={"max_deactivation_share": 1.0})
    users = leapsome.by_external()
    assert users["6"]["active"] is False
    assert all(users[k]["active"] for k in ("1", "2", "3", "4", "5"))


def test_snapshot_cut_short_deactivates_nobody(leapsome, singer):
    people = singer.org()
    singer.sync(leapsome, people)
    singer.sync(leapsome, people[:3], activate=False)
    assert all(u["active"] for u in leapsome.by_external().values())


def test_incremental_input_never_deactivates_for_absence(leapsome, singer):
    people = singer.org()
    singer.sync(leapsome, people)
    singer.sync(leapsome, [people[1]], snapshot=False)
    assert all(u["active"] for u in leapsome.by_external().values())


def test_deactivation_limit_refuses_and_writes_nothing(leapsome, singer):
    org = singer.people(40)
    assert leapsome.run(singer.input(org)).ok
    leapsome.reset_counters()
    result = leapsome.run(singer.input(org[:10]))
    assert not result.ok
    assert "max_deactivation" in result.error or "max_deactivation" in result.log
    assert leapsome.counters()["writes"] == 0
    assert result.states == []
    assert all(u["active"] for u in leapsome.by_external().values())


def test_empty_snapshot_is_refused(leapsome, singer):
    org = singer.people(40)
    assert leapsome.run(singer.input(org)).ok
    result = leapsome.run(singer.input([]))
    assert not result.ok
    assert result.states == []
    assert all(u["active"] for u in leapsome.by_external().values())


def test_empty_snapshot_without_departments_is_refused(leapsome, singer):
    assert leapsome.run(singer.input(singer.people(40))).ok
    version = 1767700000000
    lines = [
        {"type": "SCHEMA", "stream": "employees", "schema": singer.schema, "key_properties": ["id"]},
        {"type": "ACTIVATE_VERSION", "stream": "employees", "version": version},
        {"type": "STATE", "value": {"bookmarks": {"employees": {"replication_key_value": "x"}}}},
    ]
    result = leapsome.run("".join(json.dumps(line) + "\n" for line in lines))
    assert not result.ok
    assert "max_deactivation" in result.error
    assert result.states == []
    assert all(u["active"] for u in leapsome.by_external().values())


def test_migration_dry_run_reads_like_a_plan_and_writes_nothing(leapsome, singer):
    people, _, _ = populated_by_another_integration(leapsome, singer)
    leapsome.reset_counters()
    result = singer.sync(leapsome, people, DEPARTMENTS, config={"dry_run": True})
    assert leapsome.counters()["writes"] == 0
    line = next(line for line in result.log.splitlines() if line.startswith("the plan would: "))
    assert "adopt 7 users" in line
    assert "deactivate 2 users" in line
    assert "adopt 1 teams" in line
    assert "create 1 teams" in line


def test_migration_adopts_every_match_and_deactivates_former_employees(leapsome, singer, tmp_path):
    people, ids, stale = populated_by_another_integration(leapsome, singer)
    hand_made = {u["userName"]: u for u in leapsome.state()["users"] if u["userName"].endswith("@acme.example")}
    path = tmp_path / "report.json"
    singer.sync(leapsome, people, DEPARTMENTS, config={"report_path": str(path)})
    users = leapsome.by_external()
    assert {k: users[k]["id"] for k in users if k.isdigit()} == {str(k): v for k, v in ids.items()}
    assert [k for k in sorted(users) if users[k]["active"]] == ["1", "2", "3", "4", "7"]
    assert users["7"]["title"] == "From native"  # onboarding: adopted, otherwise left as it is
    assert singer.members(leapsome, "personio-department-1") == {"1", "2"}  # the stale members left
    engineering = next(g for g in leapsome.state()["groups"] if g["displayName"] == "Engineering")
    assert engineering["externalId"] == "personio-department-1"  # adopted, not duplicated
    assert singer.members(leapsome, "personio-department-2") == {"3", "4"}
    contractor = next(u for u in leapsome.state()["users"] if u["id"] == stale["id"])
    assert contractor == {**hand_made["contractor@acme.example"], "teams": [], "version": contractor["version"]}
    report = json.loads(path.read_text())
    assert report["counts"]["adopted"] == 7
    assert report["counts"]["deactivated"] == 2
    singer.nothing_left(leapsome, people, DEPARTMENTS)


def test_a_large_migration_backlog_is_refused_with_how_to_let_it_through(leapsome, singer):
    people, _, _ = populated_by_another_integration(leapsome, singer)
    result = leapsome.run(singer.input(people, DEPARTMENTS), max_deactivations=1)
    assert not result.ok
    assert "max_deactivations=2" in result.log
    assert "TARGET_LEAPSOME_MAX_DEACTIVATIONS=2" in result.log
    assert all(not u["externalId"] for u in leapsome.state()["users"])  # nothing written
    singer.sync(leapsome, people, DEPARTMENTS, config={"max_deactivations": 2})
    singer.nothing_left(leapsome, people, DEPARTMENTS)


def test_a_user_moved_out_of_the_way_whose_own_new_address_is_refused_fails_the_run(leapsome, singer):
    """Employee 1 leaves a@ for an address Leapsome refuses, employee 2 takes a@: never a silent temporary name."""
    a = singer.employee(1, email="a@acme.example")
    b = singer.employee(2, email="b@acme.example")
    singer.sync(leapsome, [a, b])
    changed = [{**a, "email": "a@elsewhere.example"}, {**b, "email": "a@acme.example"}]
    result = leapsome.run(singer.input(changed, snapshot=False))
    assert not result.ok
    assert result.states == []
    assert "employee 1 (Person Number1)" in result.log


def test_two_departments_of_one_name_adopt_a_hand_made_team_once(leapsome, singer):
    leapsome.create_group(displayName="Guild")
    people = [singer.employee(1, department=7), singer.employee(2, department=8)]
    result = singer.sync(leapsome, people, {7: "Guild", 8: "Guild"})
    guild = [g for g in leapsome.state()["groups"] if g["displayName"] == "Guild"]
    assert len(guild) == 1
    assert guild[0]["externalId"] == "personio-department-7"
    assert "team of department 8 (Guild): the name is taken" in result.log
