"""A stand-in sync command for the receiver tests: logs its start and end, sleeps, exits as told.

`python fake_sync.py DIR`: appends `start` to DIR/runs, sleeps the seconds in DIR/sleep (default 0),
appends `end`, and exits with the status in DIR/exit (default 0). The files are read at each start, so
a test can change the next run's behaviour between runs.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path


def read(path: Path, default: str) -> str:
    return path.read_text().strip() if path.exists() else default


def main() -> int:
    folder = Path(sys.argv[1])
    with (folder / "runs").open("a") as log:
        log.write(f"start {time.time():.3f}\n")
    time.sleep(float(read(folder / "sleep", "0")))
    with (folder / "runs").open("a") as log:
        log.write(f"end {time.time():.3f}\n")
    return int(read(folder / "exit", "0"))


if __name__ == "__main__":
    sys.exit(main())
