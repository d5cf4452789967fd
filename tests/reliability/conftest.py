"""Reliability fixtures: every test's logs, reports and states are read for secrets when it ends."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.reliability.support import LEDGER


@pytest.fixture(autouse=True)
def no_secret_written(tmp_path: Path) -> Iterator[None]:
    """After each test: no client secret, Personio token or Leapsome token in anything the runs wrote."""
    LEDGER.artifact_dirs.append(tmp_path)
    yield
    found = LEDGER.scan()
    assert not found, f"secrets written to logs, reports or state: {found}"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The reliability counts (faults, kill points, bad inputs), from the sandboxes' counters and the tests' records."""
    if not LEDGER.artifact_dirs:
        return
    faults = ", ".join(f"{kind} {n}" for kind, n in sorted(LEDGER.faults.items())) or "none"
    terminalreporter.write_sep("-", "reliability")
    terminalreporter.write_line(f"faults injected: {sum(LEDGER.faults.values())} ({faults})")
    terminalreporter.write_line(f"kill points survived: {len(LEDGER.kill_points)} (at writes {LEDGER.kill_points})")
    terminalreporter.write_line(f"bad inputs tried: {len(LEDGER.bad_inputs)} ({', '.join(LEDGER.bad_inputs)})")
    terminalreporter.write_line(
        f"secrets found: {len(LEDGER.secrets_found)} in {LEDGER.scanned_files} artifact reads "
        f"(tokens minted by {len(LEDGER.personio_servers)} Personio sandboxes)"
    )
