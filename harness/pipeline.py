"""Run `tap-personio | target-leapsome` directly (no Meltano), measuring each side.

Meltano adds start-up time and hides the processes; the benchmarks and the fault tests want the two
plugin processes themselves: their exit codes, logs, the state the target emits, and each one's peak
memory (from `os.wait4`, which reports one child's own rusage).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BIN = Path(sys.executable).parent


@dataclass
class PluginRun:
    """How one plugin process ended."""

    returncode: int
    peak_rss_mb: float
    stderr: str


@dataclass
class PipelineRun:
    """The outcome of one tap → target run."""

    tap: PluginRun
    target: PluginRun
    wall_seconds: float
    state: dict[str, Any] | None
    stdout_lines: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.tap.returncode == 0 and self.target.returncode == 0

    def logs(self) -> str:
        return self.tap.stderr + self.target.stderr + "\n".join(self.stdout_lines)


def _wait(process: subprocess.Popen[bytes]) -> tuple[int, float]:
    _pid, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return process.returncode, usage.ru_maxrss / 1024.0


def _state_of(line: str) -> dict[str, Any] | None:
    """The state in one line of a target's stdout, if it holds one.

    singer-sdk targets write the bare state object (the Singer target convention Meltano reads); a
    `{"type": "STATE", "value": ...}` message is accepted too.
    """
    try:
        message = json.loads(line)
    except ValueError:
        return None
    if not isinstance(message, dict):
        return None
    if message.get("type") == "STATE":
        value = message.get("value")
        return value if isinstance(value, dict) else None
    return None if "type" in message else message


def run_pipeline(
    workdir: Path,
    tap_config: dict[str, Any],
    target_config: dict[str, Any],
    state: dict[str, Any] | None = None,
    timeout: float = 900,
) -> PipelineRun:
    """Pipe the tap into the target with the given configs and input state; return what happened."""
    workdir.mkdir(parents=True, exist_ok=True)
    tap_cfg, target_cfg = workdir / "tap.json", workdir / "target.json"
    tap_cfg.write_text(json.dumps(tap_config))
    target_cfg.write_text(json.dumps(target_config))
    tap_cmd = [str(BIN / "tap-personio"), "--config", str(tap_cfg)]
    if state:
        state_file = workdir / "state.json"
        state_file.write_text(json.dumps(state))
        tap_cmd += ["--state", str(state_file)]
    tap_err, target_err = workdir / "tap.log", workdir / "target.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TAP_PERSONIO_", "TARGET_LEAPSOME_"))}
    started = time.monotonic()
    with tap_err.open("wb") as terr, target_err.open("wb") as gerr:
        tap = subprocess.Popen(tap_cmd, stdout=subprocess.PIPE, stderr=terr, env=env)
        target = subprocess.Popen(
            [str(BIN / "target-leapsome"), "--config", str(target_cfg)],
            stdin=tap.stdout,
            stdout=subprocess.PIPE,
            stderr=gerr,
            env=env,
        )
        assert tap.stdout is not None
        assert target.stdout is not None
        tap.stdout.close()  # the target owns the read end now
        with target.stdout:  # closed here, or the pipe's file object leaks (a ResourceWarning)
            out = target.stdout.read().decode("utf-8")
        target_code, target_rss = _wait(target)
        tap_code, tap_rss = _wait(tap)
    wall = time.monotonic() - started
    if wall > timeout:
        raise TimeoutError(f"pipeline took {wall:.0f} s (limit {timeout:.0f} s)")
    lines = [line for line in out.splitlines() if line.strip()]
    states = [state for state in map(_state_of, lines) if state is not None]
    return PipelineRun(
        tap=PluginRun(tap_code, tap_rss, tap_err.read_text(errors="replace")),
        target=PluginRun(target_code, target_rss, target_err.read_text(errors="replace")),
        wall_seconds=wall,
        state=states[-1] if states else None,
        stdout_lines=lines,
    )
