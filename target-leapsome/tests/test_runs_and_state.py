"""Whole runs and their state, over HTTP against the Leapsome sandbox.

Idempotence (a second run writes nothing), writes that grow with changes not with the organisation, dry
runs, the report, empty input.
"""

from __future__ import annotations

import json

from sandbox.leapsome import API_TOKEN


def test_second_run_with_nothing_changed_makes_zero_writes(leapsome, singer):
    org = singer.people(40)
    assert leapsome.run(singer.input(org)).ok
    leapsome.reset_counters()
    result = leapsome.run(singer.input(org))
    assert result.ok, result.log
    counters = leapsome.counters()
    assert counters["writes"] == 0
    assert counters["reads"] == 2  # one page of users, one of groups


def test_writes_grow_with_changes_not_org_size(leapsome, singer):
    org = singer.people(60)
    assert leapsome.run(singer.input(org)).ok
    leapsome.reset_counters()
    changed = [singer.employee(i, department=1 + i % 3, supervisor=1 + (i // 10), position="Staff") for i in (5, 6, 7)]
    assert leapsome.run(singer.input(changed, snapshot=False)).ok
    assert leapsome.counters()["writes"] == 3


def test_dry_run_writes_nothing_and_emits_no_state(leapsome, singer):
    leapsome.reset_counters()
    result = leapsome.run(singer.input(singer.people(20)), dry_run=True)
    assert result.ok, result.log
    assert leapsome.counters()["writes"] == 0
    assert result.states == []
    assert "plan: create_user" in result.log


def test_report_has_actions_and_no_secret(leapsome, singer, tmp_path):
    org = singer.people(10)
    assert leapsome.run(singer.input(org)).ok
    org[3] = singer.employee(4, department=2, supervisor=1, position="Lead")
    path = tmp_path / "report.json"
    result = leapsome.run(singer.input(org), report_path=str(path))
    assert result.ok
    text = path.read_text()
    report = json.loads(text)
    assert API_TOKEN not in text
    assert API_TOKEN not in result.log
    change = next(a for a in report["actions"] if a["subject"].startswith("employee 4 "))
    assert change["changes"]["title"] == {"before": "Engineer", "after": "Lead"}


def test_empty_input_emits_state_without_reading_leapsome(leapsome, singer):
    state = {"bookmarks": {"employees": {"replication_key_value": "2026-01-05T09:00:00+00:00"}}}
    leapsome.reset_counters()
    result = leapsome.run(json.dumps({"type": "STATE", "value": state}) + "\n")
    assert result.ok, result.log
    assert result.states == [state]
    assert "nothing to reconcile" in result.log
    assert sum(leapsome.counters()["by_method"].values()) == 0
