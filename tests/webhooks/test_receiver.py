"""The receiver over HTTP, as a real process: authentication, validation, acknowledgements, runs, shutdown."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import requests

from tests.webhooks.conftest import TOKEN, ReceiverProcess, make_event

Factory = Callable[..., ReceiverProcess]
STOPPED = -signal.SIGTERM  # uvicorn shuts down cleanly, then re-raises the signal it caught


@pytest.mark.parametrize("token", [None, "", "wrong-token-0123456789abcdef", f"Bearer {TOKEN}", TOKEN + "x"])
def test_unauthenticated_deliveries_are_401_and_trigger_nothing(receiver_factory: Factory, token: str | None) -> None:
    receiver = receiver_factory(quiet=0.05, max_delay=0.1)
    answer = receiver.send(token=token)
    assert answer.status_code == 401
    time.sleep(0.3)  # longer than the max delay: a run would have started
    status = receiver.health()
    assert status["rejected_unauthorized"] == 1
    assert status["events_received"] == 0
    assert status["runs_started"] == 0
    assert receiver.runs() == []


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[1, 2]",
        b'{"company_id": "1", "occurred_at": "2026-11-25T10:00:00Z", "payload": {}}',
        b'{"event_name": "person.updated", "company_id": "1", "occurred_at": "yesterday", "payload": {}}',
        b'{"event_name": "person.updated", "company_id": "1", "occurred_at": "2026-11-25T10:00:00Z", "payload": []}',
        b'{"event_name": "person.updated", "occurred_at": "2026-11-25T10:00:00Z", "payload": {}}',
    ],
)
def test_malformed_deliveries_are_400_and_trigger_nothing(receiver_factory: Factory, body: bytes) -> None:
    receiver = receiver_factory(quiet=0.05, max_delay=0.1)
    answer = requests.post(receiver.url, data=body, headers={"Authorization": TOKEN}, timeout=5)
    assert answer.status_code == 400
    time.sleep(0.3)
    status = receiver.health()
    assert (status["rejected_malformed"], status["events_received"], status["runs_started"]) == (1, 0, 0)


def test_events_of_other_kinds_are_acknowledged_and_ignored(receiver_factory: Factory) -> None:
    receiver = receiver_factory(quiet=0.05, max_delay=0.1)
    answer = receiver.send(make_event("absence-period.created"))
    assert answer.status_code == 202
    time.sleep(0.3)
    status = receiver.health()
    assert (status["events_ignored"], status["runs_started"]) == (1, 0)


def test_a_burst_becomes_one_run(receiver_factory: Factory) -> None:
    receiver = receiver_factory(quiet=0.3, max_delay=3.0)
    for number in range(20):
        assert receiver.send(make_event(person_id=str(number))).status_code == 202
    status = receiver.wait_for(lambda s: s["runs_succeeded"] == 1)
    time.sleep(0.5)  # longer than the quiet period: no second run follows
    status = receiver.health()
    assert status["events_received"] == 20
    assert status["runs_started"] == 1
    assert receiver.runs() == ["start", "end"]
    assert status["last_run"]["result"] == "ok"
    assert status["last_run"]["exit_code"] == 0


def test_the_max_delay_bounds_a_steady_trickle(receiver_factory: Factory) -> None:
    receiver = receiver_factory(quiet=0.4, max_delay=0.8)
    started = time.monotonic()
    while receiver.health()["runs_started"] == 0:
        assert time.monotonic() - started < 3, "no run within the max delay"
        receiver.send()
        time.sleep(0.1)  # never 0.4 s of quiet
    assert time.monotonic() - started < 1.6


def test_acknowledged_at_once_during_a_slow_run_and_coalesced_into_one_follow_up(receiver_factory: Factory) -> None:
    receiver = receiver_factory(quiet=0.1, max_delay=1.0, sleep=2.0)
    receiver.send()
    receiver.wait_for(lambda s: s["running"])
    slowest = 0.0
    for number in range(10):
        started = time.monotonic()
        assert receiver.send(make_event(person_id=str(number))).status_code == 202
        slowest = max(slowest, time.monotonic() - started)
    assert slowest < 0.5  # Personio's deadline is 3 s
    receiver.wait_for(lambda s: s["runs_succeeded"] == 2, timeout=15)
    time.sleep(0.4)
    status = receiver.health()
    assert status["runs_started"] == 2  # the ten events during the first run: exactly one follow-up
    assert receiver.runs() == ["start", "end", "start", "end"]


def test_a_failing_run_is_counted_and_the_next_event_retries(receiver_factory: Factory) -> None:
    receiver = receiver_factory(quiet=0.05, max_delay=0.5, exit=3)
    receiver.send()
    status = receiver.wait_for(lambda s: s["runs_failed"] == 1)
    assert status["last_run"]["result"] == "failed"
    assert status["last_run"]["exit_code"] == 3
    assert "exit status 3" in receiver.output()
    (receiver.runs_dir / "exit").write_text("0")
    receiver.send()
    status = receiver.wait_for(lambda s: s["runs_succeeded"] == 1)
    assert status["last_run"]["result"] == "ok"
    assert status["runs_started"] == 2


def test_a_command_that_cannot_start_is_a_failed_run(receiver_factory: Factory, tmp_path: Path) -> None:
    receiver = receiver_factory(quiet=0.05, max_delay=0.5, command=str(tmp_path / "no-such-command"))
    receiver.send()
    status = receiver.wait_for(lambda s: s["runs_failed"] == 1)
    assert status["last_run"]["result"] == "error"
    assert receiver.health()["status"] == "ok"


def test_shutdown_waits_for_the_running_sync(receiver_factory: Factory) -> None:
    receiver = receiver_factory(quiet=0.05, max_delay=0.5, sleep=1.5)
    receiver.send()
    receiver.wait_for(lambda s: s["running"])
    assert receiver.stop() == STOPPED
    assert receiver.runs() == ["start", "end"]  # the run finished before the receiver exited
    assert "waiting up to" in receiver.output()


def test_shutdown_terminates_a_sync_that_outlasts_the_shutdown_timeout(receiver_factory: Factory) -> None:
    receiver = receiver_factory(quiet=0.05, max_delay=0.5, sleep=60, PERSONIO_WEBHOOKS_SHUTDOWN_TIMEOUT="0.5")
    receiver.send()
    receiver.wait_for(lambda s: s["running"])
    started = time.monotonic()
    assert receiver.stop() == STOPPED
    assert time.monotonic() - started < 10
    assert receiver.runs() == ["start"]  # cut short: SIGTERM to its process group
    output = receiver.output()
    assert "terminating it" in output
    assert "terminated" in output


def test_the_token_and_payloads_never_reach_the_log(receiver_factory: Factory) -> None:
    receiver = receiver_factory(quiet=0.05, max_delay=0.5)
    event = make_event(person_id="777")
    event["payload"]["secret_note"] = "do-not-log-this"
    receiver.send(event)
    receiver.send(token="wrong-token-0123456789abcdef")
    receiver.wait_for(lambda s: s["runs_succeeded"] == 1)
    receiver.stop()
    output = receiver.output()
    assert "event person.updated id=777" in output
    assert TOKEN not in output
    assert "wrong-token" not in output
    assert "do-not-log-this" not in output


def test_refuses_to_start_without_a_token(tmp_path: Path) -> None:
    done = subprocess.run(
        [str(Path(sys.executable).parent / "personio-webhooks"), "serve"],
        env={"PATH": "/usr/bin:/bin", "PERSONIO_WEBHOOKS_TOKEN": ""},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 2
    assert "PERSONIO_WEBHOOKS_TOKEN" in done.stderr


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl to make a certificate")
def test_serves_https_with_a_certificate(receiver_factory: Factory, tmp_path: Path) -> None:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    receiver = receiver_factory(
        quiet=0.05, max_delay=0.5, scheme="https", PERSONIO_WEBHOOKS_SSL_CERTFILE=str(cert),
        PERSONIO_WEBHOOKS_SSL_KEYFILE=str(key),
    )  # fmt: skip
    assert receiver.send(verify=str(cert)).status_code == 202
    deadline = time.monotonic() + 10
    while receiver.health(verify=str(cert))["runs_succeeded"] < 1:
        assert time.monotonic() < deadline
        time.sleep(0.05)
