"""The generated company and the admin mutations, checked through HTTP where the tap would look."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import requests

from sandbox.personio import CLIENT_ID, CLIENT_SECRET
from sandbox.personio.org import generate


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
