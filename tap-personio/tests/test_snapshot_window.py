"""A snapshot's completeness check looks for hires during the pass only, with or without `created_at`.

250 employees in pages of 100: a pass is 3 employee requests and, when it holds, one check (4 in all); a
pass the check rejects is read again (3 + 1 + 3 + 1 = 8). Mid-pass changes run inside the sandbox's answer
to the first page (`after_employee_requests`), so they land between pages 1 and 2, never a page late.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from tap_personio.scan import EmployeeScanStream

ONE_PASS = 3 + 1
TWO_PASSES = 3 + 1 + 3 + 1
VISIBILITY = pytest.mark.parametrize("hidden", [[], ["created_at"]], ids=["created_at", "created_at hidden"])


def hire_back_then(server, monkeypatch, seconds: int) -> int:
    """Hire someone with the sandbox's clock set back: created (and last modified) `seconds` ago."""
    back_then = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=seconds)
    app = server.app
    with monkeypatch.context() as patch, app.lock:
        patch.setattr("sandbox.personio.store.now", lambda: back_then)
        return int(app.company.hire({"first_name": "Early"})["id"])


def after_first_page(server, action: str, run) -> None:
    """Run `run` inside the sandbox's answer to the next employees-list request."""
    server.app.after_employee_requests(1, run, {"action": action})


def snapshot(kit, server, hidden: list[str]):
    kit.personio(server).hide(*hidden)
    kit.personio(server).reset_counters()
    run = kit.run(kit.config(server))
    ids = [r["id"] for r in run.records()]
    assert len(ids) == len(set(ids))
    assert len(run.of("ACTIVATE_VERSION", "employees")) == 1
    return run, set(ids)


@VISIBILITY
def test_a_hire_a_minute_before_the_snapshot_needs_one_pass(kit, personio_factory, monkeypatch, hidden):
    server = personio_factory(employees=250)
    minute = timedelta(seconds=60)
    assert minute > EmployeeScanStream.CLOCK_MARGIN  # else this hire would rightly count
    hired = hire_back_then(server, monkeypatch, int(minute.total_seconds()))
    _, ids = snapshot(kit, server, hidden)
    assert hired in ids
    assert ids == {p["id"] for p in kit.personio(server).employees()}
    assert kit.employee_requests(server) == ONE_PASS  # the old 300 s look-back counted the hire: TWO_PASSES


@VISIBILITY
def test_a_hire_during_the_pass_is_read_again_and_included(kit, personio_factory, hidden):
    """A deletion and a hire after page 1 keep every total at 250; only the check can tell."""
    server = personio_factory(employees=250)
    people = kit.personio(server).employees()
    directory = server.app.company
    hired: dict[str, int] = {}
    after_first_page(server, "delete", lambda: directory.delete(people[49]["id"]))
    after_first_page(server, "hire", lambda: hired.setdefault("id", directory.hire({"first_name": "Late"})["id"]))
    _, ids = snapshot(kit, server, hidden)
    remaining = {p["id"] for p in kit.personio(server).employees()}
    assert hired["id"] in ids
    assert people[100]["id"] in ids  # slid from page 2 into the already-read page 1: only pass 2 reads it
    assert ids == remaining | {people[49]["id"]}
    assert kit.employee_requests(server) == TWO_PASSES


@VISIBILITY
@pytest.mark.parametrize("whom", [0, 200], ids=["read before the edit", "read after the edit"])
def test_an_edit_during_the_pass_needs_one_pass(kit, personio_factory, hidden, whom):
    server = personio_factory(employees=250)
    people = kit.personio(server).employees()
    edited = people[whom]["id"]
    after_first_page(server, "update", lambda: server.app.company.update(edited, {"position": "Edited mid-pass"}))
    _, ids = snapshot(kit, server, hidden)
    assert ids == {p["id"] for p in people}
    assert kit.personio(server).employee(edited)["position"] == "Edited mid-pass"
    assert kit.employee_requests(server) == ONE_PASS  # created_at hidden: the old check counted it as a hire


def test_an_edit_of_the_highest_id_with_created_at_hidden_is_read_again(kit, personio_factory):
    """Without `created_at` the last row of the last page cannot be told from a hire: the one false alarm left."""
    server = personio_factory(employees=250)
    people = kit.personio(server).employees()
    edited = people[-1]["id"]
    after_first_page(server, "update", lambda: server.app.company.update(edited, {"position": "Edited mid-pass"}))
    _, ids = snapshot(kit, server, ["created_at"])
    assert ids == {p["id"] for p in people}
    assert kit.employee_requests(server) == TWO_PASSES
