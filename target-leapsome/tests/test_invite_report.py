"""With a Content API secret, a run reports the synced users who have not accepted their invitation."""

from __future__ import annotations

import json

from sandbox.leapsome import CONTENT_API_SECRET


def test_the_report_lists_who_has_not_accepted_yet(leapsome, singer, tmp_path):
    people = [singer.employee(1, first="Ada", last="Boss"), singer.employee(2, supervisor=1)]
    path = tmp_path / "report.json"
    config = {
        "content_api_secret": CONTENT_API_SECRET,
        "content_base_url": f"{leapsome.url}/v1",
        "report_path": str(path),
    }
    result = leapsome.run(singer.input(people), **config)
    assert result.ok, result.log[-3000:]
    assert "2 synced users have not accepted their Leapsome invitation yet" in result.log
    assert CONTENT_API_SECRET not in result.log
    ada = leapsome.by_external()["1"]
    leapsome.admin("PATCH", f"/users/{ada['id']}", {"invite": "accepted"})
    assert leapsome.run(singer.input(people, snapshot=False), **config).ok
    pending = json.loads(path.read_text())["pending_invites"]
    assert len(pending) == 1
    assert pending[0].startswith("person.2@acme.example")


def test_without_a_secret_nothing_is_asked(leapsome, singer, tmp_path):
    path = tmp_path / "report.json"
    assert leapsome.run(singer.input([singer.employee(1)]), report_path=str(path)).ok
    assert json.loads(path.read_text())["pending_invites"] is None
