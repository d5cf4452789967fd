"""Who a Leapsome user is and what it holds, over HTTP against the Leapsome sandbox.

Identity by Personio id, adoption by email, email changes (also swapped, chained and interrupted), names,
hand edits, attributes Personio did not send.
"""

from __future__ import annotations

import copy
import json

from target_leapsome.apply import apply_plan
from target_leapsome.client import LeapsomeClient
from target_leapsome.desired import build_desired
from target_leapsome.planner import plan_sync
from target_leapsome.reconcile import read_state
from target_leapsome.report import RunReport
from target_leapsome.settings import Settings

# -- 3. absent vs null -------------------------------------------------------------------------------------


DEPARTMENTS = {1: "Engineering", 2: "Sales", 3: "People"}


def test_initial_sync_creates_users_teams_managers(leapsome, singer):
    result = leapsome.run(singer.input(singer.org()))
    assert result.ok, result.error + result.log
    users = leapsome.by_external()
    assert set(users) == {"1", "2", "3", "4", "5", "6"}
    ada = users["1"]
    assert ada["userName"] == "person.1@acme.example"
    assert (ada["givenName"], ada["familyName"], ada["title"]) == ("Ada", "Boss", "CTO")
    assert ada["enterprise"]["startDate"] == "2024-01-15"
    assert ada["enterprise"]["location"] == "Berlin"
    assert "department" not in ada["enterprise"]
    assert users["2"]["manager"] == ada["id"]
    groups = leapsome.groups()
    assert groups["Engineering"]["externalId"] == "personio-department-1"
    assert sorted(groups["Engineering"]["members"]) == sorted(users[k]["id"] for k in ("1", "3", "5"))
    assert sorted(groups["Sales"]["members"]) == sorted(users[k]["id"] for k in ("2", "4", "6"))
    assert result.states, "state must be emitted after a successful run"


def test_identity_is_the_personio_id_in_external_id(leapsome, singer):
    singer.sync(leapsome, singer.org())
    user = leapsome.by_external()["3"]
    assert user["externalId"] == "3"


def test_hand_made_user_with_same_email_is_adopted_not_duplicated(leapsome, singer):
    leapsome.create_user(userName="Person.2@ACME.example", name={"givenName": "P", "familyName": "Two"})
    singer.sync(leapsome, singer.org())
    matching = [u for u in leapsome.state()["users"] if u["userName"].lower() == "person.2@acme.example"]
    assert len(matching) == 1
    assert matching[0]["externalId"] == "2"
    assert matching[0]["familyName"] == "Number2"


def test_email_change_changes_user_name_without_second_user(leapsome, singer):
    people = singer.org()
    singer.sync(leapsome, people)
    before = leapsome.by_external()["4"]
    people[3] = singer.employee(4, department=2, supervisor=1, email="new.four@acme.example")
    singer.sync(leapsome, [people[3]], snapshot=False)
    after = leapsome.by_external()["4"]
    assert after["id"] == before["id"]
    assert after["userName"] == "new.four@acme.example"
    assert len(leapsome.state()["users"]) == 2 + 6


def test_display_name_prefers_preferred_name(leapsome, singer):
    people = [
        singer.employee(1, first="Alexander", last="Bergmann", preferred_name="Alex Bergmann"),
        singer.employee(2, first="Jo", last="Doe"),
    ]
    singer.sync(leapsome, people)
    users = leapsome.by_external()
    assert users["1"]["displayName"] == "Alex Bergmann"
    assert users["2"]["displayName"] == "Jo Doe"


def test_hand_made_users_are_never_touched(leapsome, singer):
    before = {u["userName"]: u for u in leapsome.state()["users"]}
    people = singer.org()
    singer.sync(leapsome, people)
    singer.sync(leapsome, people[:2], config={"max_deactivation_share": 1.0, "max_deactivations": 100})
    after = {u["userName"]: u for u in leapsome.state()["users"]}
    for name, user in before.items():
        assert after[name]["version"] == user["version"], name
        assert after[name]["active"] is True


def test_personio_wins_over_hand_edits(leapsome, singer):
    people = singer.org()
    singer.sync(leapsome, people)
    user = leapsome.by_external()["2"]
    leapsome.edit_user(user["id"], title="Chief Hand Edit", name={"givenName": "X", "familyName": "Y"})
    singer.sync(leapsome, people)
    user = leapsome.by_external()["2"]
    assert user["title"] == "Engineer"
    assert (user["givenName"], user["familyName"]) == ("Person", "Number2")


def test_numeric_external_id_from_another_tool_counts_as_managed(leapsome, singer):
    """The documented caveat: a numeric externalId reads as a Personio id, so a snapshot deactivates it."""
    leapsome.create_user(userName="robot@acme.example", externalId="424242")
    people = singer.org()
    refused = leapsome.run(singer.input(people), max_deactivations=0)
    assert not refused.ok
    assert "max_deactivations" in refused.error  # counted in the deactivation limit, nothing written
    assert "employee 424242 (robot@acme.example): no longer in Personio" in refused.log
    assert leapsome.by_external()["424242"]["active"] is True
    singer.sync(leapsome, people)
    assert leapsome.by_external()["424242"]["active"] is False


def test_user_appearing_between_read_and_apply_gets_its_external_id(leapsome, singer):
    """A create answered by an existing userName: the follow-up PATCH sets our externalId; the plan stays as planned."""
    settings = Settings.from_config(leapsome.config())
    client = LeapsomeClient(settings.base_url, settings.api_token)
    desired = build_desired([singer.employee(1), singer.employee(2)], [], ("active", "leave"), complete=False)
    plan = plan_sync(desired, read_state(client))
    before = copy.deepcopy(plan)
    leapsome.create_user(userName="person.2@acme.example")  # made by hand meanwhile
    result = apply_plan(plan, client, concurrency=2)
    assert result.failures == []
    assert result.external_id_fixes == {"2"}
    assert plan == before  # apply learned things, the plan did not change
    assert leapsome.by_external()["2"]["userName"] == "person.2@acme.example"
    report = RunReport(plan, result, [], dry_run=False, complete_snapshot=False).to_json()
    follow_up = next(a for a in report["actions"] if a["action"] == "create_details" and "employee 2 " in a["subject"])
    assert follow_up["changes"]["external_id"] == {"before": None, "after": "2"}


def test_absent_attributes_leave_leapsome_values_alone(leapsome, singer):
    hidden = ("first_name", "last_name", "preferred_name", "position", "hire_date", "termination_date", "office")
    org = singer.people(6)
    assert leapsome.run(singer.input(org)).ok
    user = leapsome.by_external()["3"]
    leapsome.edit_user(user["id"], title="Hand-set title")
    before = leapsome.state()
    leapsome.reset_counters()
    result = leapsome.run(singer.input(singer.without(org, *hidden)))
    assert result.ok, result.log
    assert leapsome.counters()["writes"] == 0
    assert leapsome.state() == before
    # present-and-null keeps its meaning: the office is cleared
    org[2] = {**org[2], "office": None}
    assert leapsome.run(singer.input(org)).ok
    user = leapsome.by_external()["3"]
    assert not user["enterprise"].get("location")
    assert user["title"] == "Engineer"  # and Personio wins again once position is readable


# -- rehires and reused emails ---------------------------------------------------------------------
def test_a_returning_employee_with_a_new_personio_id_gets_their_former_user_back(leapsome, singer, tmp_path):
    boss = singer.employee(1, first="Ada", last="Boss")
    before = singer.employee(39, first="Rita", last="Return", email="rita@acme.example", supervisor=1)
    singer.sync(leapsome, [boss, before])
    former = leapsome.by_external()["39"]
    singer.sync(leapsome, [{**before, "status": "inactive"}], snapshot=False)
    assert not leapsome.by_external()["39"]["active"]
    back = singer.employee(
        77, first="Rita", last="Return", email="Rita@acme.example", supervisor=1, position="Principal", department=2
    )
    path = tmp_path / "report.json"
    singer.sync(leapsome, [back], snapshot=False, config={"report_path": str(path)})
    users = leapsome.by_external()
    assert "39" not in users
    assert users["77"]["id"] == former["id"]  # the same user: their Leapsome history stays theirs
    assert users["77"]["active"]
    assert users["77"]["title"] == "Principal"
    assert singer.members(leapsome, "personio-department-2") == {"77"}
    report = json.loads(path.read_text())
    assert report["counts"]["taken_over"] == 1
    action = next(a for a in report["actions"] if "taken_over" in a["action"])
    assert action["changes"]["external_id"] == {"before": "39", "after": "77"}
    everyone = [boss, {**before, "status": "inactive"}, back]
    singer.nothing_left(leapsome, everyone)  # a complete snapshot agrees


def test_an_email_of_an_active_employee_is_not_taken_over(leapsome, singer):
    holder = singer.employee(39, email="shared@acme.example")
    singer.sync(leapsome, [holder])
    result = singer.sync(leapsome, [singer.employee(77, email="shared@acme.example")], snapshot=False)
    assert "77" not in leapsome.by_external()
    assert "belongs to externalId 39; not synced" in result.log


# -- email changes that collide ---------------------------------------------------------------------
def test_swapped_and_chained_emails_are_applied_in_one_run(leapsome, singer, tmp_path):
    a = singer.employee(1, email="a@acme.example")
    b = singer.employee(2, email="b@acme.example")
    c = singer.employee(3, email="c@acme.example")
    singer.sync(leapsome, [a, b, c])
    ids = {k: u["id"] for k, u in leapsome.by_external().items()}
    changed = [
        {**a, "email": "b@acme.example"},
        {**b, "email": "a@acme.example"},
        {**c, "email": "d@acme.example"},
        singer.employee(4, email="c@acme.example"),  # takes the address employee 3 gives up
    ]
    path = tmp_path / "report.json"
    singer.sync(leapsome, changed, snapshot=False, config={"report_path": str(path)})
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
    singer.nothing_left(leapsome, changed)


def test_an_email_swap_interrupted_half_way_converges(leapsome, singer):
    a = singer.employee(1, email="a@acme.example")
    b = singer.employee(2, email="b@acme.example")
    singer.sync(leapsome, [a, b])
    # as a killed run would leave it: employee 2 moved out of the way, nothing else done yet
    user = leapsome.by_external()["2"]
    leapsome.edit_user(user["id"], userName="personio-sync-moving-2@acme.example")
    swapped = [{**a, "email": "b@acme.example"}, {**b, "email": "a@acme.example"}]
    singer.sync(leapsome, swapped, snapshot=False)
    users = leapsome.by_external()
    assert (users["1"]["userName"], users["2"]["userName"]) == ("b@acme.example", "a@acme.example")
    singer.nothing_left(leapsome, swapped)


# -- hand edits -------------------------------------------------------------------------------------
def test_hand_edits_on_synced_objects_are_reverted_by_a_complete_snapshot(leapsome, singer):
    people = [singer.employee(i, supervisor=1 if i > 1 else None) for i in range(1, 5)]
    singer.sync(leapsome, people, DEPARTMENTS)
    users = leapsome.by_external()
    team = next(g for g in leapsome.state()["groups"] if g["externalId"] == "personio-department-1")
    hand = next(u for u in leapsome.state()["users"] if not u["externalId"])
    leapsome.edit_user(users["2"]["id"], active=False)
    leapsome.edit_user(users["3"]["id"], title="Chief Hand Edit")
    leapsome.edit_group(team["id"], displayName="Eng (by hand)")
    leapsome.edit_group(team["id"], members=[*team["members"], hand["id"]])
    singer.sync(leapsome, people, DEPARTMENTS)
    users = leapsome.by_external()
    assert users["2"]["active"]
    assert users["3"]["title"] == "Engineer"
    now = next(g for g in leapsome.state()["groups"] if g["id"] == team["id"])
    assert now["displayName"] == "Engineering"
    assert singer.members(leapsome, "personio-department-1") == {"1", "2", "3", "4"}
    singer.nothing_left(leapsome, people, DEPARTMENTS)
