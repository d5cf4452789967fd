"""Pacing and hardening, over HTTP against the Leapsome sandbox.

Leapsome's rate limit met (no 429) and its 429s retried, scale, control characters, schema changes
mid-stream, plain HTTP to a remote host, the token kept out of reprs.
"""

from __future__ import annotations

import json
import re
import unicodedata

import pytest
from target_leapsome.settings import Settings

from sandbox.leapsome import API_TOKEN

RLM = "\u200f"  # right-to-left mark: a format character (Cf), legitimate in names


def has_control(text: str) -> bool:
    return any(unicodedata.category(char) == "Cc" for char in text)


def test_rate_limit_respected(leapsome, singer):
    org = singer.people(60)
    result = leapsome.run(singer.input(org), concurrency=8)
    assert result.ok, result.log
    counters = leapsome.counters()
    assert counters["peak_per_second"] <= 30
    assert counters["rate_limited"] == 0  # evenly spaced starts; the pacing test below adds 20 ms latency


def test_rate_limited_requests_are_retried(leapsome, singer):
    org = singer.people(60)
    result = leapsome.run(singer.input(org), concurrency=8, max_requests_per_second=0)
    assert result.ok, result.log
    assert leapsome.counters()["rate_limited"] > 0
    assert len(leapsome.by_external()) == 60


# -- 2. pacing ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("concurrency", [4, 8])
def test_pacing_meets_no_429_under_the_rate_limit(make_leapsome, singer, concurrency):
    """Leapsome counts arrivals in any 1-second window; evenly spaced starts never exceed it."""
    leapsome = make_leapsome(latency_ms=20)  # rate limit on: 30 in any second, no Retry-After
    result = leapsome.run(singer.input(singer.people(70)), concurrency=concurrency)
    assert result.ok, result.log[-3000:]
    counters = leapsome.counters()
    assert counters["total"] >= 140, counters  # five seconds at the limit: pacing matters
    assert counters["rate_limited"] == 0, counters
    assert counters["peak_per_second"] <= 30, counters
    match = re.search(r"Leapsome requests: (\d+) \(\d+ retried\) in ([\d.]+)s", result.log)
    assert match, result.log[-2000:]
    requests, seconds = int(match.group(1)), float(match.group(2))
    assert requests / seconds >= 24, f"{requests} requests in {seconds}s: pacing is too slow"


def test_5000_users(make_leapsome, singer):
    leapsome = make_leapsome(rate_limit=False)
    org = singer.people(5000, departments=20)
    result = leapsome.run(singer.input(org), max_requests_per_second=0, concurrency=8)
    assert result.ok, result.log[-3000:]
    state = leapsome.state()
    assert sum(1 for u in state["users"] if u["externalId"]) == 5000
    leapsome.reset_counters()
    assert leapsome.run(singer.input(org), max_requests_per_second=0).ok
    assert leapsome.counters()["writes"] == 0
    assert leapsome.counters()["reads"] == 3  # 5002 users: two pages, plus groups


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


def test_schema_change_then_an_early_drain_loses_no_records(leapsome, singer, monkeypatch):
    """A drain between a schema change and the end (the SDK's 5-minute record age) must not drop the old sink."""
    from target_leapsome.target import TargetLeapsome

    org = singer.people(6, departments=1)
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


def test_plain_http_to_remote_host_is_a_config_error(singer):
    result = singer.run({"api_token": "x", "base_url": "http://leapsome.example/scim/v1"}, "")
    assert not result.ok
    assert "base_url" in result.error


def test_settings_repr_hides_the_token():
    settings = Settings.from_config({"api_token": API_TOKEN, "base_url": "http://127.0.0.1:1/scim/v1"})
    assert API_TOKEN not in repr(settings)
    assert API_TOKEN not in str(settings)
    assert "base_url='http://127.0.0.1:1/scim/v1'" in repr(settings)  # the rest stays readable
