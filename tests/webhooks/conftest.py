"""Receivers as real `personio-webhooks serve` processes on free loopback ports, stopped after each test."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

BIN = Path(sys.executable).parent
FAKE_SYNC = Path(__file__).with_name("fake_sync.py")
TOKEN = "test-webhook-token-0123456789abcdef"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class ReceiverProcess:
    """One receiver: its URL, its log file, and (with the fake sync) the folder that steers and records runs."""

    process: subprocess.Popen[bytes]
    port: int
    log: Path
    runs_dir: Path
    path: str = "/webhooks/personio"
    scheme: str = "http"

    @property
    def base(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return self.base + self.path

    def health(self, **kwargs: Any) -> dict[str, Any]:
        answer = requests.get(f"{self.base}/health", timeout=5, **kwargs)
        answer.raise_for_status()
        return dict(answer.json())

    def send(self, event: dict[str, Any] | None = None, token: str | None = TOKEN, **kwargs: Any) -> requests.Response:
        headers = {"Authorization": token} if token is not None else {}
        return requests.post(self.url, json=event or make_event(), headers=headers, timeout=5, **kwargs)

    def runs(self) -> list[str]:
        """`start`/`end` marks of the fake sync, in order."""
        path = self.runs_dir / "runs"
        return [line.split()[0] for line in path.read_text().splitlines()] if path.exists() else []

    def wait_for(self, check: Callable[[dict[str, Any]], bool], timeout: float = 20) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            status = self.health()
            if check(status):
                return status
            if time.monotonic() > deadline:
                raise AssertionError(f"not reached in {timeout} s: {status}")
            time.sleep(0.05)

    def stop(self, timeout: float = 20) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        return int(self.process.returncode)

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def make_event(name: str = "person.updated", person_id: str = "42") -> dict[str, Any]:
    return {
        "company_id": "1",
        "event_name": name,
        "occurred_at": "2026-11-25T10:00:00.000Z",
        "payload": {"id": person_id},
        "meta": {"delivery_id": "d-1"},
    }


def start_receiver(workdir: Path, env: dict[str, str], scheme: str = "http") -> ReceiverProcess:
    port = free_port()
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("PERSONIO_WEBHOOKS_")}
    full_env.update({"PERSONIO_WEBHOOKS_PORT": str(port), "PERSONIO_WEBHOOKS_TOKEN": TOKEN, **env})
    log = workdir / f"receiver-{port}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(BIN / "personio-webhooks"), "serve"], env=full_env, stdout=out, stderr=subprocess.STDOUT
        )
    receiver = ReceiverProcess(process, port, log, workdir, scheme=scheme)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"receiver exited with {process.returncode}:\n{receiver.output()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
        except OSError:
            time.sleep(0.05)
            continue
        if "Application startup complete" in receiver.output():
            return receiver
        time.sleep(0.05)
    receiver.stop()
    raise RuntimeError(f"receiver did not answer within 30 s:\n{receiver.output()}")


@pytest.fixture
def receiver_factory(tmp_path: Path) -> Iterator[Callable[..., ReceiverProcess]]:
    """`receiver_factory(quiet=0.2, max_delay=1.0, sleep=0, exit=0, **env)`: a receiver running the fake sync."""
    started: list[ReceiverProcess] = []

    def start(
        *,
        quiet: float = 0.2,
        max_delay: float = 2.0,
        sleep: float = 0.0,
        exit: int = 0,
        command: str | None = None,
        scheme: str = "http",
        **env: str,
    ) -> ReceiverProcess:
        workdir = tmp_path / f"receiver-{len(started)}"
        workdir.mkdir()
        (workdir / "sleep").write_text(str(sleep))
        (workdir / "exit").write_text(str(exit))
        settings = {
            "PERSONIO_WEBHOOKS_QUIET_PERIOD": str(quiet),
            "PERSONIO_WEBHOOKS_MAX_DELAY": str(max_delay),
            "PERSONIO_WEBHOOKS_COMMAND": command or f"{sys.executable} {FAKE_SYNC} {workdir}",
            **env,
        }
        receiver = start_receiver(workdir, settings, scheme=scheme)
        started.append(receiver)
        return receiver

    yield start
    for receiver in started:
        receiver.stop()
