"""Sandboxes as child processes, for the demo and the benchmarks (tests run them in-process instead)."""

from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import requests

from harness.admin import LeapsomeAdmin, PersonioAdmin, SandboxAdmin

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class SandboxProcess:
    """One `python -m sandbox ...` child; `personio_admin` / `leapsome_admin` talk to its `/_admin` surface."""

    kind: str
    port: int
    process: subprocess.Popen[bytes]
    session: requests.Session = field(default_factory=requests.Session)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def shared_admin(self) -> SandboxAdmin:
        """The admin routes both sandboxes have (counters, knobs)."""
        return SandboxAdmin(self.url, session=self.session)

    @property
    def personio_admin(self) -> PersonioAdmin:
        assert self.kind == "personio", f"the {self.kind} sandbox is not Personio"
        return PersonioAdmin(self.url, session=self.session)

    @property
    def leapsome_admin(self) -> LeapsomeAdmin:
        assert self.kind == "leapsome", f"the {self.kind} sandbox is not Leapsome"
        return LeapsomeAdmin(self.url, session=self.session)

    def admin(self, method: str, path: str, payload: Any = None) -> Any:
        """Compatibility for callers not yet on the typed clients above (demo/__main__.py)."""
        return self.shared_admin.request(method, path, payload)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.session.close()


def start_sandbox(kind: str, port: int, *options: str, log: Path | None = None) -> SandboxProcess:
    """Start a sandbox and wait until it answers; fail loudly if the port is taken or it dies."""
    out = log.open("wb") if log else subprocess.DEVNULL
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "sandbox", kind, "--port", str(port), *options],
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    finally:
        if not isinstance(out, int):
            out.close()  # the child holds its own copy; ours would leak (a ResourceWarning)
    sandbox = SandboxProcess(kind, port, process)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the {kind} sandbox exited with {process.returncode} (is port {port} in use?)")
        try:
            sandbox.session.get(f"{sandbox.url}/_admin/counters", timeout=1).raise_for_status()
            return sandbox
        except requests.RequestException:
            time.sleep(0.2)
    sandbox.stop()
    raise RuntimeError(f"the {kind} sandbox did not answer on port {port} within 120 s")


class Sandboxes:
    """Both sandboxes for the length of a `with` block; always stopped, even on errors."""

    def __init__(self) -> None:
        self.running: list[SandboxProcess] = []

    def start(self, kind: str, port: int, *options: str, log: Path | None = None) -> SandboxProcess:
        sandbox = start_sandbox(kind, port, *options, log=log)
        self.running.append(sandbox)
        return sandbox

    def __enter__(self) -> Sandboxes:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        for sandbox in reversed(self.running):
            sandbox.stop()
