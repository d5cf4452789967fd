"""Helpers for the tap's tests: run the tap in-process against a sandbox and read its Singer output."""

from __future__ import annotations

import io
import json
from contextlib import redirect_stdout
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pytest
from tap_personio.tap import TapPersonio

from harness.admin import PersonioAdmin
from sandbox.core import SandboxServer
from sandbox.personio import CLIENT_ID, CLIENT_SECRET


def tap_config(server: SandboxServer, **overrides: Any) -> dict[str, Any]:
    """A config for the sandbox; fast retries so fault tests stay short."""
    return {
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "base_url": server.url,
        "retry_backoff_seconds": 0.05,
        **overrides,
    }


@dataclass
class Run:
    messages: list[dict[str, Any]] = field(default_factory=list)
    error: BaseException | None = None

    def of(self, kind: str, stream: str | None = None) -> list[dict[str, Any]]:
        return [m for m in self.messages if m["type"] == kind and (stream is None or m.get("stream") == stream)]

    def records(self, stream: str = "employees") -> list[dict[str, Any]]:
        return [m["record"] for m in self.of("RECORD", stream)]

    @property
    def state(self) -> dict[str, Any]:
        states = self.of("STATE")
        return states[-1]["value"] if states else {}


def run_tap(config: dict[str, Any], state: dict[str, Any] | None = None, *, expect_error: bool = False) -> Run:
    """Sync every stream in-process and parse what the tap wrote to stdout."""
    buffer = io.StringIO()
    run = Run()
    tap = TapPersonio(config=config, state=state or {}, parse_env_config=False)
    with redirect_stdout(buffer):
        try:
            tap.sync_all()
        except Exception as exc:
            if not expect_error:
                raise
            run.error = exc
    run.messages = [json.loads(line) for line in buffer.getvalue().splitlines() if line.strip()]
    if expect_error and run.error is None:
        pytest.fail("the tap was expected to fail")
    return run


def personio(server: SandboxServer) -> PersonioAdmin:
    """The sandbox's typed admin client (`harness.admin`)."""
    return PersonioAdmin(server.url, timeout=10)


def employee_requests(server: SandboxServer) -> int:
    return int(personio(server).counters()["by_route"].get("GET employees", 0))


@pytest.fixture
def kit() -> SimpleNamespace:
    """The helpers above, for test modules (conftest modules cannot be imported under importlib mode)."""
    return SimpleNamespace(run=run_tap, config=tap_config, personio=personio, employee_requests=employee_requests)
