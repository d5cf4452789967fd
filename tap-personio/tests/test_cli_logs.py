"""The console script as Meltano runs it: no secret or token in any output line, config errors named."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import requests

from sandbox.personio import CLIENT_ID, CLIENT_SECRET

TAP = str(Path(sys.executable).with_name("tap-personio"))


def _run(config: dict, tmp_path: Path, state: dict | None = None) -> subprocess.CompletedProcess[str]:
    config_file = tmp_path / "config.json"
    config_file.write_text(json.dumps(config))
    args = [TAP, "--config", str(config_file)]
    if state is not None:
        state_file = tmp_path / "state.json"
        state_file.write_text(json.dumps(state))
        args += ["--state", str(state_file)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("TAP_PERSONIO_")}
    env["TAP_PERSONIO_LOGLEVEL"] = "DEBUG"
    return subprocess.run(args, capture_output=True, text=True, timeout=120, env=env, check=False)


def test_no_secret_or_token_in_logs_through_faults(kit, personio_factory, tmp_path):
    server = personio_factory(employees=250, fault_rate=0.25, drop_rate=0.1, seed=11)
    kit.personio(server).hide("dynamic_21827")
    token = requests.post(
        f"{server.url}/v1/auth", json={"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}, timeout=10
    ).json()["data"]["token"]
    config = kit.config(server, page_size=25, max_retries=12)
    first = _run(config, tmp_path)
    assert first.returncode == 0, first.stderr[-2000:]
    kit.personio(server).expire_tokens()  # the next run's cached-nothing token flow and 401 path
    kit.personio(server).knobs(fault_rate=0.0, drop_rate=0.0)
    kit.personio(server).hire(first_name="Renée")
    state = json.loads([line for line in first.stdout.splitlines() if '"STATE"' in line][-1])["value"]
    second = _run(config, tmp_path, state)
    assert second.returncode == 0, second.stderr[-2000:]
    counters = kit.personio(server).counters()
    assert sum(counters["faults"].values()) > 0  # the run really went through retries
    assert "retry" in first.stderr
    for output in (first.stderr, first.stdout, second.stderr, second.stdout):
        assert CLIENT_SECRET not in output
        assert token not in output
        assert "papi-" not in output


def test_wrong_secret_fails_without_echoing_it(kit, personio_sandbox, tmp_path):
    wrong = "wrong-secret-do-not-print-4711"
    result = _run(kit.config(personio_sandbox, client_secret=wrong), tmp_path)
    assert result.returncode != 0
    assert "client_secret" in result.stderr  # the message names the setting to check
    assert wrong not in result.stderr + result.stdout


def test_invalid_base_url_is_named_at_start(kit, personio_sandbox, tmp_path):
    result = _run(kit.config(personio_sandbox, base_url="http://api.personio.example"), tmp_path)
    assert result.returncode != 0
    assert "base_url" in result.stderr
    assert kit.personio(personio_sandbox).counters()["total"] == 0
