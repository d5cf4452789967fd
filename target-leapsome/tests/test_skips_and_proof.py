"""Skips are not failures, and every run proves its result by reading Leapsome back (over HTTP, the sandbox)."""

from __future__ import annotations

import json


def org(singer):
    """1 leads; 2 works for 1; 3 has an address Leapsome refuses and leads 4."""
    return [
        singer.employee(1, first="Ada", last="Boss"),
        singer.employee(2, supervisor=1),
        singer.employee(3, first="Out", last="Side", email="out.side@contractor.example", supervisor=1),
        singer.employee(4, supervisor=3, department=2),
    ]


def test_an_address_leapsome_refuses_is_a_skip_and_the_rest_syncs(leapsome, singer, tmp_path):
    path = tmp_path / "report.json"
    result = leapsome.run(singer.input(org(singer)), report_path=str(path))
    assert result.ok, result.log[-3000:]
    assert result.states
    users = leapsome.by_external()
    assert set(users) == {"1", "2", "4"}
    assert users["2"]["manager"] == users["1"]["id"]
    assert users["4"]["manager"] is None  # their supervisor has no user: left out, not a failure
    report = json.loads(path.read_text())
    assert report["failures"] == []
    refused = [s for s in report["skipped"] if s["employee"] == "3"]
    assert len(refused) == 1
    assert refused[0]["subject"] == "employee 3 (Out Side)"
    assert refused[0]["reason"].startswith("Leapsome refused to create their user (")
    assert "correct the email" in refused[0]["reason"]
    assert report["verification"]["unconfirmed"] == []
    assert report["verification"]["reads"] == 2
    members = {g["displayName"]: set(g["members"]) for g in leapsome.state()["groups"]}
    assert members["Engineering"] == {users["1"]["id"], users["2"]["id"]}
    assert members["Sales"] == {users["4"]["id"]}


def test_teams_are_created_with_the_documented_body_then_filled(leapsome, singer):
    leapsome.reset_counters()
    result = leapsome.run(singer.input(org(singer)))
    assert result.ok, result.log[-3000:]
    log = result.log
    assert "teams_created=2" in log
    assert "verified by reading Leapsome back (2 requests): all in place" in log


def test_a_run_that_writes_nothing_reads_nothing_more(leapsome, singer):
    assert leapsome.run(singer.input(org(singer))).ok
    leapsome.reset_counters()
    result = leapsome.run(singer.input(org(singer)[:2], snapshot=False))
    assert result.ok, result.log[-3000:]
    counters = leapsome.counters()
    assert counters["writes"] == 0
    assert counters["reads"] == 2  # users and groups once: no read-back when nothing was written
    assert "verified by reading" not in result.log


def test_a_write_leapsome_silently_drops_fails_the_run_and_is_named(make_leapsome, singer, tmp_path):
    leapsome = make_leapsome(ignored_attributes=["title"])  # PATCH answers 200 but keeps the old title
    assert leapsome.run(singer.input(org(singer))).ok
    promoted = [singer.employee(2, supervisor=1, position="Principal Engineer")]
    path = tmp_path / "report.json"
    result = leapsome.run(singer.input(promoted, snapshot=False), report_path=str(path))
    assert not result.ok
    assert result.states == []  # nothing advances past a write that did not take
    assert "not in Leapsome after the write: employee 2 (Person Number2): still differs after the write: title" in (
        result.log
    )
    assert "1 changes were not in Leapsome when read back" in str(result.error)
    report = json.loads(path.read_text())
    assert report["counts"]["unconfirmed_writes"] == 1
    assert report["verification"]["unconfirmed"] == [
        {"subject": "employee 2 (Person Number2)", "error": "still differs after the write: title"}
    ]
