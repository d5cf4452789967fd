"""Whole runs of the target over HTTP: idempotence, scale, faults, pacing, safety, dry run, errors."""

from __future__ import annotations

import copy
import json
import subprocess
import sys

from target_leapsome.apply import apply_plan
from target_leapsome.client import LeapsomeClient
from target_leapsome.desired import build_desired
from target_leapsome.planner import plan_sync
from target_leapsome.reconcile import read_state
from target_leapsome.report import RunReport
from target_leapsome.settings import Settings

from sandbox.leapsome import API_TOKEN


def people(singer, n, departments=3):
    return [singer.employee(1, first="Ada", last="Boss")] + [
        singer.employee(i, department=1 + i % departments, supervisor=1 + (i // 10)) for i in range(2, n + 1)
    ]


def test_second_run_with_nothing_changed_makes_zero_writes(leapsome, singer):
    org = people(singer, 40)
    assert leapsome.run(singer.input(org)).ok
    leapsome.reset_counters()
    result = leapsome.run(singer.input(org))
    assert result.ok, result.log
    counters = leapsome.counters()
    assert counters["writes"] == 0
    assert counters["reads"] == 2  # one page of users, one of groups


def test_writes_grow_with_changes_not_org_size(leapsome, singer):
    org = people(singer, 60)
    assert leapsome.run(singer.input(org)).ok
    leapsome.reset_counters()
    changed = [singer.employee(i, department=1 + i % 3, supervisor=1 + (i // 10), position="Staff") for i in (5, 6, 7)]
    assert leapsome.run(singer.input(changed, snapshot=False)).ok
    assert leapsome.counters()["writes"] == 3


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


def test_5000_users(make_leapsome, singer):
    leapsome = make_leapsome(rate_limit=False)
    org = people(singer, 5000, departments=20)
    result = leapsome.run(singer.input(org), max_requests_per_second=0, concurrency=8)
    assert result.ok, result.log[-3000:]
    state = leapsome.state()
    assert sum(1 for u in state["users"] if u["externalId"]) == 5000
    leapsome.reset_counters()
    assert leapsome.run(singer.input(org), max_requests_per_second=0).ok
    assert leapsome.counters()["writes"] == 0
    assert leapsome.counters()["reads"] == 3  # 5002 users: two pages, plus groups


def test_lost_create_responses_make_no_duplicates(make_leapsome, singer):
    leapsome = make_leapsome(lost_write_rate=0.3, seed=7)
    org = people(singer, 30)
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


def test_rate_limit_respected(leapsome, singer):
    org = people(singer, 60)
    result = leapsome.run(singer.input(org), concurrency=8)
    assert result.ok, result.log
    counters = leapsome.counters()
    assert counters["peak_per_second"] <= 30
    assert counters["rate_limited"] == 0  # evenly spaced starts; test_input_hardening adds 20 ms latency


def test_rate_limited_requests_are_retried(leapsome, singer):
    org = people(singer, 60)
    result = leapsome.run(singer.input(org), concurrency=8, max_requests_per_second=0)
    assert result.ok, result.log
    assert leapsome.counters()["rate_limited"] > 0
    assert len(leapsome.by_external()) == 60


def test_deactivation_limit_refuses_and_writes_nothing(leapsome, singer):
    org = people(singer, 40)
    assert leapsome.run(singer.input(org)).ok
    leapsome.reset_counters()
    result = leapsome.run(singer.input(org[:10]))
    assert not result.ok
    assert "max_deactivation" in result.error or "max_deactivation" in result.log
    assert leapsome.counters()["writes"] == 0
    assert result.states == []
    assert all(u["active"] for u in leapsome.by_external().values())


def test_empty_snapshot_is_refused(leapsome, singer):
    org = people(singer, 40)
    assert leapsome.run(singer.input(org)).ok
    result = leapsome.run(singer.input([]))
    assert not result.ok
    assert result.states == []
    assert all(u["active"] for u in leapsome.by_external().values())


def test_dry_run_writes_nothing_and_emits_no_state(leapsome, singer):
    leapsome.reset_counters()
    result = leapsome.run(singer.input(people(singer, 20)), dry_run=True)
    assert result.ok, result.log
    assert leapsome.counters()["writes"] == 0
    assert result.states == []
    assert "plan: create_user" in result.log


def test_report_has_actions_and_no_secret(leapsome, singer, tmp_path):
    org = people(singer, 10)
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


def run_target(leapsome, lines: str, tmp_path, **settings) -> subprocess.CompletedProcess[str]:
    """The target as Meltano starts it: a process reading Singer lines, writing state to stdout."""
    config = leapsome.config(report_path=str(tmp_path / "r.json"), **settings)
    (tmp_path / "config.json").write_text(json.dumps(config))
    return subprocess.run(
        [sys.executable, "-m", "target_leapsome.target", "--config", str(tmp_path / "config.json")],
        input=lines,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def hr_problems(singer) -> list[dict]:
    org = people(singer, 6)
    org.append(singer.employee(7, first="No", last="Mail", email=None))
    org.append(singer.employee(8, first="Twin", last="One", email="twin@acme.example"))
    org.append(singer.employee(9, first="Twin", last="Two", email="TWIN@acme.example"))
    org.append(singer.employee(10, first="Bad", last="Address", email="bad-address@"))
    return org


def test_employees_hr_must_fix_are_skipped_and_the_run_succeeds(leapsome, singer, tmp_path):
    done = run_target(leapsome, singer.input(hr_problems(singer)), tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip(), "state is emitted: the skipped employees are not a failed sync"
    assert done.stderr.count("employee 7 (No Mail): no email in Personio; add one to sync them") == 1
    assert "employee 8 (Twin One): shares the email twin@acme.example with employee 9 (Twin Two)" in done.stderr
    assert "employee 9 (Twin Two): shares the email twin@acme.example with employee 8 (Twin One)" in done.stderr
    assert "employee 10 (Bad Address): the email 'bad-address@' is not a valid address" in done.stderr
    assert "skipped=4" in done.stderr
    assert API_TOKEN not in done.stderr
    assert set(leapsome.by_external()) == {"1", "2", "3", "4", "5", "6"}
    report = json.loads((tmp_path / "r.json").read_text())
    assert [s["employee"] for s in report["skipped"]] == ["7", "8", "9", "10"]
    assert report["record_errors"] == []


def test_fail_on_skips_makes_the_run_red_but_keeps_state(leapsome, singer, tmp_path):
    done = run_target(leapsome, singer.input(hr_problems(singer)), tmp_path, fail_on_skips=True)
    assert done.returncode != 0
    assert done.stdout.strip(), "every write took, so state still advances"
    assert "4 skipped (fail_on_skips is on" in done.stderr
    assert set(leapsome.by_external()) == {"1", "2", "3", "4", "5", "6"}


def test_unreadable_records_fail_the_run_without_state(leapsome, singer, tmp_path):
    org = [*people(singer, 4), singer.employee(7, status="retired")]
    done = run_target(leapsome, singer.input(org), tmp_path)
    assert done.returncode != 0
    assert done.stdout.strip() == ""  # no STATE
    assert "employee 7 (Person Number7): has an unknown status 'retired'" in done.stderr
    assert set(leapsome.by_external()) == {"1", "2", "3", "4"}


def test_allow_failures_emits_state(leapsome, singer):
    org = [*people(singer, 4), singer.employee(7, status="retired")]
    result = leapsome.run(singer.input(org), allow_failures=True)
    assert result.ok
    assert result.states


def test_unknown_stream_is_an_error_naming_the_record(leapsome, singer):
    lines = singer.input(people(singer, 3))
    lines += (
        json.dumps(
            {
                "type": "SCHEMA",
                "stream": "meltano_test_stream",
                "schema": {"type": "object", "properties": {"id": {"type": "integer"}}},
                "key_properties": ["id"],
            }
        )
        + "\n"
    )
    lines += json.dumps({"type": "RECORD", "stream": "meltano_test_stream", "record": {"id": 42}}) + "\n"
    result = leapsome.run(lines)
    assert not result.ok
    assert result.states == []
    assert "meltano_test_stream 42" in result.log
    assert set(leapsome.by_external()) == {"1", "2", "3"}


def test_plain_http_to_remote_host_is_a_config_error(singer):
    result = singer.run({"api_token": "x", "base_url": "http://leapsome.example/scim/v1"}, "")
    assert not result.ok
    assert "base_url" in result.error


def test_settings_repr_hides_the_token():
    settings = Settings.from_config({"api_token": API_TOKEN, "base_url": "http://127.0.0.1:1/scim/v1"})
    assert API_TOKEN not in repr(settings)
    assert API_TOKEN not in str(settings)
    assert "base_url='http://127.0.0.1:1/scim/v1'" in repr(settings)  # the rest stays readable


def test_empty_input_emits_state_without_reading_leapsome(leapsome, singer):
    state = {"bookmarks": {"employees": {"replication_key_value": "2026-01-05T09:00:00+00:00"}}}
    leapsome.reset_counters()
    result = leapsome.run(json.dumps({"type": "STATE", "value": state}) + "\n")
    assert result.ok, result.log
    assert result.states == [state]
    assert "nothing to reconcile" in result.log
    assert sum(leapsome.counters()["by_method"].values()) == 0


def test_empty_snapshot_without_departments_is_refused(leapsome, singer):
    assert leapsome.run(singer.input(people(singer, 40))).ok
    version = 1767700000000
    lines = [
        {"type": "SCHEMA", "stream": "employees", "schema": singer.schema, "key_properties": ["id"]},
        {"type": "ACTIVATE_VERSION", "stream": "employees", "version": version},
        {"type": "STATE", "value": {"bookmarks": {"employees": {"replication_key_value": "x"}}}},
    ]
    result = leapsome.run("".join(json.dumps(line) + "\n" for line in lines))
    assert not result.ok
    assert "max_deactivation" in result.error
    assert result.states == []
    assert all(u["active"] for u in leapsome.by_external().values())


def test_user_appearing_between_read_and_apply_gets_its_external_id(leapsome, singer):
    """A create answered by an existing userName: the follow-up PATCH sets our externalId; the plan stays as planned."""
    settings = Settings.from_config(leapsome.config())
    client = LeapsomeClient(settings.base_url, settings.api_token)
    desired = build_desired([singer.employee(1), singer.employee(2)], [], ("active", "leave"), complete=False)
    plan = plan_sync(desired, read_state(client))
    before = copy.deepcopy(plan)
    leapsome.admin("POST", "/users", {"userName": "person.2@acme.example"})  # made by hand meanwhile
    result = apply_plan(plan, client, concurrency=2)
    assert result.failures == []
    assert result.external_id_fixes == {"2"}
    assert plan == before  # apply learned things, the plan did not change
    assert leapsome.by_external()["2"]["userName"] == "person.2@acme.example"
    report = RunReport(plan, result, [], dry_run=False, complete_snapshot=False).to_json()
    follow_up = next(a for a in report["actions"] if a["action"] == "create_details" and "employee 2 " in a["subject"])
    assert follow_up["changes"]["external_id"] == {"before": None, "after": "2"}
