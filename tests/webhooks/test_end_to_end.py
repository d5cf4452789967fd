"""Personio sandbox -> webhook -> receiver -> the real `tap-personio | target-leapsome` -> Leapsome sandbox.

The receiver's command is `python -m harness.incremental`, the plain incremental run the daily schedule
makes (without Meltano's start-up time), so the same command also shows that events lost in transit are
picked up by the next scheduled run.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests
from personio_webhooks.cli import main as webhooks_cli

from sandbox.core import SandboxServer
from sandbox.personio import CLIENT_ID, CLIENT_SECRET
from tests.webhooks.conftest import TOKEN, ReceiverProcess, free_port

pytestmark = pytest.mark.slow
HIRE = {"first_name": "Ada", "last_name": "Lovelace", "email": "ada.lovelace@acme.example", "status": "active"}


def admin(server: SandboxServer, method: str, path: str, payload: Any = None) -> Any:
    answer = requests.request(method, f"{server.url}/_admin/{path}", json=payload, timeout=10)
    answer.raise_for_status()
    return answer.json() if answer.content else None


def incremental(personio: SandboxServer, leapsome: SandboxServer, workdir: Path) -> list[str]:
    return [sys.executable, "-m", "harness.incremental", "--personio", personio.url, "--leapsome", leapsome.url,
            "--workdir", str(workdir)]  # fmt: skip


def run_plainly(command: list[str]) -> None:
    subprocess.run(command, check=True, timeout=300, capture_output=True)


def in_leapsome(leapsome: SandboxServer, external_id: int) -> bool:
    users = admin(leapsome, "GET", "state")["users"]
    return any(u.get("externalId") == str(external_id) and u["active"] for u in users)


def subscribe(personio: SandboxServer, url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TAP_PERSONIO_BASE_URL", personio.url)
    monkeypatch.setenv("TAP_PERSONIO_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("TAP_PERSONIO_CLIENT_SECRET", CLIENT_SECRET)
    monkeypatch.setenv("PERSONIO_WEBHOOKS_TOKEN", TOKEN)
    assert webhooks_cli(["subscribe", "--url", url]) == 0


def test_a_hire_reaches_leapsome_through_the_webhook(
    personio_sandbox: SandboxServer,
    leapsome_sandbox: SandboxServer,
    receiver_factory: Callable[..., ReceiverProcess],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    command = incremental(personio_sandbox, leapsome_sandbox, tmp_path / "sync")
    run_plainly(command)  # the first run: a complete snapshot, and the bookmark
    receiver = receiver_factory(quiet=0.3, max_delay=2.0, command=" ".join(command))
    subscribe(personio_sandbox, receiver.url, monkeypatch)
    started = time.monotonic()
    hired = admin(personio_sandbox, "POST", "employees", HIRE)
    status = receiver.wait_for(lambda s: s["runs_succeeded"] == 1, timeout=120)
    assert in_leapsome(leapsome_sandbox, hired["id"])
    assert time.monotonic() - started < 60
    assert status["events_received"] == 2  # person.created and employment.created: one run
    assert status["runs_started"] == 1
    assert admin(personio_sandbox, "GET", "webhooks")["counters"]["delivered"] == 2


def test_events_lost_while_the_receiver_is_down_are_picked_up_by_the_next_scheduled_run(
    personio_sandbox: SandboxServer, leapsome_sandbox: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    command = incremental(personio_sandbox, leapsome_sandbox, tmp_path / "sync")
    run_plainly(command)
    admin(personio_sandbox, "POST", "webhooks", {"retry_delays": [0.05, 0.05]})
    subscribe(personio_sandbox, f"http://127.0.0.1:{free_port()}/webhooks/personio", monkeypatch)  # nobody listens
    hired = admin(personio_sandbox, "POST", "employees", HIRE)
    deadline = time.monotonic() + 20
    while admin(personio_sandbox, "GET", "webhooks")["counters"]["gave_up"] < 2:
        assert time.monotonic() < deadline, "the sandbox did not give up on the deliveries"
        time.sleep(0.05)
    assert not in_leapsome(leapsome_sandbox, hired["id"])
    run_plainly(command)  # the daily incremental run: reads every change since its bookmark
    assert in_leapsome(leapsome_sandbox, hired["id"])
