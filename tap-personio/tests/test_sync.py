"""The tap against the Personio sandbox over HTTP: paging, snapshots, incremental runs, faults, fidelity."""

from __future__ import annotations

import math
import time

import pytest
from singer_sdk.exceptions import ConfigValidationError
from tap_personio.tap import TapPersonio


def _shrink(kit, server, keep: int) -> None:
    for person in kit.personio(server).employees()[keep:]:
        kit.personio(server).delete(person["id"])
    kit.personio(server).reset_counters()


@pytest.mark.parametrize("size", [0, 1, 100, 101, 250])
def test_paging_reads_everyone_with_one_request_per_page(kit, personio_factory, size):
    server = personio_factory(employees=max(size, 10))
    _shrink(kit, server, size)
    run = kit.run(kit.config(server))
    ids = [r["id"] for r in run.records()]
    assert len(ids) == size == len(set(ids))
    assert sorted(ids) == sorted(p["id"] for p in kit.personio(server).employees())
    # ceil(n/100) pages (an empty company still needs the one request that says so), plus, for a snapshot of
    # more than one page, one `updated_since` request that proves no hire during the scan hid a deletion
    # (test_deletion_and_hire_during_a_snapshot_are_caught); a single page cannot shift, so it gets none.
    pages = max(1, math.ceil(size / 100))
    assert kit.employee_requests(server) == pages + (1 if pages > 1 else 0)
    assert kit.personio(server).counters()["by_route"]["POST auth"] == 1


def test_snapshot_versions_records_and_activates_after_the_last(kit, personio_sandbox):
    run = kit.run(kit.config(personio_sandbox))
    kinds = [(m["type"], m.get("stream")) for m in run.messages]
    employees = run.of("RECORD", "employees")
    versions = {m["version"] for m in employees}
    assert len(versions) == 1
    (version,) = versions
    activations = run.of("ACTIVATE_VERSION", "employees")
    assert activations == [{"type": "ACTIVATE_VERSION", "stream": "employees", "version": version}]
    last_record = max(i for i, k in enumerate(kinds) if k == ("RECORD", "employees"))
    assert kinds[last_record + 1] == ("ACTIVATE_VERSION", "employees")
    assert abs(version - time.time() * 1000) < 60_000  # epoch milliseconds at the snapshot's start
    departments = run.of("RECORD", "departments")
    (dept_activation,) = run.of("ACTIVATE_VERSION", "departments")
    assert {m["version"] for m in departments} == {dept_activation["version"]}
    last_dept = max(i for i, k in enumerate(kinds) if k == ("RECORD", "departments"))
    assert kinds[last_dept + 1] == ("ACTIVATE_VERSION", "departments")


def test_incremental_sees_hires_updates_and_leavers_without_versions(kit, personio_factory):
    # Read in UTC, the naive updated_since the tap sends is exact; read in Berlin it starts up to 2 h early
    # (see since.py), which would re-read the changes below in the third run.
    server = personio_factory(naive_timezone="UTC")
    first = kit.run(kit.config(server))
    people = kit.personio(server).employees()
    hired = kit.personio(server).hire(first_name="Ngozi", last_name="Ọkọnkwọ")
    moved = people[3]["id"]
    kit.personio(server).update(moved, position="Head of Ünïcode")
    leaver = next(p["id"] for p in people if p["status"] == "active" and p["id"] != moved)
    kit.personio(server).update(leaver, status="inactive", termination_date="2026-11-30")
    # Without look-back only changes after the bookmark come back (the record at the bookmark is excluded).
    second = kit.run(kit.config(server, lookback_seconds=0), first.state)
    by_id = {r["id"]: r for r in second.records()}
    assert set(by_id) == {hired["id"], moved, leaver}
    assert by_id[hired["id"]]["last_name"] == "Ọkọnkwọ"
    assert by_id[moved]["position"] == "Head of Ünïcode"
    assert by_id[leaver]["status"] == "inactive"
    assert by_id[leaver]["termination_date"] == "2026-11-30"
    assert all(m.get("version") is None for m in second.of("RECORD", "employees"))
    assert second.of("ACTIVATE_VERSION", "employees") == []
    assert len(second.of("ACTIVATE_VERSION", "departments")) == 1  # departments are always complete
    # The bookmark moved on: without a look-back nothing repeats; with it, the boundary changes repeat.
    third = kit.run(kit.config(server, lookback_seconds=0), second.state)
    assert third.records() == []
    fourth = kit.run(kit.config(server), second.state)
    assert {r["id"] for r in fourth.records()} == {hired["id"], moved, leaver}
    assert second.state["bookmarks"]["employees"]["replication_key_value"] >= max(
        r["last_modified_at"] for r in first.records()
    )


BOOKMARK = "2027-06-01T10:00:00+00:00"  # summer: Berlin is UTC+2


@pytest.mark.parametrize(
    ("naive_timezone", "lookback", "expected"),
    [
        ("UTC", 0, {"after"}),
        ("UTC", 300, {"before_2s", "at", "after"}),
        # read in Berlin, the value sent (UTC wall time) starts 2 h early: more re-read, nothing lost
        ("Europe/Berlin", 0, {"before_10min", "before_2s", "at", "after"}),
    ],
)
def test_boundary_lookback_and_time_zone(kit, personio_factory, naive_timezone, lookback, expected):
    server = personio_factory(naive_timezone=naive_timezone)
    people = kit.personio(server).employees()
    stamps = {
        "before_10min": "2027-06-01T09:50:00Z",
        "before_2s": "2027-06-01T09:59:58Z",
        "at": "2027-06-01T10:00:00Z",
        "after": "2027-06-01T10:00:01Z",
    }
    ids = {}
    for person, (name, stamp) in zip(people, stamps.items(), strict=False):
        kit.personio(server).update(person["id"], position=name, last_modified_at=stamp)
        ids[person["id"]] = name
    state = {"bookmarks": {"employees": {"replication_key": "last_modified_at", "replication_key_value": BOOKMARK}}}
    run = kit.run(kit.config(server, lookback_seconds=lookback), state)
    assert {ids[r["id"]] for r in run.records() if r["id"] in ids} == expected


def after_employee_requests(kit, server, count: int, action: str, **details) -> None:
    """Schedule a sandbox action inside the `count`-th employees-list answer: no thread racing the tap."""
    kit.personio(server).after_employee_requests(count, action, **details)


def test_token_expiry_mid_run_reauthenticates_once(kit, personio_factory, caplog):
    server = personio_factory(employees=250)
    kit.personio(server).reset_counters()
    after_employee_requests(kit, server, 1, "expire_tokens")  # page 2 is the first request to see it
    run = kit.run(kit.config(server, page_size=50))
    counters = kit.personio(server).counters()
    assert len({r["id"] for r in run.records()}) == len(run.records()) == 250
    assert counters["by_route"]["POST auth"] == 2
    assert counters["by_status"].get("401") == 1
    assert len(run.of("ACTIVATE_VERSION", "employees")) == 1
    assert "retry" in caplog.text  # the 401 retry was logged...
    assert "papi-" not in caplog.text  # ...without the token
    assert kit.config(server)["client_secret"] not in caplog.text


def test_429_is_retried_after_retry_after(kit, personio_factory):
    server = personio_factory(employees=400)
    kit.personio(server).reset_counters()
    started = time.monotonic()
    run = kit.run(kit.config(server, pace_requests=False, page_size=5))
    counters = kit.personio(server).counters()
    assert counters["rate_limited"] >= 1
    assert time.monotonic() - started >= 1.0  # waited Retry-After (>= 1 s)
    assert len({r["id"] for r in run.records()}) == len(run.records()) == 400
    # 80 pages and the snapshot's completeness check, plus each request that was answered 429.
    assert counters["by_route"]["GET employees"] == 80 + 1 + counters["rate_limited"]


def test_pacing_keeps_a_normal_run_under_the_limits(kit, personio_factory):
    server = personio_factory(employees=2000)
    kit.personio(server).reset_counters()
    run = kit.run(kit.config(server))
    counters = kit.personio(server).counters()
    assert counters["rate_limited"] == 0
    assert counters["by_route"]["GET employees"] == 20 + 1  # the pages and the completeness check
    assert len(run.records()) == 2000


def test_5xx_and_dropped_connections_are_retried(kit, personio_factory):
    server = personio_factory(employees=250, fault_rate=0.3, drop_rate=0.1, seed=7)
    run = kit.run(kit.config(server, page_size=50, max_retries=10))
    counters = kit.personio(server).counters()
    assert sum(counters["faults"].values()) >= 1
    assert sorted(r["id"] for r in run.records()) == sorted(p["id"] for p in kit.personio(server).employees())
    assert len(run.of("ACTIVATE_VERSION", "employees")) == 1


def test_snapshot_cut_short_never_activates(kit, personio_factory):
    server = personio_factory(employees=250)
    after_employee_requests(kit, server, 1, "fail")  # every request after page 1 gets a 5xx
    run = kit.run(kit.config(server, page_size=50, max_retries=1), expect_error=True)
    assert len(run.records()) == 50
    assert run.of("ACTIVATE_VERSION", "employees") == []


def test_hidden_attributes_are_absent_not_null(kit, personio_sandbox):
    server = personio_sandbox
    kit.personio(server).hide("email", "department", "dynamic_21827")
    run = kit.run(kit.config(server, departments_from_org_units=False))
    records = run.records()
    assert records
    assert all("email" not in r and "department" not in r for r in records)
    assert any(r["team"] is None for r in records)  # returned but empty: present and null
    assert all(
        "dynamic_21827" not in r["custom_attributes"] and "dynamic_40114" in r["custom_attributes"] for r in records
    )
    (schema,) = [m["schema"] for m in run.of("SCHEMA", "employees")]
    assert "dynamic_21827" not in schema["properties"]["custom_attributes"]["properties"]  # nor in the catalogue
    assert all(r["first_name"] for r in records)
    assert run.records("departments") == []  # the v1 fallback cannot see hidden departments
    assert len(run.of("ACTIVATE_VERSION", "departments")) == 1


def test_records_match_personio_including_unicode(kit, personio_factory):
    server = personio_factory(employees=120, seed=3)
    run = kit.run(kit.config(server))
    plain = {p["id"]: p for p in kit.personio(server).employees()}
    fields = ["email", "first_name", "last_name", "preferred_name", "status", "position", "hire_date"]
    fields += ["termination_date", "department", "office", "team"]
    non_ascii = 0
    for record in run.records():
        expected = plain[record["id"]]
        for name in fields:
            assert record[name] == (expected[name] or None), (record["id"], name)
        assert record["supervisor"] == expected["supervisor"]
        non_ascii += any(ord(ch) > 127 for ch in f"{record['first_name']}{record['last_name']}")
        assert record["last_modified_at"].replace("+00:00", "Z") == expected["last_modified_at"]
    assert non_ascii > 0


def test_departments_from_org_units_have_parents_and_fallback_derives_them(kit, personio_sandbox):
    server = personio_sandbox
    truth = {d["id"]: d for d in kit.personio(server).departments()}
    v2 = kit.run(kit.config(server)).records("departments")
    assert {d["id"]: d for d in v2} == truth
    v1 = kit.run(kit.config(server, departments_from_org_units=False)).records("departments")
    members = {p["department"]["id"] for p in kit.personio(server).employees() if p["department"]}
    assert {d["id"] for d in v1} == members
    assert all(d["parent_id"] is None and d["name"] == truth[d["id"]]["name"] for d in v1)


def test_departments_fall_back_to_v1_when_org_units_are_refused(kit, personio_sandbox):
    server = personio_sandbox
    kit.personio(server).org_units(enabled=False)
    run = kit.run(kit.config(server))  # org units on (the default), but the tenant answers 404
    members = {p["department"]["id"] for p in kit.personio(server).employees() if p["department"]}
    assert {d["id"] for d in run.records("departments")} == members
    assert len(run.of("ACTIVATE_VERSION", "departments")) == 1


@pytest.mark.parametrize(
    ("override", "setting"),
    [
        ({"base_url": "http://api.personio.example"}, "base_url"),
        ({"page_size": 101}, "page_size"),
        ({"company_timezone": "Nowhere/City"}, "company_timezone"),
    ],
)
def test_invalid_config_fails_before_any_request(kit, personio_sandbox, override, setting):
    kit.personio(personio_sandbox).reset_counters()
    with pytest.raises(ConfigValidationError) as caught:
        TapPersonio(config=kit.config(personio_sandbox, **override), parse_env_config=False)
    assert any(setting in error for error in caught.value.errors)
    assert kit.personio(personio_sandbox).counters()["total"] == 0


def test_rows_shifting_between_pages_are_neither_missed_nor_duplicated(kit, personio_factory):
    server = personio_factory(employees=250)
    people = kit.personio(server).employees()
    kit.personio(server).reset_counters()
    # Page 1 is read: removing one of its rows shifts the rest left, so page 2 starts one row late.
    after_employee_requests(kit, server, 1, "delete", id=people[5]["id"])
    run = kit.run(kit.config(server, page_size=50))
    ids = [r["id"] for r in run.records()]
    assert len(ids) == len(set(ids))
    remaining = {p["id"] for p in kit.personio(server).employees()}
    assert people[50]["id"] in ids  # the row that slid into the already-read page 1
    assert remaining <= set(ids)
    # Pass 1 saw the total drop (5 pages), pass 2 was stable (5 pages) and its check found no hire (1).
    assert kit.employee_requests(server) == 5 + 5 + 1
    assert len(run.of("ACTIVATE_VERSION", "employees")) == 1


def test_deletion_and_hire_during_a_snapshot_are_caught(kit, personio_factory):
    """The reviewer's case: every page shows 250, yet without the check e101 would never be read."""
    server = personio_factory(employees=250)
    people = kit.personio(server).employees()
    kit.personio(server).reset_counters()
    after_employee_requests(kit, server, 1, "delete", id=people[49]["id"])  # e50 goes after page 1...
    after_employee_requests(kit, server, 1, "hire", fields={"first_name": "Late"})  # ...and e251 arrives
    run = kit.run(kit.config(server))
    ids = [r["id"] for r in run.records()]
    remaining = {p["id"] for p in kit.personio(server).employees()}
    assert len(remaining) == 250
    assert len(ids) == len(set(ids))
    assert people[100]["id"] in ids  # e101, which slid from page 2 into the already-read page 1
    assert set(ids) == remaining | {people[49]["id"]}  # e50 was read before it was deleted
    # Pass 1: 3 pages and a check that finds the hire; pass 2: 3 pages and a check that finds none new.
    assert kit.employee_requests(server) == 3 + 1 + 3 + 1
    assert len(run.of("ACTIVATE_VERSION", "employees")) == 1


def test_snapshot_that_never_settles_fails_without_activation(kit, personio_factory):
    server = personio_factory(employees=250)
    people = kit.personio(server).employees()
    # Each pass is 3 pages and a check (4 requests); a deletion and a hire after the first page of each.
    for number, first_request in enumerate((1, 5, 9)):
        after_employee_requests(kit, server, first_request, "delete", id=people[10 + number]["id"])
        after_employee_requests(kit, server, first_request, "hire")
    run = kit.run(kit.config(server), expect_error=True)
    assert "kept changing" in str(run.error)
    assert run.of("ACTIVATE_VERSION", "employees") == []
    assert run.records()  # what was read is still delivered, just never declared complete
