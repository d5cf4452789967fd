"""Skips are not failures; what does fail a run. Over HTTP against the Leapsome sandbox.

Employees HR must fix, addresses Leapsome refuses, records that break the schema, unreadable records,
unknown streams, `fail_on_skips`, `allow_failures`.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from sandbox.leapsome import API_TOKEN


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
    org = singer.people(6)
    org.append(singer.employee(7, first="No", last="Mail", email=None))
    org.append(singer.employee(8, first="Twin", last="One", email="twin@acme.example"))
    org.append(singer.employee(9, first="Twin", last="Two", email="TWIN@acme.example"))
    org.append(singer.employee(10, first="Bad", last="Address", email="bad-address@"))
    return org


CONSOLE_SCRIPT = Path(sys.executable).parent / "target-leapsome"


# -- 3. absent vs null -------------------------------------------------------------------------------------


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
    org = [*singer.people(4), singer.employee(7, status="retired")]
    done = run_target(leapsome, singer.input(org), tmp_path)
    assert done.returncode != 0
    assert done.stdout.strip() == ""  # no STATE
    assert "employee 7 (Person Number7): has an unknown status 'retired'" in done.stderr
    assert set(leapsome.by_external()) == {"1", "2", "3", "4"}


def test_allow_failures_emits_state(leapsome, singer):
    org = [*singer.people(4), singer.employee(7, status="retired")]
    result = leapsome.run(singer.input(org), allow_failures=True)
    assert result.ok
    assert result.states


def test_unknown_stream_is_an_error_naming_the_record(leapsome, singer):
    lines = singer.input(singer.people(3))
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


def test_an_address_leapsome_refuses_is_a_skip_and_the_rest_syncs(leapsome, singer, tmp_path):
    path = tmp_path / "report.json"
    result = leapsome.run(singer.input(singer.refused_address_org()), report_path=str(path))
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


def test_absent_email_or_status_is_a_record_error_naming_the_field(leapsome, singer):
    org = singer.people(4)
    org[1] = singer.without([org[1]], "email")[0]
    org[2] = singer.without([org[2]], "status")[0]
    result = leapsome.run(singer.input(org))
    assert not result.ok
    assert result.states == []
    assert re.search(r"employee 2 \(.*\): has no email field", result.log), result.log
    assert re.search(r"employee 3 \(.*\): has no status field", result.log), result.log
    assert set(leapsome.by_external()) == {"1", "4"}


def test_schema_violations_are_record_errors_and_the_rest_syncs(leapsome, singer, tmp_path):
    org = singer.people(8)
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
    org = singer.people(8)
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
