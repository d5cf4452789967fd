"""The sync's core behaviour, one test per rule, against the Leapsome sandbox over HTTP."""

from __future__ import annotations


def org(singer, n=6):
    """A small org: 1 heads Engineering, 2..n report to 1; even ids in Sales."""
    people = [singer.employee(1, first="Ada", last="Boss", position="CTO")]
    for i in range(2, n + 1):
        people.append(singer.employee(i, department=2 if i % 2 == 0 else 1, supervisor=1))
    return people


def test_initial_sync_creates_users_teams_managers(leapsome, singer):
    result = leapsome.run(singer.input(org(singer)))
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


def sync(leapsome, singer, people, **kwargs):
    config = kwargs.pop("config", {})
    result = leapsome.run(singer.input(people, **kwargs), **config)
    assert result.ok, f"{result.error}\n{result.log}"
    return result


def test_identity_is_the_personio_id_in_external_id(leapsome, singer):
    sync(leapsome, singer, org(singer))
    user = leapsome.by_external()["3"]
    assert user["externalId"] == "3"


def test_hand_made_user_with_same_email_is_adopted_not_duplicated(leapsome, singer):
    leapsome.admin(
        "POST", "/users", {"userName": "Person.2@ACME.example", "name": {"givenName": "P", "familyName": "Two"}}
    )
    sync(leapsome, singer, org(singer))
    matching = [u for u in leapsome.state()["users"] if u["userName"].lower() == "person.2@acme.example"]
    assert len(matching) == 1
    assert matching[0]["externalId"] == "2"
    assert matching[0]["familyName"] == "Number2"


def test_email_change_changes_user_name_without_second_user(leapsome, singer):
    people = org(singer)
    sync(leapsome, singer, people)
    before = leapsome.by_external()["4"]
    people[3] = singer.employee(4, department=2, supervisor=1, email="new.four@acme.example")
    sync(leapsome, singer, [people[3]], snapshot=False)
    after = leapsome.by_external()["4"]
    assert after["id"] == before["id"]
    assert after["userName"] == "new.four@acme.example"
    assert len(leapsome.state()["users"]) == 2 + 6


def test_only_active_and_leave_get_users_by_default(leapsome, singer):
    people = [
        singer.employee(1, status="active"),
        singer.employee(2, status="leave"),
        singer.employee(3, status="onboarding"),
        singer.employee(4, status="inactive"),
    ]
    sync(leapsome, singer, people)
    assert set(leapsome.by_external()) == {"1", "2"}


def test_statuses_setting_can_pre_create_onboarding(leapsome, singer):
    people = [singer.employee(1, status="active"), singer.employee(3, status="onboarding")]
    sync(leapsome, singer, people, config={"statuses": ["active", "leave", "onboarding"]})
    assert set(leapsome.by_external()) == {"1", "3"}


def test_display_name_prefers_preferred_name(leapsome, singer):
    people = [
        singer.employee(1, first="Alexander", last="Bergmann", preferred_name="Alex Bergmann"),
        singer.employee(2, first="Jo", last="Doe"),
    ]
    sync(leapsome, singer, people)
    users = leapsome.by_external()
    assert users["1"]["displayName"] == "Alex Bergmann"
    assert users["2"]["displayName"] == "Jo Doe"


def test_leaver_is_deactivated_never_deleted(leapsome, singer):
    people = org(singer)
    sync(leapsome, singer, people)
    leaver = singer.employee(5, supervisor=1, status="inactive", termination_date="2026-01-31")
    sync(leapsome, singer, [leaver], snapshot=False)
    user = leapsome.by_external()["5"]
    assert user["active"] is False
    assert leapsome.counters()["by_method"].get("DELETE", 0) == 0


def test_returning_employee_is_reactivated(leapsome, singer):
    sync(leapsome, singer, org(singer))
    sync(leapsome, singer, [singer.employee(5, supervisor=1, status="inactive")], snapshot=False)
    assert leapsome.by_external()["5"]["active"] is False
    sync(leapsome, singer, [singer.employee(5, supervisor=1, status="active")], snapshot=False)
    assert leapsome.by_external()["5"]["active"] is True


def test_complete_snapshot_deactivates_users_whose_employee_is_gone(leapsome, singer):
    people = org(singer)
    sync(leapsome, singer, people)
    sync(leapsome, singer, people[:-1], config={"max_deactivation_share": 1.0})
    users = leapsome.by_external()
    assert users["6"]["active"] is False
    assert all(users[k]["active"] for k in ("1", "2", "3", "4", "5"))


def test_snapshot_cut_short_deactivates_nobody(leapsome, singer):
    people = org(singer)
    sync(leapsome, singer, people)
    sync(leapsome, singer, people[:3], activate=False)
    assert all(u["active"] for u in leapsome.by_external().values())


def test_hand_made_users_are_never_touched(leapsome, singer):
    before = {u["userName"]: u for u in leapsome.state()["users"]}
    people = org(singer)
    sync(leapsome, singer, people)
    sync(leapsome, singer, people[:2], config={"max_deactivation_share": 1.0, "max_deactivations": 100})
    after = {u["userName"]: u for u in leapsome.state()["users"]}
    for name, user in before.items():
        assert after[name]["version"] == user["version"], name
        assert after[name]["active"] is True


def test_one_team_per_department_keyed_by_id(leapsome, singer):
    sync(leapsome, singer, org(singer))
    synced = [g for g in leapsome.state()["groups"] if (g["externalId"] or "").startswith("personio-department-")]
    assert sorted(g["externalId"] for g in synced) == ["personio-department-1", "personio-department-2"]


def test_department_rename_renames_the_team(leapsome, singer):
    people = org(singer)
    sync(leapsome, singer, people)
    team_id = leapsome.groups()["Sales"]["id"]
    departments = {**singer.DEPARTMENTS, 2: "Revenue"}
    sync(leapsome, singer, [], snapshot=False, departments=departments)
    groups = leapsome.groups()
    assert "Sales" not in groups
    assert groups["Revenue"]["id"] == team_id
    assert len(groups["Revenue"]["members"]) == 3


def test_department_move_leaves_old_team_joins_new(leapsome, singer):
    sync(leapsome, singer, org(singer))
    sync(leapsome, singer, [singer.employee(3, department=2, supervisor=1)], snapshot=False)
    user_id = leapsome.by_external()["3"]["id"]
    groups = leapsome.groups()
    assert user_id in groups["Sales"]["members"]
    assert user_id not in groups["Engineering"]["members"]


def test_team_with_exact_department_name_is_adopted(leapsome, singer):
    existing = leapsome.admin("POST", "/groups", {"displayName": "Sales"})
    sync(leapsome, singer, org(singer))
    sales = [g for g in leapsome.state()["groups"] if g["displayName"] == "Sales"]
    assert len(sales) == 1
    assert sales[0]["id"] == existing["id"]
    assert sales[0]["externalId"] == "personio-department-2"


def test_hand_made_team_and_its_members_untouched(leapsome, singer):
    before = leapsome.groups()["Book Club"]
    people = org(singer)
    sync(leapsome, singer, people)
    sync(leapsome, singer, people[:4], config={"max_deactivation_share": 1.0})
    after = leapsome.groups()["Book Club"]
    assert after == before


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


def test_personio_wins_over_hand_edits(leapsome, singer):
    people = org(singer)
    sync(leapsome, singer, people)
    user = leapsome.by_external()["2"]
    leapsome.admin(
        "PATCH", f"/users/{user['id']}", {"title": "Chief Hand Edit", "name": {"givenName": "X", "familyName": "Y"}}
    )
    sync(leapsome, singer, people)
    user = leapsome.by_external()["2"]
    assert user["title"] == "Engineer"
    assert (user["givenName"], user["familyName"]) == ("Person", "Number2")


def test_incremental_input_never_deactivates_for_absence(leapsome, singer):
    people = org(singer)
    sync(leapsome, singer, people)
    sync(leapsome, singer, [people[1]], snapshot=False)
    assert all(u["active"] for u in leapsome.by_external().values())


def test_numeric_external_id_from_another_tool_counts_as_managed(leapsome, singer):
    """The documented caveat: a numeric externalId reads as a Personio id, so a snapshot deactivates it."""
    leapsome.admin("POST", "/users", {"userName": "robot@acme.example", "externalId": "424242"})
    people = org(singer)
    refused = leapsome.run(singer.input(people), max_deactivations=0)
    assert not refused.ok
    assert "max_deactivations" in refused.error  # counted in the deactivation limit, nothing written
    assert "employee 424242 (robot@acme.example): no longer in Personio" in refused.log
    assert leapsome.by_external()["424242"]["active"] is True
    sync(leapsome, singer, people)
    assert leapsome.by_external()["424242"]["active"] is False
