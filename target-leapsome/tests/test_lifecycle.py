"""The HR lifecycle a real company goes through, each behaviour over HTTP against the Leapsome sandbox.

Migration from a Leapsome that is already populated, rehires under a new Personio id, email changes that
collide in one run, hand edits reverted, structure changes in one run, managers who left. Every scenario
ends with a run that has nothing to do and writes nothing.
"""

from __future__ import annotations

import json

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
        user = leapsome.admin("POST", "/users", {"userName": person["email"].lower(), "title": "From native"})
        ids[person["id"]] = user["id"]
    stale = leapsome.admin("POST", "/users", {"userName": "contractor@acme.example"})
    leapsome.admin("POST", "/groups", {"displayName": "Engineering", "members": [ids[1], ids[2], ids[5], stale["id"]]})
    return people, ids, stale


def test_migration_dry_run_reads_like_a_plan_and_writes_nothing(leapsome, singer):
    people, _, _ = populated_by_another_integration(leapsome, singer)
    leapsome.reset_counters()
    result = run(leapsome, singer, people, DEPARTMENTS, config={"dry_run": True})
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
    run(leapsome, singer, people, DEPARTMENTS, config={"report_path": str(path)})
    users = leapsome.by_external()
    assert {k: users[k]["id"] for k in users if k.isdigit()} == {str(k): v for k, v in ids.items()}
    assert [k for k in sorted(users) if users[k]["active"]] == ["1", "2", "3", "4", "7"]
    assert users["7"]["title"] == "From native"  # onboarding: adopted, otherwise left as it is
    assert members(leapsome, "personio-department-1") == {"1", "2"}  # the stale members left
    engineering = next(g for g in leapsome.state()["groups"] if g["displayName"] == "Engineering")
    assert engineering["externalId"] == "personio-department-1"  # adopted, not duplicated
    assert members(leapsome, "personio-department-2") == {"3", "4"}
    contractor = next(u for u in leapsome.state()["users"] if u["id"] == stale["id"])
    assert contractor == {**hand_made["contractor@acme.example"], "teams": [], "version": contractor["version"]}
    report = json.loads(path.read_text())
    assert report["counts"]["adopted"] == 7
    assert report["counts"]["deactivated"] == 2
    nothing_left(leapsome, singer, people, DEPARTMENTS)


def test_a_large_migration_backlog_is_refused_with_how_to_let_it_through(leapsome, singer):
    people, _, _ = populated_by_another_integration(leapsome, singer)
    result = leapsome.run(singer.input(people, DEPARTMENTS), max_deactivations=1)
    assert not result.ok
    assert "max_deactivations=2" in result.log
    assert "TARGET_LEAPSOME_MAX_DEACTIVATIONS=2" in result.log
    assert all(not u["externalId"] for u in leapsome.state()["users"])  # nothing written
    run(leapsome, singer, people, DEPARTMENTS, config={"max_deactivations": 2})
    nothing_left(leapsome, singer, people, DEPARTMENTS)


# -- rehires and reused emails ---------------------------------------------------------------------
def test_a_returning_employee_with_a_new_personio_id_gets_their_former_user_back(leapsome, singer, tmp_path):
    boss = singer.employee(1, first="Ada", last="Boss")
    before = singer.employee(39, first="Rita", last="Return", email="rita@acme.example", supervisor=1)
    run(leapsome, singer, [boss, before])
    former = leapsome.by_external()["39"]
    run(leapsome, singer, [{**before, "status": "inactive"}], snapshot=False)
    assert not leapsome.by_external()["39"]["active"]
    back = singer.employee(
        77, first="Rita", last="Return", email="Rita@acme.example", supervisor=1, position="Principal", department=2
    )
    path = tmp_path / "report.json"
    run(leapsome, singer, [back], snapshot=False, config={"report_path": str(path)})
    users = leapsome.by_external()
    assert "39" not in users
    assert users["77"]["id"] == former["id"]  # the same user: their Leapsome history stays theirs
    assert users["77"]["active"]
    assert users["77"]["title"] == "Principal"
    assert members(leapsome, "personio-department-2") == {"77"}
    report = json.loads(path.read_text())
    assert report["counts"]["taken_over"] == 1
    action = next(a for a in report["actions"] if "taken_over" in a["action"])
    assert action["changes"]["external_id"] == {"before": "39", "after": "77"}
    everyone = [boss, {**before, "status": "inactive"}, back]
    nothing_left(leapsome, singer, everyone)  # a complete snapshot agrees


def test_an_email_of_an_active_employee_is_not_taken_over(leapsome, singer):
    holder = singer.employee(39, email="shared@acme.example")
    run(leapsome, singer, [holder])
    result = run(leapsome, singer, [singer.employee(77, email="shared@acme.example")], snapshot=False)
    assert "77" not in leapsome.by_external()
    assert "belongs to externalId 39; not synced" in result.log


# -- email changes that collide ---------------------------------------------------------------------
def test_swapped_and_chained_emails_are_applied_in_one_run(leapsome, singer, tmp_path):
    a = singer.employee(1, email="a@acme.example")
    b = singer.employee(2, email="b@acme.example")
    c = singer.employee(3, email="c@acme.example")
    run(leapsome, singer, [a, b, c])
    ids = {k: u["id"] for k, u in leapsome.by_external().items()}
    changed = [
        {**a, "email": "b@acme.example"},
        {**b, "email": "a@acme.example"},
        {**c, "email": "d@acme.example"},
        singer.employee(4, email="c@acme.example"),  # takes the address employee 3 gives up
    ]
    path = tmp_path / "report.json"
    run(leapsome, singer, changed, snapshot=False, config={"report_path": str(path)})
    users = leapsome.by_external()
    assert {k: users[k]["userName"] for k in users} == {
        "1": "b@acme.example",
        "2": "a@acme.example",
        "3": "d@acme.example",
        "4": "c@acme.example",
    }
    assert {k: users[k]["id"] for k in ("1", "2", "3")} == ids
    report = json.loads(path.read_text())
    assert report["counts"]["email_changed"] == 3
    # every address that changes hands is freed first (the final updates then run in any order)
    assert sum(1 for a in report["actions"] if a["action"] == "address_freed") == 3
    nothing_left(leapsome, singer, changed)


def test_an_email_swap_interrupted_half_way_converges(leapsome, singer):
    a = singer.employee(1, email="a@acme.example")
    b = singer.employee(2, email="b@acme.example")
    run(leapsome, singer, [a, b])
    # as a killed run would leave it: employee 2 moved out of the way, nothing else done yet
    user = leapsome.by_external()["2"]
    leapsome.admin("PATCH", f"/users/{user['id']}", {"userName": "personio-sync-moving-2@acme.example"})
    swapped = [{**a, "email": "b@acme.example"}, {**b, "email": "a@acme.example"}]
    run(leapsome, singer, swapped, snapshot=False)
    users = leapsome.by_external()
    assert (users["1"]["userName"], users["2"]["userName"]) == ("b@acme.example", "a@acme.example")
    nothing_left(leapsome, singer, swapped)


# -- hand edits -------------------------------------------------------------------------------------
def test_hand_edits_on_synced_objects_are_reverted_by_a_complete_snapshot(leapsome, singer):
    people = [singer.employee(i, supervisor=1 if i > 1 else None) for i in range(1, 5)]
    run(leapsome, singer, people, DEPARTMENTS)
    users = leapsome.by_external()
    team = next(g for g in leapsome.state()["groups"] if g["externalId"] == "personio-department-1")
    hand = next(u for u in leapsome.state()["users"] if not u["externalId"])
    leapsome.admin("PATCH", f"/users/{users['2']['id']}", {"active": False})
    leapsome.admin("PATCH", f"/users/{users['3']['id']}", {"title": "Chief Hand Edit"})
    leapsome.admin("PATCH", f"/groups/{team['id']}", {"displayName": "Eng (by hand)"})
    leapsome.admin("PATCH", f"/groups/{team['id']}", {"members": [*team["members"], hand["id"]]})
    run(leapsome, singer, people, DEPARTMENTS)
    users = leapsome.by_external()
    assert users["2"]["active"]
    assert users["3"]["title"] == "Engineer"
    now = next(g for g in leapsome.state()["groups"] if g["id"] == team["id"])
    assert now["displayName"] == "Engineering"
    assert members(leapsome, "personio-department-1") == {"1", "2", "3", "4"}
    nothing_left(leapsome, singer, people, DEPARTMENTS)


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


def test_a_department_gone_from_personio_has_its_team_emptied_and_said(leapsome, singer, tmp_path):
    people = [singer.employee(i, department=1 if i < 3 else 2) for i in range(1, 6)]
    run(leapsome, singer, people, DEPARTMENTS)
    moved = [{**p, "department": {"id": 1, "name": "Engineering"}} for p in people]
    departments = {1: "Engineering", 3: "People"}
    path = tmp_path / "report.json"
    result = run(leapsome, singer, moved, departments, config={"report_path": str(path)})
    assert members(leapsome, "personio-department-2") == set()
    assert members(leapsome, "personio-department-1") == {"1", "2", "3", "4", "5"}
    assert "teams_emptied=1" in result.log
    report = json.loads(path.read_text())
    assert report["to_look_at"][0]["reason"].startswith("the department is no longer in Personio")
    nothing_left(leapsome, singer, moved, departments)


def test_a_department_of_more_than_100_losing_a_few_holds_exactly_the_rest(make_leapsome, singer):
    leapsome = make_leapsome(rate_limit=False)
    people = [singer.employee(i, department=1) for i in range(1, 106)]
    run(leapsome, singer, people, DEPARTMENTS, config={"max_requests_per_second": 0})
    changed = [{**p, "department": {"id": 2, "name": "Sales"}} if p["id"] in (7, 50, 104) else p for p in people]
    run(leapsome, singer, changed, DEPARTMENTS, config={"max_requests_per_second": 0})
    assert members(leapsome, "personio-department-1") == {str(i) for i in range(1, 106)} - {"7", "50", "104"}
    assert members(leapsome, "personio-department-2") == {"7", "50", "104"}
    nothing_left(leapsome, singer, changed, DEPARTMENTS, config={"max_requests_per_second": 0})


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
