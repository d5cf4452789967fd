"""Load the tap into MeltanoLabs' target-postgres: its own pinned venv, and a plain `tap | target` pipe.

A pipe instead of `meltano run` because the warehouse test needs no Meltano feature, and three Meltano runs
would cost more start-up than the loads themselves. The venv lives in `.venv-target-postgres/` (git-ignored)
and is reused while it holds the pinned version.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from harness.processes import ROOT

TARGET_POSTGRES = "meltanolabs-target-postgres==0.8.1"
VENV = ROOT / ".venv-target-postgres"
TAP = Path(sys.executable).with_name("tap-personio")


def target_postgres() -> Path:
    """The target-postgres executable, installing the pinned version into its venv first when needed."""
    executable, marker = VENV / "bin" / "target-postgres", VENV / "installed.txt"
    if executable.exists() and marker.exists() and marker.read_text().strip() == TARGET_POSTGRES:
        return executable
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(VENV)], check=True, capture_output=True)
    subprocess.run(
        [str(VENV / "bin" / "python"), "-m", "pip", "install", "--quiet", TARGET_POSTGRES],
        check=True,
        capture_output=True,
        timeout=900,
    )
    marker.write_text(TARGET_POSTGRES + "\n")
    return executable


def load(
    tap_config: dict[str, Any],
    target_config: dict[str, Any],
    folder: Path,
    state: dict[str, Any] | None = None,
    env: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Run `tap-personio | target-postgres` once; return the last state the target confirmed.

    Raises with both programs' stderr tails when either fails.
    """
    folder.mkdir(parents=True, exist_ok=True)
    tap_file, target_file = folder / "tap.json", folder / "target.json"
    tap_file.write_text(json.dumps(tap_config))
    target_file.write_text(json.dumps(target_config))
    tap_cmd = [str(TAP), "--config", str(tap_file)]
    if state:
        (folder / "state.json").write_text(json.dumps(state))
        tap_cmd += ["--state", str(folder / "state.json")]
    run_env = {**os.environ, **(env or {})}
    with (folder / "tap.log").open("w") as tap_log, (folder / "target.log").open("w") as target_log:
        tap = subprocess.Popen(tap_cmd, stdout=subprocess.PIPE, stderr=tap_log, env=run_env)
        target = subprocess.run(
            [str(target_postgres()), "--config", str(target_file)],
            stdin=tap.stdout,
            stdout=subprocess.PIPE,
            stderr=target_log,
            env=run_env,
            check=False,
            timeout=600,
        )
        if tap.stdout is not None:
            tap.stdout.close()
        tap_code = tap.wait(timeout=60)
    if tap_code or target.returncode:
        tails = {name: (folder / f"{name}.log").read_text()[-3000:] for name in ("tap", "target")}
        raise RuntimeError(f"tap exited {tap_code}, target exited {target.returncode}: {tails}")
    states = [line for line in target.stdout.decode().splitlines() if line.strip()]
    return dict(json.loads(states[-1])) if states else {}
