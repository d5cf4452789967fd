"""Teams: one per Personio department, keyed by its id, over HTTP against the Leapsome sandbox.

Renames, moves, adoption by name, hand-made teams, teams over 100 members, departments that disappear.
"""

from __future__ import annotations

import json

DEPARTMENTS = {1: "Engineering", 2: "Sales", 3: "People"}


def test_one_team_per_department_keyed_by_id(leapsome, singer):
    singer.sync(leapsome, singer.org())
    synced = [g for g in leapsome.state()["groups"] if (g["externalId"] or "").startswith("personio-department-")]
    assert sorted(g["externalId"] for g in synced) == ["personio-department-1", "personio-department-2"]


def test_department_rename_renames_the_team(leapsome, singer):
    people = singer.org()
    singer.sync(leapsome, people)
    team_id = leapsome.groups()["Sales"]["id"]
    departments = {**singer.DEPARTMENTS, 2: "Revenue"}
    singer.sync(leapsome, [], snapshot=False, departments=departments)
    groups = leapsome.groups()
    assert "Sales" not in groups
    assert groups["Revenue"]["id"] == team_id
    assert len(groups["Revenue"]["members"]) == 3


def test_department_move_leaves_old_team_joins_new(leapsome, singer):
    singer.sync(leapsome, singer.org())
    singer.sync(leapsome, [singer.employee(3, department=2, supervisor=1)], snapshot=False)
    user_id = leapsome.by_external()["3"]["id"]
    groups = leapsome.groups()
    assert user_id in groups["Sales"]["members"]
    assert user_id not in groups["Engineering"]["members"]


def test_team_with_exact_department_name_is_adopted(leapsome, singer):
    existing = leapsome.create_group(displayName="Sales")
    singer.sync(leapsome, singer.org())
    sales = [g for g in leapsome.state()["groups"] if g["displayName"] == "Sales"]
    assert len(sales) == 1
    assert sales[0]["id"] == existing["id"]
    assert sales[0]["externalId"] == "personio-department-2"


def test_hand_made_team_and_its_members_untouched(leapsome, singer):
    before = leapsome.groups()["Book Club"]
    people = singer.org()
    singer.sync(leapsome, people)
    singer.sync(leapsome, people[:4], config={"max_deactivation_share": 1.0})
    after = leapsome.groups()["Book Club"]
    assert after == before


def test_team_over_100_members(make_leapsome, singer):
    leapsome = make_leapsome(rate_limit=False)
    org = [singer.employee(i, department=1) for i in range(1, 251)]
    result = leapsome.run(singer.input(org), max_requests_per_second=0)
    assert result.ok, result.log
    team = leapsome.groups()["Engineering"]
    assert len(team["members"]) == 250
    # one member leaves the department: removal needs a full replace in chunks of 100
    moved = singer.employee(17, department=2)
    assert leapsome.run(singer.input([moved], snapshot=False), max_requests_per_second=0).ok
    groups = leapsome.groups()
    user_id = leapsome.by_external()["17"]["id"]
    assert len(groups["Engineering"]["members"]) == 249
    assert user_id not in groups["Engineering"]["members"]
    assert groups["Sales"]["members"] == [user_id]


def test_a_department_gone_from_personio_has_its_team_emptied_and_said(leapsome, singer, tmp_path):
    people = [singer.employee(i, department=1 if i < 3 else 2) for i in range(1, 6)]
    singer.sync(leapsome, people, DEPARTMENTS)
    moved = [{**p, "department": {"id": 1, "name": "Engineering"}} for p in people]
    departments = {1: "Engineering", 3: "People"}
    path = tmp_path / "report.json"
    result = singer.sync(leapsome, moved, departments, config={"report_path": str(path)})
    assert singer.members(leapsome, "personio-department-2") == set()
    assert singer.members(leapsome, "personio-department-1") == {"1", "2", "3", "4", "5"}
    assert "teams_emptied=1" in result.log
    report = json.loads(path.read_text())
    assert report["to_look_at"][0]["reason"].startswith("the department is no longer in Personio")
    singer.nothing_left(leapsome, moved, departments)


def test_a_department_of_more_than_100_losing_a_few_holds_exactly_the_rest(make_leapsome, singer):
    leapsome = make_leapsome(rate_limit=False)
    people = [singer.employee(i, department=1) for i in range(1, 106)]
    singer.sync(leapsome, people, DEPARTMENTS, config={"max_requests_per_second": 0})
    changed = [{**p, "department": {"id": 2, "name": "Sales"}} if p["id"] in (7, 50, 104) else p for p in people]
    singer.sync(leapsome, changed, DEPARTMENTS, config={"max_requests_per_second": 0})
    assert singer.members(leapsome, "personio-department-1") == {str(i) for i in range(1, 106)} - {"7", "50", "104"}
    assert singer.members(leapsome, "personio-department-2") == {"7", "50", "104"}
    singer.nothing_left(leapsome, changed, DEPARTMENTS, config={"max_requests_per_second": 0})
