"""Each documented Personio quirk the sandbox models, exercised over HTTP (one test per quirk)."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from sandbox import personio
from sandbox.core import Knobs, running
from sandbox.personio import CLIENT_ID, CLIENT_SECRET

CREDS = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}


def get(url: str, **kwargs: Any) -> requests.Response:
    return requests.get(url, timeout=10, **kwargs)


def post(url: str, **kwargs: Any) -> requests.Response:
    return requests.post(url, timeout=10, **kwargs)


def auth(url: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {post(f'{url}/v1/auth', json=CREDS).json()['data']['token']}"}


def employees(url: str, headers: dict[str, str], **params: Any) -> dict[str, Any]:
    answer = get(f"{url}/v1/company/employees", headers=headers, params=params)
    assert answer.status_code == 200, answer.text
    return answer.json()  # type: ignore[no-any-return]


def ids(page: dict[str, Any]) -> list[int]:
    return [item["attributes"]["id"]["value"] for item in page["data"]]


def admin_patch(url: str, emp_id: int, **fields: Any) -> dict[str, Any]:
    answer = requests.patch(f"{url}/_admin/employees/{emp_id}", json=fields, timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()  # type: ignore[no-any-return]


def test_query_string_credentials_are_refused(personio_sandbox):
    url = personio_sandbox.url
    answer = post(f"{url}/v1/auth", params=CREDS, json=CREDS)
    assert answer.status_code == 403
    assert post(f"{url}/v1/auth", json=CREDS).status_code == 200


def test_limit_over_100_is_refused_and_default_is_50(personio_factory):
    url = personio_factory(employees=120).url
    headers = auth(url)
    assert get(f"{url}/v1/company/employees", headers=headers, params={"limit": 101}).status_code == 400
    assert get(f"{url}/v1/company/employees", headers=headers, params={"limit": 0}).status_code == 400
    assert get(f"{url}/v1/company/employees", headers=headers, params={"offset": -1}).status_code == 400
    default = employees(url, headers)
    assert default["limit"] == 50
    assert len(default["data"]) == 50
    assert len(employees(url, headers, limit=100)["data"]) == 100


def test_offset_is_a_record_offset(personio_sandbox):
    url = personio_sandbox.url
    headers = auth(url)
    everything = ids(employees(url, headers, limit=100))
    assert everything == sorted(everything)
    page = employees(url, headers, limit=10, offset=5)
    assert ids(page) == everything[5:15]
    assert page["metadata"] == {"total_elements": 50, "current_page": 0, "total_pages": 5}
    last = employees(url, headers, limit=20, offset=40)
    assert ids(last) == everything[40:]
    assert last["metadata"]["current_page"] == 2
    assert employees(url, headers, limit=20, offset=60)["data"] == []


def test_updated_since_is_strict(personio_sandbox):
    url = personio_sandbox.url
    headers = auth(url)
    emp_id = ids(employees(url, headers, limit=1))[0]
    admin_patch(url, emp_id, last_modified_at="2030-03-01T12:00:00Z")
    assert emp_id not in ids(employees(url, headers, updated_since="2030-03-01T12:00:00Z", limit=100))
    assert ids(employees(url, headers, updated_since="2030-03-01T11:59:59Z", limit=100)) == [emp_id]


def test_naive_values_are_berlin_time_and_offsets_are_honoured(personio_sandbox):
    url = personio_sandbox.url
    headers = auth(url)
    emp_id = ids(employees(url, headers, limit=1))[0]
    admin_patch(url, emp_id, last_modified_at="2030-01-05T09:00:00Z")  # 10:00 in Berlin (winter)
    single = get(f"{url}/v1/company/employees/{emp_id}", headers=headers).json()
    assert single["data"]["attributes"]["last_modified_at"]["value"] == "2030-01-05T10:00:00+01:00"

    def hit(since: str) -> bool:
        return emp_id in ids(employees(url, headers, updated_since=since, limit=100))

    assert hit("2030-01-05T09:59:59")  # naive: Berlin wall time, one second before
    assert not hit("2030-01-05T10:00:00")
    assert not hit("2030-01-05T09:59:59Z")  # the same digits as UTC are an hour later
    assert hit("2030-01-05T08:59:59Z")
    assert hit("2030-01-05T10:59:59+02:00")
    assert hit("2030-01-05")  # a bare date is Berlin midnight
    assert not hit("2030-01-06")
    admin_patch(url, emp_id, last_modified_at="2030-07-05T09:00:00Z")  # summer: +02:00
    single = get(f"{url}/v1/company/employees/{emp_id}", headers=headers).json()
    assert single["data"]["attributes"]["last_modified_at"]["value"] == "2030-07-05T11:00:00+02:00"
    unencoded = get(f"{url}/v1/company/employees?updated_since=2030-01-05T10:00:00+01:00", headers=headers)
    assert unencoded.status_code == 400  # the + arrived as a space
    assert get(f"{url}/v1/company/employees", headers=headers, params={"updated_since": "yesterday"}).status_code == 400


def test_attributes_with_updated_since_is_also_a_filter(personio_sandbox):
    url = personio_sandbox.url
    headers = auth(url)
    before = (datetime.now(UTC) - timedelta(seconds=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    emp_id = ids(employees(url, headers, limit=1, offset=3))[0]
    admin_patch(url, emp_id, position="Chief Sandbox Officer")
    assert ids(employees(url, headers, updated_since=before)) == [emp_id]
    assert ids(employees(url, headers, updated_since=before, **{"attributes[]": ["position"]})) == [emp_id]
    assert ids(employees(url, headers, updated_since=before, **{"attributes[]": ["email", "status"]})) == []
    projected = employees(url, headers, **{"attributes[]": ["email"]}, limit=100)  # no filter without since
    assert len(projected["data"]) == 50
    assert set(projected["data"][0]["attributes"]) == {"id", "email"}


def test_non_whitelisted_attributes_are_silently_omitted(personio_sandbox):
    url = personio_sandbox.url
    headers = auth(url)
    hide = requests.post(f"{url}/_admin/whitelist", json={"hidden": ["status", "dynamic_21827"]}, timeout=10)
    assert hide.status_code == 200
    page = employees(url, headers, limit=5)
    for item in page["data"]:
        assert "status" not in item["attributes"]
        assert "dynamic_21827" not in item["attributes"]
        assert "email" in item["attributes"]
    projected = employees(url, headers, limit=5, **{"attributes[]": ["status", "email"]})
    assert set(projected["data"][0]["attributes"]) == {"id", "email"}
    listing = get(f"{url}/v1/company/employees/attributes", headers=headers).json()["data"]
    assert "status" not in {a["key"] for a in listing}
    single = get(f"{url}/v1/company/employees/{ids(page)[0]}", headers=headers).json()
    assert "status" not in single["data"]["attributes"]


def test_token_is_stable_and_shared_between_v1_and_v2(personio_sandbox):
    url = personio_sandbox.url
    first = post(f"{url}/v1/auth", json=CREDS).json()["data"]["token"]
    second = post(f"{url}/v1/auth", data=CREDS).json()["data"]["token"]
    v2 = post(f"{url}/v2/auth/token", data={"grant_type": "client_credentials", **CREDS}).json()
    assert first == second == v2["access_token"]
    assert first.startswith("papi-")
    assert len(first) == len("papi-") + 40
    assert v2["expires_in"] <= 86400
    headers = {"Authorization": f"Bearer {first}"}
    for _ in range(3):  # reusable: not a one-time token
        assert get(f"{url}/v1/company/employees", headers=headers, params={"limit": 1}).status_code == 200
    units = get(f"{url}/v2/org-units", headers={**headers, "Beta": "true"}, params={"type": "department"})
    assert units.status_code == 200


def test_expired_tokens_get_401_until_reauthentication(personio_sandbox):
    url = personio_sandbox.url
    headers = auth(url)
    assert requests.post(f"{url}/_admin/tokens/expire", timeout=10).status_code == 200
    expired = get(f"{url}/v1/company/employees", headers=headers)
    assert expired.status_code == 401
    assert expired.json()["success"] is False
    v2 = get(f"{url}/v2/org-units", headers={**headers, "Beta": "true"}, params={"type": "department"})
    assert v2.status_code == 401
    fresh = auth(url)
    assert fresh != headers
    assert get(f"{url}/v1/company/employees", headers=fresh).status_code == 200


def test_org_units_list_needs_the_beta_header(personio_sandbox):
    url = personio_sandbox.url
    headers = auth(url)
    params = {"type": "department"}
    assert get(f"{url}/v2/org-units", headers=headers, params=params).status_code == 404
    assert get(f"{url}/v2/org-units", headers={**headers, "Beta": "true"}, params=params).status_code == 200
    assert get(f"{url}/v2/org-units", headers={**headers, "Beta": "true"}).status_code == 400  # type required
    one = get(f"{url}/v2/org-units", headers={**headers, "Beta": "true"}, params=params).json()["_data"][0]
    assert get(f"{url}/v2/org-units/{one['id']}", headers=headers, params=params).status_code == 200  # GA


def test_org_units_cursor_paging_to_the_end(personio_factory):
    url = personio_factory(employees=400).url
    headers = {**auth(url), "Beta": "true"}
    assert get(f"{url}/v2/org-units", headers=headers, params={"type": "department", "limit": 101}).status_code == 400
    first = get(f"{url}/v2/org-units", headers=headers, params={"type": "department"}).json()
    assert len(first["_data"]) == 16  # 400 employees -> 16 departments, one page at the default 20
    assert "next" not in first["_meta"]["links"]
    seen: list[dict[str, Any]] = []
    link: str | None = f"{url}/v2/org-units?type=department&limit=3"
    pages = 0
    while link:
        body = get(link, headers=headers).json()
        seen += body["_data"]
        link = body["_meta"]["links"].get("next", {}).get("href")
        pages += 1
    assert pages == 6
    assert [u["id"] for u in seen] == [u["id"] for u in first["_data"]]
    admin = requests.get(f"{url}/_admin/departments", timeout=10).json()
    assert {str(d["id"]) for d in admin} == {u["id"] for u in seen}
    assert any(u["parent_id"] for u in seen)
    assert any("&" in u["name"] for u in seen)
    known = {u["id"] for u in seen}
    assert all(u["parent_id"] is None or u["parent_id"] in known for u in seen)
    bad = get(f"{url}/v2/org-units", headers=headers, params={"type": "department", "cursor": "cur_garbage!"})
    assert bad.status_code == 400


def test_employee_endpoints_allow_15_per_second_then_429_with_retry_after(personio_sandbox):
    url = personio_sandbox.url
    headers = auth(url)
    with requests.Session() as session:
        answers = [
            session.get(f"{url}/v1/company/employees", headers=headers, params={"limit": 1}, timeout=10)
            for _ in range(20)
        ]
    statuses = [a.status_code for a in answers]
    assert statuses[:15] == [200] * 15
    assert 429 in statuses[15:]
    limited = next(a for a in answers if a.status_code == 429)
    assert int(limited.headers["Retry-After"]) >= 1
    assert limited.json() == {"success": False, "error": {"code": 429, "message": "Too Many Requests"}}
    counters = requests.get(f"{url}/_admin/counters", timeout=10).json()
    assert counters["rate_limited"] >= 1


def test_auth_is_limited_to_60_per_minute(personio_sandbox):
    url = personio_sandbox.url
    with requests.Session() as session:
        statuses = [session.post(f"{url}/v1/auth", json=CREDS, timeout=10).status_code for _ in range(61)]
    assert statuses[:60] == [200] * 60
    assert statuses[60] == 429


def test_rate_limit_knob_turns_limits_off(personio_factory):
    url = personio_factory(employees=10, rate_limit=False).url
    headers = auth(url)
    with requests.Session() as session:
        statuses = {
            session.get(f"{url}/v1/company/employees", headers=headers, timeout=10).status_code for _ in range(40)
        }
    assert statuses == {200}


@pytest.mark.parametrize("bad_id", ["999999999", "abc"])
def test_unknown_employee_is_a_localized_404(personio_sandbox, bad_id):
    url = personio_sandbox.url
    answer = get(f"{url}/v1/company/employees/{bad_id}", headers=auth(url))
    assert answer.status_code == 404
    assert answer.json() == {"success": False, "error": {"code": 404, "message": "Es ist ein Problem aufgetreten "}}


def test_email_filter_is_case_insensitive_and_ignored_with_updated_since(personio_sandbox):
    url = personio_sandbox.url
    headers = auth(url)
    item = employees(url, headers, limit=1, offset=7)["data"][0]["attributes"]
    found = employees(url, headers, email=item["email"]["value"].upper())
    assert ids(found) == [item["id"]["value"]]
    assert found["metadata"]["total_elements"] == 1
    assert employees(url, headers, email="nobody@acme.example")["data"] == []
    ignored = employees(url, headers, email=item["email"]["value"], updated_since="2000-01-01", limit=100)
    assert len(ignored["data"]) == 50


# -- options for what the documentation leaves open (each reading; the defaults are today's) -------
def set_options(url: str, **options: Any) -> dict[str, Any]:
    answer = post(f"{url}/_admin/options", json=options)
    assert answer.status_code == 200, answer.text
    return answer.json()  # type: ignore[no-any-return]


DEFAULT_OPTIONS = {"updated_since": "exclusive", "naive_timezone": "Europe/Berlin", "rename_bumps_members": False}


def test_options_default_to_todays_behaviour_and_validate(personio_sandbox):
    url = personio_sandbox.url
    options = f"{url}/_admin/options"
    assert get(options).json() == DEFAULT_OPTIONS
    for bad in (
        {"updated_since": "after"},
        {"naive_timezone": "Europe/London"},
        {"rename_bumps_members": "yes"},
        {"colour": "red"},
        {"updated_since": "inclusive", "naive_timezone": "CET"},  # all or nothing
        ["updated_since"],
    ):
        assert post(options, json=bad).status_code == 400, bad
    assert get(options).json() == DEFAULT_OPTIONS
    chosen = {"updated_since": "inclusive", "naive_timezone": "UTC", "rename_bumps_members": True}
    assert set_options(url, **chosen) == chosen
    assert get(options).json() == chosen


def test_options_are_factory_arguments_and_cli_flags(personio_factory):
    chosen = {"updated_since": "inclusive", "naive_timezone": "UTC", "rename_bumps_members": True}
    assert get(f"{personio_factory(employees=10, **chosen).url}/_admin/options").json() == chosen
    with pytest.raises(TypeError, match="colour"):
        personio_factory(employees=10, colour="red")
    with pytest.raises(ValueError, match="updated_since"):
        personio_factory(employees=10, updated_since="after")
    parser = argparse.ArgumentParser()
    personio.add_arguments(parser)
    flags = ["--employees", "10", "--no-prewarm", "--updated-since", "inclusive", "--naive-timezone", "UTC"]
    args = parser.parse_args([*flags, "--rename-bumps-members"])
    args.seed = 1
    with running(personio.app_from_args(args, Knobs(seed=1))) as server:
        assert get(f"{server.url}/_admin/options").json() == chosen
    defaults = parser.parse_args(["--employees", "10", "--no-prewarm"])
    defaults.seed = 1
    with running(personio.app_from_args(defaults, Knobs(seed=1))) as server:
        assert get(f"{server.url}/_admin/options").json() == DEFAULT_OPTIONS


def test_updated_since_exclusive_by_default_inclusive_on_request(personio_sandbox):
    url = personio_sandbox.url
    headers = auth(url)
    emp_id = ids(employees(url, headers, limit=1))[0]
    admin_patch(url, emp_id, last_modified_at="2030-03-01T12:00:00Z")
    projected = {"attributes[]": ["last_modified_at"]}

    def hit(since: str, **params: Any) -> bool:
        return emp_id in ids(employees(url, headers, updated_since=since, limit=100, **params))

    assert not hit("2030-03-01T12:00:00Z")  # exclusive: a change at exactly that instant is not "since"
    assert not hit("2030-03-01T12:00:00Z", **projected)
    assert set_options(url, updated_since="inclusive")["updated_since"] == "inclusive"
    assert hit("2030-03-01T12:00:00Z")
    assert hit("2030-03-01T12:00:00Z", **projected)
    assert hit("2030-03-01T13:00:00+01:00")  # the same instant written with an offset
    assert not hit("2030-03-01T12:00:01Z")
    assert hit("2030-03-01T11:59:59Z")
    set_options(url, updated_since="exclusive")
    assert not hit("2030-03-01T12:00:00Z")  # switching back takes effect at once (no stale cache)


def test_naive_updated_since_is_berlin_by_default_utc_on_request(personio_sandbox):
    url = personio_sandbox.url
    headers = auth(url)
    emp_id = ids(employees(url, headers, limit=1))[0]
    admin_patch(url, emp_id, last_modified_at="2030-01-05T09:00:00Z")  # 10:00 in Berlin (winter)

    def hit(since: str) -> bool:
        return emp_id in ids(employees(url, headers, updated_since=since, limit=100))

    assert hit("2030-01-05T09:30:00")  # Berlin 09:30 is 08:30 UTC: before the change
    assert hit("2030-01-05")  # Berlin midnight
    assert set_options(url, naive_timezone="UTC")["naive_timezone"] == "UTC"
    assert not hit("2030-01-05T09:30:00")  # 09:30 UTC: after the change
    assert hit("2030-01-05T08:59:59")
    assert not hit("2030-01-05T09:00:00")  # still exclusive
    assert hit("2030-01-05")  # UTC midnight
    admin_patch(url, emp_id, last_modified_at="2030-01-04T23:30:00Z")  # 00:30 on the 5th in Berlin
    assert not hit("2030-01-05")  # UTC midnight of the 5th is after it
    assert hit("2030-01-05T00:00:00+01:00")  # offsets are honoured whatever the option
    set_options(url, naive_timezone="Europe/Berlin")
    assert hit("2030-01-05")  # Berlin midnight (23:00 UTC on the 4th) is before it
    single = get(f"{url}/v1/company/employees/{emp_id}", headers=headers).json()
    assert single["data"]["attributes"]["last_modified_at"]["value"] == "2030-01-05T00:30:00+01:00"
