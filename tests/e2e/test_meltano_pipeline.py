"""The real `meltano run tap-personio target-leapsome` against the sandboxes, asserting on Leapsome's final state.

One scenario drives a company through an initial sync and three incremental runs (every kind of Personio
change, then a rehire and a rename, then nothing); each kind of change is checked by its own test.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from harness.admin import LeapsomeAdmin, PersonioAdmin
from harness.leapsome_view import LeapsomeView
from harness.meltano import MeltanoProject
from harness.oracle import SYNCED_STATUSES, assert_mirrors
from sandbox.core import SandboxServer, running
from sandbox.leapsome.app import LeapsomeSandbox
from sandbox.personio.app import PersonioSandbox

pytestmark = pytest.mark.e2e

STATE_ID = "dev:tap-personio-to-target-leapsome"


def view(leapsome: SandboxServer) -> LeapsomeView:
    return LeapsomeView.from_state(LeapsomeAdmin(leapsome.url).state())


def sync(project: MeltanoProject, *extra: str) -> None:
    result = project.run("run", *extra, "tap-personio", "target-leapsome")
    assert result.returncode == 0, result.stderr[-5000:]


def stored_state(project: MeltanoProject) -> dict[str, Any] | None:
    result = project.run("state", "get", STATE_ID)
    if result.returncode != 0 or not result.stdout.strip():
        return None
    return json.loads(result.stdout.strip().splitlines()[-1])


def assert_mirrors_personio(personio: SandboxServer, leapsome: SandboxServer) -> LeapsomeView:
    """Every active/leave employee has exactly one user with the right name, manager and team (the oracle)."""
    return LeapsomeView.from_state(assert_mirrors(PersonioAdmin(personio.url), LeapsomeAdmin(leapsome.url)))


@dataclass
class Scenario:
    """The shared story: what was changed in Personio, and Leapsome after each run."""

    personio: SandboxServer
    leapsome: SandboxServer
    project: MeltanoProject
    picks: dict[str, dict[str, Any]] = field(default_factory=dict)
    views: dict[str, LeapsomeView] = field(default_factory=dict)
    writes: dict[str, int] = field(default_factory=dict)
    states: dict[str, Any] = field(default_factory=dict)
    people: list[dict[str, Any]] = field(default_factory=list)  # Personio before any change


@pytest.fixture(scope="module")
def scenario(meltano_installed: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scenario]:
    tmp = tmp_path_factory.mktemp("e2e")
    with running(PersonioSandbox(employees=60, seed=7)) as personio, running(LeapsomeSandbox()) as leapsome:
        project = MeltanoProject(personio.url, leapsome.url, f"sqlite:///{tmp / 'meltano.db'}")
        hr, lead = PersonioAdmin(personio.url), LeapsomeAdmin(leapsome.url)
        story = Scenario(personio, leapsome, project)
        story.views["seed"] = view(leapsome)

        sync(project)
        story.views["initial"] = assert_mirrors_personio(personio, leapsome)
        story.states["initial"] = stored_state(project)

        people = story.people = hr.employees()
        active = [p for p in people if p["status"] == "active"]
        bosses = {p["supervisor"]["id"] for p in people if p.get("supervisor")}
        root = next(p for p in active if not p.get("supervisor"))
        leaves = [p for p in active if p["id"] not in bosses and p.get("supervisor")]
        departments = hr.departments()
        today = dt.date.today().isoformat()
        story.picks = {
            "leaver": leaves[0],
            "mover": leaves[1],
            "rehomed": leaves[2],
            "renamed_email": leaves[3],
            "retitled": leaves[4],
        }
        hire = hr.hire(
            first_name="Grace",
            last_name="Hopper",
            email="Grace.Hopper@acme.example",
            status="active",
            position="Rear Admiral",
            department=root["department"]["id"],
            supervisor=root["id"],
        )
        story.picks["hire"] = hire
        story.picks["root"] = root
        new_dept = next(d for d in departments if d["id"] != leaves[1]["department"]["id"])
        story.picks["new_department"] = new_dept
        hr.update(leaves[0]["id"], status="inactive", termination_date=today)
        hr.update(leaves[1]["id"], department=new_dept["id"])
        hr.update(leaves[2]["id"], supervisor=root["id"])
        hr.update(leaves[3]["id"], email="Renamed.Person@acme.example")
        hr.update(leaves[4]["id"], last_name="Neuname", position="Principal")
        lead.reset_counters()
        sync(project)
        story.writes["changes"] = lead.counters()["writes"]
        story.views["changes"] = assert_mirrors_personio(personio, leapsome)
        story.states["changes"] = stored_state(project)

        renamed = leaves[1]["department"]
        story.picks["renamed_department"] = renamed
        hr.update(leaves[0]["id"], status="active", termination_date=None)
        hr.rename_department(renamed["id"], f"{renamed['name']} (renamed)")
        sync(project)
        story.views["rehire"] = assert_mirrors_personio(personio, leapsome)

        lead.reset_counters()
        sync(project)
        story.writes["nothing"] = lead.counters()["writes"]
        story.views["nothing"] = view(leapsome)
        yield story


def user_of(state: LeapsomeView, employee: dict[str, Any]) -> dict[str, Any]:
    matches = [u for u in state.synced_users() if u["externalId"] == str(employee["id"])]
    assert len(matches) == 1, f"expected one user for employee {employee['id']}, found {len(matches)}"
    return matches[0]


def test_initial_sync_creates_users_teams_and_managers(scenario: Scenario) -> None:
    state = scenario.views["initial"]
    people = scenario.people
    assert len(state.synced_users()) == sum(1 for p in people if p["status"] in SYNCED_STATUSES)
    assert state.synced_teams()
    assert any(u.get("manager") for u in state.synced_users())


def test_initial_sync_stores_a_bookmark(scenario: Scenario) -> None:
    state = scenario.states["initial"]
    assert state is not None
    bookmark = state["singer_state"]["bookmarks"]["employees"]
    assert bookmark.get("replication_key") == "last_modified_at"
    assert bookmark.get("replication_key_value")


def test_hand_made_users_and_teams_are_untouched(scenario: Scenario) -> None:
    seed, final = scenario.views["seed"], scenario.views["nothing"]
    assert seed.hand_made_users()
    assert seed.hand_made_teams()
    assert final.hand_made_users() == seed.hand_made_users()
    assert final.hand_made_teams() == seed.hand_made_teams()


def test_hire_gets_a_user_with_manager_and_team(scenario: Scenario) -> None:
    state = scenario.views["changes"]
    user = user_of(state, scenario.picks["hire"])
    assert user["userName"] == "grace.hopper@acme.example"
    assert user["active"]
    assert user["title"] == "Rear Admiral"
    assert user["manager"] == user_of(state, scenario.picks["root"])["id"]


def test_leaver_is_deactivated_not_deleted(scenario: Scenario) -> None:
    user = user_of(scenario.views["changes"], scenario.picks["leaver"])
    assert user["active"] is False


def test_rehire_is_reactivated(scenario: Scenario) -> None:
    user = user_of(scenario.views["rehire"], scenario.picks["leaver"])
    assert user["active"] is True


def test_department_move_changes_team(scenario: Scenario) -> None:
    state = scenario.views["changes"]
    user = user_of(state, scenario.picks["mover"])
    teams = {state.groups[t]["externalId"] for t in user["teams"]}
    assert f"personio-department-{scenario.picks['new_department']['id']}" in teams
    assert f"personio-department-{scenario.picks['mover']['department']['id']}" not in teams


def test_department_rename_renames_the_team(scenario: Scenario) -> None:
    renamed = scenario.picks["renamed_department"]
    state = scenario.views["rehire"]
    teams = [g for g in state.synced_teams() if g["externalId"] == f"personio-department-{renamed['id']}"]
    assert len(teams) == 1
    assert teams[0]["displayName"] == f"{renamed['name']} (renamed)"
    assert not any(g["displayName"] == renamed["name"] for g in state.groups.values())


def test_supervisor_change_changes_manager(scenario: Scenario) -> None:
    state = scenario.views["changes"]
    user = user_of(state, scenario.picks["rehomed"])
    assert user["manager"] == user_of(state, scenario.picks["root"])["id"]


def test_email_change_renames_the_user(scenario: Scenario) -> None:
    before = user_of(scenario.views["initial"], scenario.picks["renamed_email"])
    after = user_of(scenario.views["changes"], scenario.picks["renamed_email"])
    assert after["id"] == before["id"]
    assert after["userName"] == "renamed.person@acme.example"


def test_name_and_title_change(scenario: Scenario) -> None:
    user = user_of(scenario.views["changes"], scenario.picks["retitled"])
    assert user["familyName"] == "Neuname"
    assert user["title"] == "Principal"


def test_incremental_run_advances_the_bookmark(scenario: Scenario) -> None:
    first = scenario.states["initial"]["singer_state"]["bookmarks"]["employees"]["replication_key_value"]
    second = scenario.states["changes"]["singer_state"]["bookmarks"]["employees"]["replication_key_value"]
    assert second > first


def test_no_change_run_writes_nothing(scenario: Scenario) -> None:
    assert scenario.writes["nothing"] == 0
    assert scenario.writes["changes"] > 0


def test_snapshot_deactivates_an_employee_deleted_in_personio(
    pipeline: MeltanoProject, personio_sandbox, leapsome_sandbox
) -> None:
    sync(pipeline)
    people = PersonioAdmin(personio_sandbox.url).employees()
    bosses = {p["supervisor"]["id"] for p in people if p.get("supervisor")}
    gone = next(p for p in people if p["status"] == "active" and p["id"] not in bosses)
    PersonioAdmin(personio_sandbox.url).delete(gone["id"])
    sync(pipeline)  # incremental: the deleted employee is simply not mentioned
    assert user_of(view(leapsome_sandbox), gone)["active"] is True
    sync(pipeline, "--full-refresh")  # a complete snapshot: now the absence means something
    assert user_of(view(leapsome_sandbox), gone)["active"] is False
    assert_mirrors_personio(personio_sandbox, leapsome_sandbox)


def test_failed_run_exits_non_zero_and_keeps_the_bookmark(
    pipeline: MeltanoProject, personio_sandbox, leapsome_sandbox
) -> None:
    sync(pipeline)
    before = stored_state(pipeline)
    people = PersonioAdmin(personio_sandbox.url).employees()
    changed = next(p for p in people if p["status"] == "active")
    PersonioAdmin(personio_sandbox.url).update(changed["id"], position="Changed Title")
    LeapsomeAdmin(leapsome_sandbox.url).knobs(fault_rate=1.0)
    pipeline.extra_env = {"TARGET_LEAPSOME_MAX_RETRIES": "1"}  # fail fast: every Leapsome request answers 5xx
    result = pipeline.run("run", "tap-personio", "target-leapsome")
    pipeline.extra_env = None
    assert result.returncode != 0
    assert stored_state(pipeline) == before
    LeapsomeAdmin(leapsome_sandbox.url).knobs(fault_rate=0.0)
    sync(pipeline)
    assert user_of(view(leapsome_sandbox), changed)["title"] == "Changed Title"


def test_revoked_supervisor_and_department_permissions_clear_nothing(
    pipeline: MeltanoProject, personio_sandbox, leapsome_sandbox
) -> None:
    """Personio silently drops attributes the credential may no longer read; that is not "nobody has a manager"."""
    sync(pipeline)
    before = view(leapsome_sandbox)
    PersonioAdmin(personio_sandbox.url).hide("supervisor", "department")
    LeapsomeAdmin(leapsome_sandbox.url).reset_counters()
    sync(pipeline, "--full-refresh")  # a complete snapshot in which every employee lacks both attributes
    after = view(leapsome_sandbox)
    assert LeapsomeAdmin(leapsome_sandbox.url).counters()["writes"] == 0
    assert {u["id"]: (u.get("manager"), sorted(u["teams"])) for u in after.synced_users()} == {
        u["id"]: (u.get("manager"), sorted(u["teams"])) for u in before.synced_users()
    }
