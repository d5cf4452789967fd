"""Bad input: each case named clearly (employee id and field), the rest synced, no state past unwritten data.

HR data that cannot become a Leapsome user (no or a malformed email, a shared email, a value Leapsome
refuses) is skipped: named, and the run still succeeds and emits state. Input the target cannot read
(attributes hidden from the credential) fails the run and holds state.

Most cases are made in the Personio sandbox through its admin API and go through the real
`tap-personio | target-leapsome`. What the Personio sandbox refuses to hold (a duplicate email, an
unknown supervisor, self-supervision, cycles) and a schema change mid-stream are made by editing the
real tap's Singer output and feeding it to the real target.
"""

from __future__ import annotations

import json
import random
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from harness.admin import LeapsomeAdmin, PersonioAdmin
from harness.oracle import expected_state, hand_made, mismatches
from harness.pipeline import PipelineRun
from sandbox.core import SandboxServer
from sandbox.leapsome import API_TOKEN
from tests.reliability.support import (
    JSON,
    LEDGER,
    Sync,
    describe,
    run_target,
    start_leapsome,
    start_personio,
    tap_messages,
)

LONG_NAME = ("Maximiliane-Wilhelmine " * 14)[:300]
LONG_DEPARTMENT = ("Department of Very Long Names " * 11)[:300]
CONTROL_FIRST, CONTROL_LAST = "Ro\x00b\x07ert", "Tab\tNew\nLine\x1b[31m"
RTL_FIRST, RTL_LAST = "نور", "כהן"


@dataclass
class Outcome:
    """One run with bad input: the run, the Leapsome state after it, and who was made bad how."""

    run: PipelineRun
    state: JSON
    report: JSON | None
    bad: dict[str, int]  # case -> employee id
    extra: dict[str, Any]
    untouched: JSON
    expected_problems: list[str]

    def log(self) -> str:
        return self.run.tap.stderr + self.run.target.stderr

    def user(self, employee_id: int) -> JSON | None:
        return next((u for u in self.state["users"] if u.get("externalId") == str(employee_id)), None)

    def errors_naming(self, employee_id: int, *words: str) -> list[str]:
        """Log lines at WARNING or ERROR that name the employee and every given word."""
        return [
            line
            for line in self.log().splitlines()
            if ("ERROR" in line or "WARNING" in line)
            and f"employee {employee_id}" in line
            and all(w.lower() in line.lower() for w in words)
        ]

    def report_mentions(self, employee_id: int) -> bool:
        return self.report is not None and f"employee {employee_id}" in json.dumps(self.report, ensure_ascii=False)


def leaves(people: list[JSON]) -> list[JSON]:
    """Synced employees nobody reports to, in id order (changing them touches nobody else)."""
    bosses = {(p.get("supervisor") or {}).get("id") for p in people}
    return [p for p in people if p["status"] in ("active", "leave") and p["id"] not in bosses]


# -- cases made in the Personio sandbox --------------------------------------------------------------
@pytest.fixture(scope="module")
def personio_cases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Outcome]:
    personio, leapsome = start_personio(40, 13), start_leapsome()
    try:
        sync = Sync(personio, leapsome, tmp_path_factory.mktemp("bad-personio"))
        people = sorted(sync.personio_employees(), key=lambda p: p["id"])
        picks = random.Random(13).sample(leaves(people), 9)
        bad = {
            "missing email": picks[0]["id"],
            "malformed email": picks[1]["id"],
            "inactive supervisor": picks[2]["id"],
            "department without a name": picks[3]["id"],
            "300-character name": picks[4]["id"],
            "300-character department name": picks[5]["id"],
            "control characters in names": picks[6]["id"],
            "right-to-left names": picks[7]["id"],
        }
        boss = picks[8]["id"]
        hr = sync.personio_admin
        hr.update(bad["missing email"], email="")
        hr.update(bad["malformed email"], email="not-an-email")
        hr.update(bad["inactive supervisor"], supervisor=boss)
        hr.update(boss, status="inactive")
        unnamed = hr.create_department("Soon Unnamed")["id"]
        hr.rename_department(unnamed, "")
        hr.update(bad["department without a name"], department=unnamed)
        hr.update(bad["300-character name"], first_name=LONG_NAME)
        long_department = hr.create_department(LONG_DEPARTMENT)["id"]
        hr.update(bad["300-character department name"], department=long_department)
        hr.update(bad["control characters in names"], first_name=CONTROL_FIRST, last_name=CONTROL_LAST)
        hr.update(bad["right-to-left names"], first_name=RTL_FIRST, last_name=RTL_LAST)
        untouched = hand_made(sync.leapsome_state())
        run = sync.run()
        state = sync.leapsome_state()
        # The contract for everyone else: the two unusable emails get no user, nobody else is affected.
        unusable = {bad["missing email"], bad["malformed email"]}
        expected = sync.expected(unusable=unusable)
        for case in ("300-character department name",):  # its team may be refused by Leapsome (over 128)
            expected.teams.pop(f"personio-department-{long_department}", None)
            expected.users[str(bad[case])]["team"] = None
        for case in ("control characters in names", "300-character name"):  # may be refused; then it has no user
            if not any(u.get("externalId") == str(bad[case]) for u in state["users"]):
                expected.users.pop(str(bad[case]))
        problems = [
            p
            for p in mismatches(state, expected, untouched)
            if not p.startswith(f"employee {bad['300-character department name']}: teams")
        ]
        yield Outcome(
            run,
            state,
            sync.report(),
            bad,
            {"boss": boss, "unnamed": unnamed, "long_department": long_department},
            untouched,
            problems,
        )
    finally:
        personio.stop()
        leapsome.stop()


def test_bad_personio_data_is_skipped_the_rest_synced_and_state_emitted(personio_cases: Outcome) -> None:
    outcome = personio_cases
    assert outcome.run.tap.returncode == 0, describe(outcome.run)
    assert outcome.run.target.returncode == 0, "HR data problems are skips, not failures\n" + describe(outcome.run)
    assert outcome.run.state is not None, "every write took, so state must advance"
    assert outcome.expected_problems == [], describe(outcome.run)


@pytest.mark.parametrize(("case", "field"), [("missing email", "email"), ("malformed email", "email")])
def test_unusable_email_is_named_and_gets_no_user(personio_cases: Outcome, case: str, field: str) -> None:
    LEDGER.bad_inputs.append(case)
    employee_id = personio_cases.bad[case]
    assert personio_cases.user(employee_id) is None
    assert personio_cases.errors_naming(employee_id, field), describe(personio_cases.run)
    assert personio_cases.report_mentions(employee_id)


def test_supervisor_without_a_user_leaves_no_manager_and_is_reported(personio_cases: Outcome) -> None:
    LEDGER.bad_inputs.append("inactive supervisor")
    employee_id = personio_cases.bad["inactive supervisor"]
    user = personio_cases.user(employee_id)
    assert user is not None
    assert user["active"]
    assert not user.get("manager")
    boss = personio_cases.extra["boss"]
    named = [
        line for line in personio_cases.log().splitlines() if f"employee {employee_id}" in line and str(boss) in line
    ]
    assert named or personio_cases.report_mentions(employee_id), (
        "the skipped manager link is not reported\n" + describe(personio_cases.run)
    )


def test_department_without_a_name_is_reported_and_its_member_synced(personio_cases: Outcome) -> None:
    LEDGER.bad_inputs.append("department without a name")
    employee_id = personio_cases.bad["department without a name"]
    department = personio_cases.extra["unnamed"]
    user = personio_cases.user(employee_id)
    assert user is not None
    assert user["active"]
    assert not any(g.get("externalId") == f"personio-department-{department}" for g in personio_cases.state["groups"])
    lines = [line for line in personio_cases.log().splitlines() if str(department) in line and "name" in line.lower()]
    assert lines, "the nameless department is not named in the log\n" + describe(personio_cases.run)


def test_300_character_names(personio_cases: Outcome) -> None:
    """A long person name syncs, or is a named skip when Leapsome refuses it; a long department name is named.

    The over-long department's member is synced. Leapsome documents no limit for person names; team names
    are limited to 128 characters.
    """
    LEDGER.bad_inputs += ["300-character name", "300-character department name"]
    employee_id = personio_cases.bad["300-character name"]
    long_person = personio_cases.user(employee_id)
    if long_person is None:
        assert personio_cases.errors_naming(employee_id, "Leapsome refused"), describe(personio_cases.run)
    else:
        assert long_person["givenName"] == LONG_NAME
    member = personio_cases.user(personio_cases.bad["300-character department name"])
    assert member is not None
    assert member["active"]
    department = personio_cases.extra["long_department"]
    team = next(
        (g for g in personio_cases.state["groups"] if g.get("externalId") == f"personio-department-{department}"), None
    )
    if team is None:  # not created: named with its department in the log and the report
        lines = [line for line in personio_cases.log().splitlines() if str(department) in line and "128" in line]
        assert lines, "the refused team is not reported\n" + describe(personio_cases.run)
        assert str(department) in json.dumps(personio_cases.report)
    else:  # shortened to fit: still recognisably that department's name
        assert LONG_DEPARTMENT.startswith(team["displayName"].rstrip("…. "))


def test_control_characters_never_reach_leapsome(personio_cases: Outcome) -> None:
    LEDGER.bad_inputs.append("control characters in names")
    employee_id = personio_cases.bad["control characters in names"]
    for user in personio_cases.state["users"]:
        for key in ("userName", "givenName", "familyName", "displayName", "title"):
            text = str(user.get(key) or "")
            assert not any(unicodedata.category(c) == "Cc" for c in text), f"{key} of {user['userName']}: {text!r}"
    user = personio_cases.user(employee_id)
    if user is None:  # refused: then named, with the field
        assert personio_cases.errors_naming(employee_id, "name"), describe(personio_cases.run)
    else:  # cleaned: the visible letters survive
        assert user["givenName"] == "Robert"


def test_right_to_left_names_sync_unchanged(personio_cases: Outcome) -> None:
    LEDGER.bad_inputs.append("right-to-left names")
    user = personio_cases.user(personio_cases.bad["right-to-left names"])
    assert user is not None
    assert (user["givenName"], user["familyName"]) == (RTL_FIRST, RTL_LAST)


def test_hidden_attributes_are_named_and_nothing_is_written(tmp_path: Path) -> None:
    """Credentials that may not read `email`: every employee is named as unusable, nobody gets a user."""
    LEDGER.bad_inputs.append("attributes hidden by Personio permissions")
    personio, leapsome = start_personio(30, 17), start_leapsome()
    try:
        PersonioAdmin(personio.url).hide("email")
        sync = Sync(personio, leapsome, tmp_path)
        before = sync.leapsome_state()
        run = sync.run()
        assert run.target.returncode != 0, describe(run)
        assert run.state is None
        outcome = Outcome(run, sync.leapsome_state(), sync.report(), {}, {}, hand_made(before), [])
        synced = [p for p in sync.personio_employees() if p["status"] in ("active", "leave")]
        unnamed = [p["id"] for p in synced if not outcome.errors_naming(p["id"], "email")]
        assert unnamed == [], describe(run)
        assert outcome.state["users"] == before["users"]
        assert leapsome.app.counters.writes == 0
    finally:
        personio.stop()
        leapsome.stop()


def test_malformed_json_page_is_retried_and_everyone_syncs(tmp_path: Path) -> None:
    LEDGER.bad_inputs.append("malformed JSON page")
    personio, leapsome = start_personio(40, 19), start_leapsome()
    try:
        sync = Sync(personio, leapsome, tmp_path, tap_overrides={"page_size": 10})
        untouched = hand_made(sync.leapsome_state())
        PersonioAdmin(personio.url).malformed_next_page()
        run = sync.run()
        assert run.ok, describe(run)
        assert "not JSON" in run.tap.stderr, "the malformed page is not reported\n" + describe(run)
        assert not PersonioAdmin(personio.url).knobs()["fault_rate"]
        assert personio.app.malformed_next_page is False  # the switch was used up by this run
        assert mismatches(sync.leapsome_state(), sync.expected(), untouched) == []
    finally:
        personio.stop()
        leapsome.stop()


# -- cases the Personio sandbox refuses to hold: edited Singer messages into the real target --------------
def records(messages: list[JSON]) -> list[tuple[int, JSON]]:
    """(position, message) of every employees RECORD."""
    return [
        (i, message)
        for i, message in enumerate(messages)
        if message["type"] == "RECORD" and message["stream"] == "employees"
    ]


def supervisor_of(record: JSON) -> JSON:
    return {
        "id": record["id"],
        "email": record["email"],
        "first_name": record["first_name"],
        "last_name": record["last_name"],
    }


@pytest.fixture(scope="module")
def tap_output(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[list[str], list[JSON], dict[int, str | None]]]:
    personio = start_personio(30, 23)
    try:
        lines = tap_messages(tmp_path_factory.mktemp("bad-tap"), personio)
        people = PersonioAdmin(personio.url).employees()
        departments = {d["id"]: d["name"] for d in PersonioAdmin(personio.url).departments()}
        yield lines, people, departments
    finally:
        personio.stop()


def target_config(leapsome: SandboxServer, workdir: Path) -> JSON:
    return {
        "api_token": API_TOKEN,
        "base_url": leapsome.url + "/scim/v1",
        "max_requests_per_second": 0,
        "report_path": str(workdir / "report.json"),
    }


def test_duplicate_email_unknown_supervisor_self_supervision_and_cycles(
    tap_output: tuple[list[str], list[JSON], dict[int, str | None]], tmp_path: Path
) -> None:
    lines, people, departments = tap_output
    LEDGER.bad_inputs += ["duplicate email", "unknown supervisor", "self-supervision", "supervision cycle"]
    messages = [json.loads(line) for line in lines]
    by_id = {m["record"]["id"]: m["record"] for _, m in records(messages)}
    free = [p["id"] for p in leaves(sorted(people, key=lambda p: p["id"]))]
    dup_a, dup_b, unknown, selfish, c1, c2, c3 = random.Random(23).sample(free, 7)
    by_id[dup_b]["email"] = str(by_id[dup_a]["email"]).upper()
    by_id[unknown]["supervisor"] = {"id": 999999, "email": "ghost@acme.example", "first_name": "G", "last_name": "Host"}
    by_id[selfish]["supervisor"] = supervisor_of(by_id[selfish])
    for report, boss in ((c1, c2), (c2, c3), (c3, c1)):
        by_id[report]["supervisor"] = supervisor_of(by_id[boss])
    leapsome = start_leapsome()
    try:
        untouched = hand_made(LeapsomeAdmin(leapsome.url).state())
        run = run_target(tmp_path, [json.dumps(m) for m in messages], target_config(leapsome, tmp_path))
        state = LeapsomeAdmin(leapsome.url).state()
        report = json.loads((tmp_path / "report.json").read_text()) if (tmp_path / "report.json").exists() else None
        outcome = Outcome(run, state, report, {}, {}, untouched, [])
        assert run.target.returncode == 0, describe(run)  # each is HR data to fix: skipped, the rest synced
        assert run.state is not None
        # duplicate email: both named, neither synced
        for employee_id in (dup_a, dup_b):
            assert outcome.user(employee_id) is None
            assert outcome.errors_naming(employee_id, "email"), describe(run)
        # unknown supervisor, self-supervision: synced without a manager, reported with the employee
        for employee_id in (unknown, selfish):
            user = outcome.user(employee_id)
            assert user is not None
            assert not user.get("manager")
            assert outcome.report_mentions(employee_id)
        assert any(f"employee {unknown}" in line and "999999" in line for line in outcome.log().splitlines()) or (
            "999999" in json.dumps(report)
        ), describe(run)
        # the cycle: all three synced, no cycle in Leapsome, at least one link skipped and reported
        ids = {u["id"]: u for u in state["users"]}
        cycle_users = [outcome.user(i) for i in (c1, c2, c3)]
        assert all(u is not None and u["active"] for u in cycle_users)
        walker, seen = cycle_users[0], set()
        while walker is not None and walker.get("manager"):
            assert walker["id"] not in seen, "a manager cycle was written to Leapsome"
            seen.add(walker["id"])
            walker = ids.get(walker["manager"])
        assert any("cycle" in line.lower() for line in outcome.log().splitlines()), describe(run)
        # everyone: exactly right (the cycle's managers: whichever links were kept, checked above)
        expected = expected_state(
            [{**p, "supervisor": by_id[p["id"]]["supervisor"]} for p in people], departments, unusable={dup_a, dup_b}
        )
        expected.any_manager = {str(c1), str(c2), str(c3)}
        problems = mismatches(state, expected, untouched)
        assert problems == [], f"{problems}\n{describe(run)}"
    finally:
        leapsome.stop()


def test_schema_change_mid_stream_keeps_every_record(
    tap_output: tuple[list[str], list[JSON], dict[int, str | None]], tmp_path: Path
) -> None:
    """A second SCHEMA for `employees` halfway (a new property, a changed type): all records still sync."""
    lines, people, departments = tap_output
    LEDGER.bad_inputs.append("schema change mid-stream")
    messages = [json.loads(line) for line in lines]
    employee_records = records(messages)
    schema = next(m for m in messages if m["type"] == "SCHEMA" and m["stream"] == "employees")
    changed = json.loads(json.dumps(schema))
    changed["schema"]["properties"]["pronouns"] = {"type": ["string", "null"]}
    changed["schema"]["properties"]["weekly_working_hours"] = {"type": ["number", "null"]}
    half = employee_records[len(employee_records) // 2][0]
    for _, message in employee_records[len(employee_records) // 2 :]:
        message["record"]["pronouns"] = "they/them"
        hours = message["record"].get("weekly_working_hours")
        message["record"]["weekly_working_hours"] = float(hours) if hours not in (None, "") else None
    edited = [*messages[:half], changed, *messages[half:]]
    leapsome = start_leapsome()
    try:
        untouched = hand_made(LeapsomeAdmin(leapsome.url).state())
        run = run_target(tmp_path, [json.dumps(m) for m in edited], target_config(leapsome, tmp_path))
        state = LeapsomeAdmin(leapsome.url).state()
        problems = mismatches(state, expected_state(people, departments), untouched)
        assert problems == [], f"{problems}\n{describe(run)}"
        assert run.target.returncode == 0, describe(run)
        assert run.state is not None
    finally:
        leapsome.stop()
