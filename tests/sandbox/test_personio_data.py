"""The generated company and the admin mutations, checked through HTTP where the tap would look."""

from __future__ import annotations

import argparse
import json
import unicodedata
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import requests

from sandbox import personio
from sandbox.core import Knobs, running
from sandbox.personio import CLIENT_ID, CLIENT_SECRET
from sandbox.personio.app import PersonioSandbox
from sandbox.personio.org import PLANTED_KINDS, generate


def admin(method: str, url: str, **kwargs: Any) -> requests.Response:
    return requests.request(method, url, timeout=10, **kwargs)


def auth(url: str) -> dict[str, str]:
    body = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
    token = requests.post(f"{url}/v1/auth", json=body, timeout=10).json()["data"]["token"]
    return {"Authorization": f"Bearer {token}"}


def since(url: str, headers: dict[str, str], stamp: str) -> list[int]:
    params = {"updated_since": stamp, "limit": 100}
    data = requests.get(f"{url}/v1/company/employees", headers=headers, params=params, timeout=10).json()["data"]
    return [item["attributes"]["id"]["value"] for item in data]


def two_seconds_ago() -> str:
    return (datetime.now(UTC) - timedelta(seconds=2)).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_generator_is_deterministic_and_seed_sensitive():
    first, again, other = generate(300, 1), generate(300, 1), generate(300, 2)
    assert first == again
    assert first != other
    assert [e.id for e in first.employees] == sorted(e.id for e in first.employees)


def test_generated_company_is_realistic():
    org = generate(1000, 7)
    people = {e.id: e for e in org.employees}
    statuses = Counter(e.values["status"] for e in org.employees)
    assert set(statuses) == {"active", "leave", "onboarding", "inactive"}
    assert statuses["active"] > len(people) * 0.7
    for person in org.employees:
        if person.values["status"] == "inactive":
            assert person.values["termination_date"] is not None
    emails = [e.values["email"] for e in org.employees]
    assert len({e.lower() for e in emails}) == len(emails)
    assert all(e.isascii() and e.endswith("@acme.example") for e in emails)
    assert any(e != e.lower() for e in emails)
    names = " ".join(f"{e.values['first_name']} {e.values['last_name']}" for e in org.employees)
    for char in "üłéø王ễ":
        assert char in names
    assert len(org.departments) == 40
    assert any("&" in d.name for d in org.departments.values())
    roots = [e for e in org.employees if e.values["supervisor"] is None]
    assert len(roots) == 1
    for person in org.employees:  # every chain ends at the root without revisiting anyone
        seen, walker = set(), person.id
        while walker is not None:
            assert walker not in seen
            seen.add(walker)
            walker = people[walker].values["supervisor"]
        assert roots[0].id in seen
    same_or_parent = 0
    for person in org.employees:
        boss = person.values["supervisor"]
        if boss is None:
            continue
        mine, theirs = person.values["department"], people[boss].values["department"]
        if theirs in (mine, org.departments[mine].parent_id):
            same_or_parent += 1
    assert same_or_parent >= (len(people) - 1) * 0.8
    types = {json.loads(e.values["dynamic_40113"]).__class__ for e in org.employees}
    assert types == {list}
    assert len(generate(10, 1).departments) == 3


def test_hire_appears_in_list_and_incremental(personio_sandbox):
    url = personio_sandbox.url
    headers = auth(url)
    before = two_seconds_ago()
    hired = admin(
        "POST",
        f"{url}/_admin/employees",
        json={"first_name": "Ådne", "last_name": "Øvergård", "email": "Adne.Overgard@acme.example"},
    )
    assert hired.status_code == 201
    new_id = hired.json()["id"]
    assert since(url, headers, before) == [new_id]
    single = requests.get(f"{url}/v1/company/employees/{new_id}", headers=headers, timeout=10).json()
    assert single["data"]["attributes"]["last_name"]["value"] == "Øvergård"
    duplicate = admin("POST", f"{url}/_admin/employees", json={"email": "adne.overgard@ACME.example"})
    assert duplicate.status_code == 409


def test_updates_bump_last_modified_and_show_up(personio_sandbox):
    url = personio_sandbox.url
    headers = auth(url)
    everyone = admin("GET", f"{url}/_admin/employees").json()
    target, boss = everyone[3], everyone[10]
    departments = admin("GET", f"{url}/_admin/departments").json()
    other_department = next(d["id"] for d in departments if d["id"] != target["department"]["id"])
    before = two_seconds_ago()
    changed = admin(
        "PATCH",
        f"{url}/_admin/employees/{target['id']}",
        json={
            "status": "leave",
            "email": "Moved.Person@acme.example",
            "department": other_department,
            "supervisor": boss["id"],
            "termination_date": "2031-01-31",
        },
    )
    assert changed.status_code == 200, changed.text
    assert since(url, headers, before) == [target["id"]]
    plain = changed.json()
    assert plain["status"] == "leave"
    assert plain["department"]["id"] == other_department
    assert plain["supervisor"]["id"] == boss["id"]
    assert plain["termination_date"] == "2031-01-31"
    wrapped = requests.get(f"{url}/v1/company/employees/{target['id']}", headers=headers, timeout=10).json()
    attrs = wrapped["data"]["attributes"]
    assert attrs["email"]["value"] == "Moved.Person@acme.example"
    assert attrs["supervisor"]["value"]["attributes"]["id"]["value"] == boss["id"]
    assert attrs["termination_date"]["value"] == "2031-01-31T00:00:00+01:00"
    assert admin("PATCH", f"{url}/_admin/employees/{target['id']}", json={"status": "gone"}).status_code == 400
    assert admin("PATCH", f"{url}/_admin/employees/1", json={"status": "active"}).status_code == 404


def test_supervisor_cycles_are_refused(personio_sandbox):
    url = personio_sandbox.url
    everyone = admin("GET", f"{url}/_admin/employees").json()
    child = next(e for e in everyone if e["supervisor"] is not None)
    answer = admin("PATCH", f"{url}/_admin/employees/{child['supervisor']['id']}", json={"supervisor": child["id"]})
    assert answer.status_code == 400


def test_delete_leaves_no_trace(personio_sandbox):
    url = personio_sandbox.url
    headers = auth(url)
    everyone = admin("GET", f"{url}/_admin/employees").json()
    boss_id = next(e["supervisor"]["id"] for e in everyone if e["supervisor"])
    reports = {e["id"] for e in everyone if e["supervisor"] and e["supervisor"]["id"] == boss_id}
    before = two_seconds_ago()
    assert admin("DELETE", f"{url}/_admin/employees/{boss_id}").status_code == 204
    listing = requests.get(f"{url}/v1/company/employees", headers=headers, params={"limit": 100}, timeout=10).json()
    assert listing["metadata"]["total_elements"] == 49
    assert boss_id not in {i["attributes"]["id"]["value"] for i in listing["data"]}
    assert set(since(url, headers, before)) == reports  # the reports changed; the deleted one is not reported
    gone = requests.get(f"{url}/v1/company/employees/{boss_id}", headers=headers, timeout=10)
    assert gone.status_code == 404


def test_department_create_and_rename_do_not_bump_members(personio_sandbox):
    url = personio_sandbox.url
    headers = auth(url)
    created = admin("POST", f"{url}/_admin/departments", json={"name": "Research & Development"})
    assert created.status_code == 201
    member = admin("GET", f"{url}/_admin/employees").json()[0]
    dept_id = member["department"]["id"]
    before = two_seconds_ago()
    renamed = admin("PATCH", f"{url}/_admin/departments/{dept_id}", json={"name": "Renamed Ünit"})
    assert renamed.status_code == 200
    assert since(url, headers, before) == []
    single = requests.get(f"{url}/v1/company/employees/{member['id']}", headers=headers, timeout=10).json()
    assert single["data"]["attributes"]["department"]["value"]["attributes"]["name"] == "Renamed Ünit"
    unit = requests.get(f"{url}/v2/org-units/{dept_id}", headers=headers, params={"type": "department"}, timeout=10)
    assert unit.json()["name"] == "Renamed Ünit"
    new_unit = requests.get(
        f"{url}/v2/org-units/{created.json()['id']}", headers=headers, params={"type": "department"}, timeout=10
    )
    assert new_unit.status_code == 200


def test_malformed_next_page_is_one_shot(personio_sandbox):
    url = personio_sandbox.url
    headers = auth(url)
    assert admin("POST", f"{url}/_admin/malformed-next-page").status_code == 200
    broken = requests.get(f"{url}/v1/company/employees", headers=headers, timeout=10)
    assert broken.status_code == 200
    try:
        broken.json()
        parsed = True
    except ValueError:
        parsed = False
    assert not parsed
    assert requests.get(f"{url}/v1/company/employees", headers=headers, timeout=10).json()["success"] is True


def test_explicit_last_modified_at_is_kept(personio_sandbox):
    url = personio_sandbox.url
    emp_id = admin("GET", f"{url}/_admin/employees").json()[0]["id"]
    answer = admin(
        "PATCH",
        f"{url}/_admin/employees/{emp_id}",
        json={"position": "Boundary", "last_modified_at": "2029-12-31T23:00:00Z"},
    )
    assert answer.json()["last_modified_at"] == "2029-12-31T23:00:00Z"
    assert answer.json()["position"] == "Boundary"


def test_actions_after_employee_requests_fire_once_at_the_nth_answer(personio_sandbox):
    url = personio_sandbox.url
    headers = auth(url)
    victim = admin("GET", f"{url}/_admin/employees").json()[0]["id"]
    schedule = f"{url}/_admin/after-employee-requests"
    assert admin("POST", schedule, json={"count": 2, "action": "delete", "id": victim}).status_code == 201
    hire = {"count": 2, "action": "hire", "fields": {"first_name": "Åsa"}}
    assert admin("POST", schedule, json=hire).status_code == 201
    assert admin("POST", schedule, json={"count": 3, "action": "expire_tokens"}).status_code == 201

    def page() -> requests.Response:
        return requests.get(f"{url}/v1/company/employees", headers=headers, params={"limit": 100}, timeout=10)

    first, second = page().json(), page().json()
    assert victim in {i["attributes"]["id"]["value"] for i in first["data"]}
    assert victim in {i["attributes"]["id"]["value"] for i in second["data"]}  # acted after its rows were taken
    third = page().json()
    third_ids = {i["attributes"]["id"]["value"] for i in third["data"]}
    log = admin("GET", schedule).json()
    hired = log[1]["result"]["id"]
    assert victim not in third_ids
    assert hired in third_ids
    assert third["metadata"]["total_elements"] == 50  # one left, one joined
    assert [entry["fired"] for entry in log] == [True, True, True]
    assert page().status_code == 401  # the third answer expired the token
    assert admin("POST", schedule, json={"count": 1, "action": "delete", "id": victim}).status_code == 400
    assert admin("POST", schedule, json={"count": 0, "action": "fail"}).status_code == 400
    assert admin("POST", schedule, json={"count": 1, "action": "explode"}).status_code == 400


def test_fail_after_employee_requests_breaks_every_later_request(personio_sandbox):
    url = personio_sandbox.url
    headers = auth(url)
    admin("POST", f"{url}/_admin/after-employee-requests", json={"count": 1, "action": "fail"})
    ok = requests.get(f"{url}/v1/company/employees", headers=headers, timeout=10)
    assert ok.status_code == 200
    assert requests.get(f"{url}/v1/company/employees", headers=headers, timeout=10).status_code >= 500
    assert admin("GET", f"{url}/_admin/knobs").json()["fault_rate"] == 1.0


# -- option rename_bumps_members -------------------------------------------------------------------
def members_of(url: str, dept_id: int) -> list[int]:
    everyone = admin("GET", f"{url}/_admin/employees").json()
    return sorted(e["id"] for e in everyone if e["department"]["id"] == dept_id)


def test_rename_bumps_members_when_asked(personio_factory):
    url = personio_factory(rename_bumps_members=True).url
    headers = auth(url)
    departments = [d["id"] for d in admin("GET", f"{url}/_admin/departments").json()]
    renamed_id, same_id = [d for d in departments if members_of(url, d)][:2]
    members = members_of(url, renamed_id)
    assert members
    before = two_seconds_ago()
    same_name = next(d["name"] for d in admin("GET", f"{url}/_admin/departments").json() if d["id"] == same_id)
    assert admin("PATCH", f"{url}/_admin/departments/{same_id}", json={"name": same_name}).status_code == 200
    assert since(url, headers, before) == []  # no real change of name, nobody bumped
    assert admin("PATCH", f"{url}/_admin/departments/{renamed_id}", json={"name": "Renamed Ünit"}).status_code == 200
    assert since(url, headers, before) == members
    by_department = {"updated_since": before, "limit": 100, "attributes[]": ["department"]}
    page = requests.get(f"{url}/v1/company/employees", headers=headers, params=by_department, timeout=10).json()
    assert [i["attributes"]["id"]["value"] for i in page["data"]] == members
    assert page["data"][0]["attributes"]["department"]["value"]["attributes"]["name"] == "Renamed Ünit"
    by_email = {**by_department, "attributes[]": ["email"]}
    assert (
        requests.get(f"{url}/v1/company/employees", headers=headers, params=by_email, timeout=10).json()["data"] == []
    )


def test_rename_bumps_members_switched_on_at_run_time(personio_sandbox):
    url = personio_sandbox.url
    headers = auth(url)
    dept_id = admin("GET", f"{url}/_admin/employees").json()[0]["department"]["id"]
    before = two_seconds_ago()
    admin("PATCH", f"{url}/_admin/departments/{dept_id}", json={"name": "Quiet Rename"})
    assert since(url, headers, before) == []  # the default: nobody bumped
    switched = admin("POST", f"{url}/_admin/options", json={"rename_bumps_members": True})
    assert switched.json()["rename_bumps_members"] is True
    admin("PATCH", f"{url}/_admin/departments/{dept_id}", json={"name": "Loud Rename"})
    assert since(url, headers, before) == members_of(url, dept_id)


# -- realistic data ----------------------------------------------------------------------------------
EMPLOYEE_KINDS = tuple(kind for kind in PLANTED_KINDS if kind != "unnamed_department")


def is_right_to_left(text: str) -> bool:
    return any(unicodedata.bidirectional(char) in ("R", "AL") for char in text)


def test_realistic_is_off_by_default_and_leaves_the_rest_of_the_company_alone():
    clean, realistic = generate(300, 1), generate(300, 1, realistic=True)
    assert clean.planted == {}
    assert realistic == generate(300, 1, realistic=True)
    assert realistic != generate(300, 2, realistic=True)
    assert generate(300, 1, realistic=False) == clean
    touched = {i for kind in EMPLOYEE_KINDS for i in realistic.planted[kind]}
    assert [e.id for e in realistic.employees] == [e.id for e in clean.employees]
    for before, after in zip(clean.employees, realistic.employees, strict=True):
        if after.id not in touched:
            assert after == before, after.id
    unnamed = set(realistic.planted["unnamed_department"])
    assert {k: v for k, v in realistic.departments.items() if k not in unnamed} == {
        k: v for k, v in clean.departments.items() if k not in unnamed
    }
    assert (realistic.offices, realistic.teams, realistic.cost_centers) == (
        clean.offices,
        clean.teams,
        clean.cost_centers,
    )


def test_realistic_company_plants_a_handful_of_each_kind():
    org = generate(300, 1, realistic=True)
    people = {e.id: e.values for e in org.employees}
    planted = org.planted
    assert set(planted) == {*EMPLOYEE_KINDS, "unnamed_department"}
    for kind in EMPLOYEE_KINDS:
        assert len(planted[kind]) == (6 if kind in ("shared_email", "supervision_cycle") else 3), kind
    every = [i for kind in EMPLOYEE_KINDS for i in planted[kind]]
    assert len(every) == len(set(every))  # one oddity per employee
    assert all(people[i]["status"] == "active" for i in every)
    assert all(people[i]["email"] is None for i in planted["no_email"])
    assert sum(e.values["email"] is None for e in org.employees) == 3
    pairs = planted["shared_email"]
    for first, second in zip(pairs[::2], pairs[1::2], strict=True):
        assert people[first]["email"].lower() == people[second]["email"].lower()
    assert any(people[a]["email"] != people[b]["email"] for a, b in zip(pairs[::2], pairs[1::2], strict=True))
    emails = [str(e.values["email"]).lower() for e in org.employees if e.values["email"] is not None]
    assert len(emails) - len(set(emails)) == 3  # only the planted pairs share
    assert all(people[i]["email"].endswith("@contractor.example") for i in planted["foreign_domain"])
    assert sum(not e.endswith("@acme.example") for e in emails) == 3
    for emp_id in planted["inactive_supervisor"]:
        assert people[people[emp_id]["supervisor"]]["status"] == "inactive"
    cycle = planted["supervision_cycle"]
    for first, second in zip(cycle[::2], cycle[1::2], strict=True):
        assert (people[first]["supervisor"], people[second]["supervisor"]) == (second, first)
    assert all(len(people[i]["last_name"]) > 255 for i in planted["long_name"])
    for emp_id in planted["rtl_name"]:
        assert is_right_to_left(people[emp_id]["first_name"])
        assert is_right_to_left(people[emp_id]["last_name"])
        assert people[emp_id]["email"].isascii()
    [unnamed] = planted["unnamed_department"]
    assert org.departments[unnamed].name == ""
    assert any(e.values["department"] == unnamed for e in org.employees)
    other = generate(300, 2, realistic=True).planted
    assert other["no_email"] != planted["no_email"]


def test_realistic_small_and_large_companies():
    small = generate(10, 1, realistic=True)  # too few plain employees for every kind: fewer, no crash
    assert small.planted["no_email"]
    assert len({i for kind in EMPLOYEE_KINDS for i in small.planted[kind]}) <= 10
    large = generate(2000, 3, realistic=True).planted
    assert len(large["long_name"]) == 20
    assert len(large["supervision_cycle"]) == 40


def test_realistic_company_over_http(personio_factory):
    server = personio_factory(employees=300, realistic=True, rate_limit=False)
    url = server.url
    headers = auth(url)
    planted = admin("GET", f"{url}/_admin/planted").json()
    assert planted == generate(300, 1, realistic=True).planted

    def attrs(emp_id: int) -> dict[str, Any]:
        answer = requests.get(f"{url}/v1/company/employees/{emp_id}", headers=headers, timeout=10)
        assert answer.status_code == 200, answer.text
        return answer.json()["data"]["attributes"]  # type: ignore[no-any-return]

    def value(emp_id: int, key: str) -> Any:
        return attrs(emp_id)[key]["value"]

    def by_email(email: str) -> list[int]:
        params = {"email": email, "limit": 100}
        data = requests.get(f"{url}/v1/company/employees", headers=headers, params=params, timeout=10).json()["data"]
        return [item["attributes"]["id"]["value"] for item in data]

    assert all(value(i, "email") is None for i in planted["no_email"])
    first, second = planted["shared_email"][2:4]  # the pair whose second email differs in case
    assert value(first, "email") != value(second, "email")
    assert by_email(value(first, "email")) == sorted([first, second])
    assert all(value(i, "email").endswith("@contractor.example") for i in planted["foreign_domain"])
    for emp_id in planted["inactive_supervisor"]:
        boss = value(emp_id, "supervisor")["attributes"]["id"]["value"]
        assert value(boss, "status") == "inactive"
    a, b = planted["supervision_cycle"][:2]
    assert value(a, "supervisor")["attributes"]["id"]["value"] == b
    assert value(b, "supervisor")["attributes"]["id"]["value"] == a
    assert all(len(value(i, "last_name")) > 255 for i in planted["long_name"])
    assert all(is_right_to_left(value(i, "first_name")) for i in planted["rtl_name"])
    [unnamed] = planted["unnamed_department"]
    unit = requests.get(f"{url}/v2/org-units/{unnamed}", headers=headers, params={"type": "department"}, timeout=10)
    assert unit.json()["name"] == ""
    member = next(e for e in admin("GET", f"{url}/_admin/employees").json() if e["department"]["id"] == unnamed)
    assert value(member["id"], "department")["attributes"]["name"] == ""
    listing = requests.get(f"{url}/v1/company/employees", headers=headers, params={"limit": 100}, timeout=10)
    assert listing.json()["metadata"]["total_elements"] == 300

    # the admin keeps working on such a company
    plain = next(e["id"] for e in admin("GET", f"{url}/_admin/employees").json() if e["id"] not in {a, b})
    into_cycle = admin("PATCH", f"{url}/_admin/employees/{plain}", json={"supervisor": a})
    assert into_cycle.status_code == 200  # a cycle elsewhere must not hang the cycle check
    taken = admin("PATCH", f"{url}/_admin/employees/{plain}", json={"email": value(first, "email").upper()})
    assert taken.status_code == 409
    assert admin("DELETE", f"{url}/_admin/employees/{first}").status_code == 204
    assert by_email(value(second, "email")) == [second]
    gave_email = admin(
        "PATCH", f"{url}/_admin/employees/{planted['no_email'][0]}", json={"email": "found@acme.example"}
    )
    assert gave_email.status_code == 200
    assert by_email("found@acme.example") == [planted["no_email"][0]]


def test_realistic_is_off_in_the_default_sandbox_and_a_cli_flag(personio_sandbox):
    assert admin("GET", f"{personio_sandbox.url}/_admin/planted").json() == {}
    parser = argparse.ArgumentParser()
    personio.add_arguments(parser)
    args = parser.parse_args(["--employees", "300", "--no-prewarm", "--realistic"])
    args.seed = 1
    app = personio.app_from_args(args, Knobs(seed=1))
    assert isinstance(app, PersonioSandbox)
    assert app.org.planted == generate(300, 1, realistic=True).planted
    with running(app) as server:
        assert admin("GET", f"{server.url}/_admin/planted").json() == app.org.planted
