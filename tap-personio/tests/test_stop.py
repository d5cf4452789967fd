"""A stopped tap says it stopped: exit 128 + the signal, no ACTIVATE_VERSION, no state past what was read."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

TAP = str(Path(sys.executable).with_name("tap-personio"))


def test_sigterm_mid_snapshot_stops_without_activating_it(kit, personio_factory, tmp_path):
    server = personio_factory(employees=1500, latency_ms=40)
    config = tmp_path / "config.json"
    config.write_text(json.dumps(kit.config(server, page_size=25)))
    env = {k: v for k, v in os.environ.items() if not k.startswith("TAP_PERSONIO_")}
    with (tmp_path / "tap.log").open("w") as log:
        tap = subprocess.Popen([TAP, "--config", str(config)], stdout=subprocess.PIPE, stderr=log, text=True, env=env)
    assert tap.stdout is not None
    lines: list[str] = []
    for line in tap.stdout:  # read until the snapshot is under way
        lines.append(line)
        if sum('"RECORD"' in seen and '"employees"' in seen for seen in lines) >= 60:
            break
    stopped_at = time.monotonic()
    tap.send_signal(signal.SIGTERM)
    rest, _ = tap.communicate(timeout=60)
    took = time.monotonic() - stopped_at
    lines.extend(rest.splitlines(keepends=True))
    stderr = (tmp_path / "tap.log").read_text()
    assert tap.returncode == 128 + signal.SIGTERM, stderr[-3000:]
    assert took < 10, f"stopping took {took:.1f} s"
    messages = [json.loads(line) for line in lines if line.strip()]  # every line whole
    records = [m["record"] for m in messages if m["type"] == "RECORD" and m["stream"] == "employees"]
    assert 60 <= len(records) < 1500
    assert not [m for m in messages if m["type"] == "ACTIVATE_VERSION" and m["stream"] == "employees"]
    newest = max(r["last_modified_at"] for r in records)
    for state in (m["value"] for m in messages if m["type"] == "STATE"):
        bookmark = state.get("bookmarks", {}).get("employees", {}).get("replication_key_value")
        assert bookmark is None or bookmark <= newest, "no state past what was read"
    assert "Gracefully shutting down" not in stderr
    assert "tap-personio stopped by SIGTERM" in stderr
    assert "no ACTIVATE_VERSION" in stderr
