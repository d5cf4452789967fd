"""Hostile or partial input over HTTP: control characters, absent attributes, records that break the schema.

Also the pacing promise: with Leapsome's rate limit on, a run meets no 429 at all.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import unicodedata
from pathlib import Path
from typing import Any

import pytest

from sandbox.leapsome import API_TOKEN

CONSOLE_SCRIPT = Path(sys.executable).parent / "target-leapsome"
RLM = "\u200f"  # right-to-left mark: a format character (Cf), legitimate in names


def people(singer: Any, n: int, departments: int = 3) -> list[dict[str, Any]]:
    return [singer.employee(1, first="Ada", last="Boss")] + [
        singer.employee(i, department=1 + i % departments, supervisor=1 + (i // 10)) for i in range(2, n + 1)
    ]


def has_control(text: str) -> bool:
    return any(unicodedata.category(char) == "Cc" for char in text)


# -- 1. control characters ---------------------------------------------------------------------------------
def test_control_characters_are_stripped_with_a_warning_and_format_characters_kept(leapsome, singer, tmp_path):
    bad = singer.employee(
        2,
        first="Ro\x00b\x07ert",
        last="Tab\tNew\nLine\x1b[31m",
        preferred_name=None,
        position="Lead\r\nEngineer\x85",
        office="Ber\x7flin",
        department=4,
        department_name="Ops\x00Team",
    )
    rtl = singer.employee(3, first=f"נור{RLM}", last="כהן")
    departments = {**singer.DEPARTMENTS, 4: "Ops\x1bTeam"}
    path = tmp_path / "report.json"
    result = leapsome.run(singer.input([singer.employee(1), bad, rtl], departments), report_path=str(path))
    assert result.ok, f"{result.error}\n{result.log}"
    assert any(w.startswith("employee 2 (Robert ") for w in json.loads(path.read_text())["warnings"])
    users = leapsome.by_external()
    user = users["2"]
    assert (user["givenName"], user["familyName"]) == ("Robert", "Tab New Line[31m")
    assert user["displayName"] == "Robert Tab New Line[31m"
    assert user["title"] == "Lead Engineer"
    assert user["enterprise"]["location"] == "Berlin"
    assert "OpsTeam" in leapsome.groups()
    for value in (*user.values(), *user["enterprise"].values(), *leapsome.groups()):
        assert not has_control(str(value)), value
    assert users["3"]["givenName"] == f"נור{RLM}"  # Cf is kept
    warnings = [line for line in result.log.splitlines() if "control characters removed" in line]
    assert any(
        "employee 2 " in line and all(f in line for f in ("first_name", "last_name", "position", "office.name"))
        for line in warnings
    ), result.log
    assert any("department 4" in line for line in warnings), result.log
    for line in result.log.splitlines():  # no name can forge or split a log line
        assert not has_control(line), repr(line)
    leapsome.reset_counters()
    assert leapsome.run(singer.input([singer.employee(1), bad, rtl], departments)).ok
    assert leapsome.counters()["writes"] == 0  # cleaned values are stable: no rewrite on every run


def test_labels_escape_control_characters_in_errors_and_reports(leapsome, singer, tmp_path):
    """A name cannot inject a newline into an error line or a report subject: it is escaped."""
    forged = singer.employee(5, first="Eve\nINFO fake line", last="X\x1b[2J", email=None)
    path = tmp_path / "report.json"
    result = leapsome.run(singer.input([singer.employee(1), forged]), report_path=str(path))
    assert result.ok  # no email is a skip: named, and the rest syncs
    line = next(line for line in result.log.splitlines() if "employee 5" in line and "email" in line)
    assert "Eve\\nINFO fake line" in line
    assert "\\x1b[2J" in line
    assert not any(line.startswith("INFO fake line") for line in result.log.splitlines())
    report = json.loads(path.read_text())
    assert report["skipped"][0]["subject"] == "employee 5 (Eve\\nINFO fake line X\\x1b[2J)"


# -- 2. pacing ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("concurrency", [4, 8])
def test_pacing_meets_no_429_under_the_rate_limit(make_leapsome, singer, concurrency):
    """Leapsome counts arrivals in any 1-second window; evenly spaced starts never exceed it."""
    leapsome = make_leapsome(latency_ms=20)  # rate limit on: 30 in any second, no Retry-After
    result = leapsome.run(singer.input(people(singer, 70)), concurrency=concurrency)
    assert result.ok, result.log[-3000:]
    counters = leapsome.counters()
    assert counters["total"] >= 140, counters  # five seconds at the limit: pacing matters
    assert counters["rate_limited"] == 0, counters
    assert counters["peak_per_second"] <= 30, counters
    match = re.search(r"Leapsome requests: (\d+) \(\d+ retried\) in ([\d.]+)s", result.log)
    assert match, result.log[-2000:]
    requests, seconds = int(match.group(1)), float(match.group(2))
    assert requests / seconds >= 24, f"{requests} requests in {seconds}s: pacing is too slow"


# -- 3. absent vs null -------------------------------------------------------------------------------------
def without(records: list[dict[str, Any]], *keys: str) -> list[dict[str, Any]]:
    return [{k: v for k, v in record.items() if k not in keys} for record in records]


def test_absent_supervisor_and_department_change_no_manager_and_no_team(leapsome, singer):
    """A revoked permission on `supervisor`/`department` (keys absent) must not clear managers or teams."""
    org = people(singer, 30)
    assert leapsome.run(singer.input(org)).ok
    before = leapsome.state()
    leapsome.reset_counters()
    result = leapsome.run(singer.input(without(org, "supervisor", "department")))  # a complete snapshot
    assert result.ok, result.log
    assert leapsome.counters()["writes"] == 0
    assert leapsome.state() == before
    # a key present with null still means "none": that user's manager is cleared
    org[4] = {**org[4], "supervisor": None}
    assert leapsome.run(singer.input(without(org, "department"))).ok
    users = leapsome.by_external()
    assert not users[str(org[4]["id"])]["manager"]
    assert users["6"]["manager"] == users["1"]["id"]


def test_absent_attributes_leave_leapsome_values_alone(leapsome, singer):
    hidden = ("first_name", "last_name", "preferred_name", "position", "hire_date", "termination_date", "office")
    org = people(singer, 6)
    assert leapsome.run(singer.input(org)).ok
    user = leapsome.by_external()["3"]
    leapsome.admin("PATCH", f"/users/{user['id']}", {"title": "Hand-set title"})
    before = leapsome.state()
    leapsome.reset_counters()
    result = leapsome.run(singer.input(without(org, *hidden)))
    assert result.ok, result.log
    assert leapsome.counters()["writes"] == 0
    assert leapsome.state() == before
    # present-and-null keeps its meaning: the office is cleared
    org[2] = {**org[2], "office": None}
    assert leapsome.run(singer.input(org)).ok
    user = leapsome.by_external()["3"]
    assert not user["enterprise"].get("location")
    assert user["title"] == "Engineer"  # and Personio wins again once position is readable


def test_absent_email_or_status_is_a_record_error_naming_the_field(leapsome, singer):
    org = people(singer, 4)
    org[1] = without([org[1]], "email")[0]
    org[2] = without([org[2]], "status")[0]
    result = leapsome.run(singer.input(org))
    assert not result.ok
    assert result.states == []
    assert re.search(r"employee 2 \(.*\): has no email field", result.log), result.log
    assert re.search(r"employee 3 \(.*\): has no status field", result.log), result.log
    assert set(leapsome.by_external()) == {"1", "4"}


# -- 4. records that break the schema ----------------------------------------------------------------------
def run_console_script(tmp_path: Path, config: dict[str, Any], lines: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "config.json").write_text(json.dumps(config))
    return subprocess.run(
        [str(CONSOLE_SCRIPT), "--config", str(tmp_path / "config.json")],
        input=lines,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def with_bad_records(singer: Any, lines: str) -> str:
    """Insert hand-made bad RECORD lines right after the employees SCHEMA (in the snapshot's version)."""
    messages = lines.splitlines()
    version = next(json.loads(m)["version"] for m in messages if '"RECORD"' in m)
    good = singer.employee(20, first="Late", last="Comer")
    bad_records = [
        {**singer.employee(90), "id": "x90"},  # id of the wrong type: key "x90"
        {**singer.employee(91), "email": 12345},  # a non-string email
        {**singer.employee(92), "hire_date": "2024-13-45"},  # an unparseable date
        {**singer.employee(93), "last_modified_at": "yesterday"},  # bad, but in a field the target never reads
        {k: v for k, v in singer.employee(94).items() if k != "id"},  # no key at all
    ]
    inserted = [
        json.dumps({"type": "RECORD", "stream": "employees", "record": r, "version": version}) for r in bad_records
    ]
    inserted.append(json.dumps({"type": "RECORD", "stream": "employees", "record": good, "version": version}))
    at = next(i for i, m in enumerate(messages) if '"RECORD"' in m)
    department_bad = json.dumps({"type": "RECORD", "stream": "departments", "record": {"id": "seven", "name": "X"}})
    last_department = max(i for i, m in enumerate(messages) if '"departments"' in m and '"RECORD"' in m)
    messages = [
        *messages[:at],
        *inserted,
        *messages[at : last_department + 1],
        department_bad,
        *messages[last_department + 1 :],
    ]
    return "\n".join(messages) + "\n"


def test_schema_violations_are_record_errors_and_the_rest_syncs(leapsome, singer, tmp_path):
    org = people(singer, 8)
    config = leapsome.config(report_path=str(tmp_path / "report.json"))
    done = run_console_script(tmp_path, config, with_bad_records(singer, singer.input(org)))
    assert done.returncode != 0, done.stderr[-3000:]
    assert done.stdout.strip() == "", "no STATE after unusable records"
    assert "InvalidRecord" not in done.stderr, done.stderr[-3000:]
    assert "5 records could not be used" in done.stderr, done.stderr[-3000:]
    expected = {
        "employee x90": "'id'",
        "employee 91 (Person Number91)": "'email'",
        "employee 92 (Person Number92)": "'hire_date'",
        "employee ? (Person Number94)": "'id'",
        "departments record departments seven": "'id'",
    }
    errors = [line for line in done.stderr.splitlines() if "record error" in line]
    for label, field in expected.items():
        assert any(label in line and field in line for line in errors), f"{label} {field}\n" + "\n".join(errors)
    users = leapsome.by_external()
    assert set(users) == {str(i) for i in range(1, 9)} | {"20", "93"}, "every other record still syncs"
    report = json.loads((tmp_path / "report.json").read_text())
    assert {e["stream"] for e in report["record_errors"]} == {"employees", "departments"}
    assert len(report["record_errors"]) == 5
    assert API_TOKEN not in done.stderr


def test_a_bad_record_in_a_complete_snapshot_deactivates_nobody(leapsome, singer, tmp_path):
    """The employee whose record broke the schema is left alone, not deactivated for being absent."""
    org = people(singer, 8)
    assert leapsome.run(singer.input(org)).ok
    org[3] = {**org[3], "hire_date": "not a date"}
    org[5] = {**org[5], "id": str(org[5]["id"])}  # a string id: still names employee 6
    done = run_console_script(tmp_path, leapsome.config(), singer.input(org))
    assert done.returncode != 0
    assert done.stdout.strip() == ""
    assert all(u["active"] for u in leapsome.by_external().values())
    assert len(leapsome.by_external()) == 8
    done = run_console_script(tmp_path, leapsome.config(allow_failures=True), singer.input(org))
    assert done.returncode == 0, done.stderr[-3000:]
    assert "bookmarks" in done.stdout, "allow_failures emits state"


def test_schema_change_then_an_early_drain_loses_no_records(leapsome, singer, monkeypatch):
    """A drain between a schema change and the end (the SDK's 5-minute record age) must not drop the old sink."""
    from target_leapsome.target import TargetLeapsome

    org = people(singer, 6, departments=1)
    assert leapsome.run(singer.input(org)).ok
    monkeypatch.setattr(TargetLeapsome, "_MAX_RECORD_AGE_IN_MINUTES", -1.0)  # drain after every record
    changed = [{**person, "position": "Retitled"} for person in org]
    lines = [json.loads(line) for line in singer.input(changed).splitlines()]
    schema_v2 = {**lines[0], "schema": {**lines[0]["schema"], "properties": {**lines[0]["schema"]["properties"]}}}
    schema_v2["schema"]["properties"]["nickname"] = {"type": ["string", "null"]}
    records = [i for i, line in enumerate(lines) if line["type"] == "RECORD" and line["stream"] == "employees"]
    lines.insert(records[3], schema_v2)  # the schema changes after the third employee
    result = leapsome.run("".join(json.dumps(line) + "\n" for line in lines))
    assert result.ok, result.error
    users = leapsome.by_external()
    assert all(users[str(p["id"])]["active"] for p in org), "nobody may be deactivated"
    assert all(users[str(p["id"])]["title"] == "Retitled" for p in org), "records before the change still count"
