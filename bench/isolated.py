"""Run one measured process from a small parent, so its peak RSS is its own.

Linux carries the parent's memory high-water mark into a child across fork/vfork and exec, so `wait4`'s
`ru_maxrss` of a child is at least the parent's RSS at spawn time (check: spawn `/bin/true` from a process
holding 300 MB and it "peaks" at 300 MB). The benchmark's orchestrator holds whole companies in memory,
so it never spawns a measured process itself: it asks this module, a fresh ~20 MB interpreter, to do it.

`python -m bench.isolated JOB.json` where JOB is `{"kind": "pipeline"|"naive"|"tap", ...}`; prints one JSON
line with the outcome.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from harness.pipeline import BIN, run_pipeline

ROOT = Path(__file__).resolve().parent.parent


def _spawn(command: list[str], log: Path) -> tuple[int, float, bytes, int]:
    """Run `command` to the end, reading its stdout as it comes; return exit code, peak RSS (MB), last line, RECORDs."""
    last, records = b"", 0
    with log.open("wb") as err:
        process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=err)
        assert process.stdout is not None
        with process.stdout:
            for line in process.stdout:
                records += line.startswith(b'{"type":"RECORD"')
                last = line
        _pid, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return process.returncode, usage.ru_maxrss / 1024.0, last, records


def run(job: dict[str, Any]) -> dict[str, Any]:
    workdir = Path(job["workdir"])
    workdir.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    if job["kind"] == "pipeline":
        result = run_pipeline(workdir, job["tap"], job["target"], state=job.get("state"), timeout=job["timeout"])
        return {
            "wall_s": result.wall_seconds,
            "tap_rc": result.tap.returncode,
            "target_rc": result.target.returncode,
            "rss_tap_mb": result.tap.peak_rss_mb,
            "rss_target_mb": result.target.peak_rss_mb,
            "state": result.state,
        }
    if job["kind"] == "naive":
        config = workdir / "naive.json"
        config.write_text(json.dumps(job["config"]))
        command = [sys.executable, "-m", "bench.naive", "--config", str(config)]
        code, rss, last, _ = _spawn(command, workdir / "naive.log")
        return {"wall_s": time.monotonic() - started, "rc": code, "rss_mb": rss, "summary": last.decode().strip()}
    config = workdir / "tap.json"
    config.write_text(json.dumps(job["config"]))
    code, rss, _, records = _spawn([str(BIN / "tap-personio"), "--config", str(config)], workdir / "tap.log")
    return {"wall_s": time.monotonic() - started, "rc": code, "rss_mb": rss, "records": records}


def main() -> int:
    job = json.loads(Path(sys.argv[1]).read_text())
    print(json.dumps(run(job)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
