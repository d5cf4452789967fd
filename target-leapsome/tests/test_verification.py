"""Every run proves its result by reading Leapsome back (over HTTP, the sandbox).

Writes Leapsome drops or whose answer is lost, the documented bodies that were sent, and a run that wrote
nothing reads nothing more.
"""

from __future__ import annotations

import json


def test_teams_are_created_with_the_documented_body_then_filled(make_leapsome, singer):
    leapsome = make_leapsome(group_create_members="refused")  # a create carrying `members` would be a 400
    result = leapsome.run(singer.input(singer.refused_address_org()))
    assert result.ok, result.log[-3000:]
    log = result.log
    assert "teams_created=2" in log
    assert "verified by reading Leapsome back (2 requests): all in place" in log
    users = leapsome.by_external()
    assert singer.members(leapsome, "personio-department-1") == {"1", "2"}
    assert singer.members(leapsome, "personio-department-2") == {"4"}
    assert set(users) == {"1", "2", "4"}


def test_a_run_that_writes_nothing_reads_nothing_more(leapsome, singer):
    assert leapsome.run(singer.input(singer.refused_address_org())).ok
    leapsome.reset_counters()
    result = leapsome.run(singer.input(singer.refused_address_org()[:2], snapshot=False))
    assert result.ok, result.log[-3000:]
    counters = leapsome.counters()
    assert counters["writes"] == 0
    assert counters["reads"] == 2  # users and groups once: no read-back when nothing was written
    assert "verified by reading" not in result.log


def test_a_write_leapsome_silently_drops_fails_the_run_and_is_named(make_leapsome, singer, tmp_path):
    leapsome = make_leapsome(ignored_attributes=["title"])  # PATCH answers 200 but keeps the old title
    assert leapsome.run(singer.input(singer.refused_address_org())).ok
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


def test_lost_create_responses_make_no_duplicates(make_leapsome, singer):
    leapsome = make_leapsome(lost_write_rate=0.3, seed=7)
    org = singer.people(30)
    result = leapsome.run(singer.input(org), max_requests_per_second=0)
    assert result.ok, result.log[-3000:]
    assert leapsome.counters()["faults"].get("lost_write", 0) > 0
    state = leapsome.state()
    names = [u["userName"].lower() for u in state["users"]]
    assert len(names) == len(set(names)) == 32
    assert len([g for g in state["groups"] if g["externalId"]]) == 3
    leapsome.knobs(lost_write_rate=0.0)
    leapsome.reset_counters()
    assert leapsome.run(singer.input(org)).ok
    assert leapsome.counters()["writes"] == 0
