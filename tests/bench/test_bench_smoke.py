"""Smoke test of `python -m bench`: the whole code path at a tiny size, so the long benchmark cannot rot."""

from __future__ import annotations

import time

import pytest

from bench.cli import main
from bench.report import COLUMNS


@pytest.mark.slow
def test_bench_smoke(tmp_path, capsys):
    results = tmp_path / "RESULTS.md"
    started = time.monotonic()
    code = main(
        [
            "--sizes",
            "30",
            "--tap-only-size",
            "100",
            "--latency-ms",
            "0",
            "--parallel",
            "--heartbeat",
            "5",
            "--results",
            str(results),
            "--workdir",
            str(tmp_path / "work"),
        ]
    )
    elapsed = time.monotonic() - started
    out = capsys.readouterr().out
    assert code == 0, out[-4000:]
    assert elapsed < 60

    text = results.read_text()
    assert "Partial" not in text
    assert "CPU:" in text
    assert "Python" in text
    header = next(line for line in text.splitlines() if line.startswith("| N |"))
    assert [c.strip() for c in header.strip("|").split("|")] == list(COLUMNS)
    rows = [
        [c.strip() for c in line.strip("|").split("|")]
        for line in text.splitlines()
        if line.startswith(("| 30 ", "| 100 "))
    ]
    by_key = {(r[0], r[1], r[2]): dict(zip(COLUMNS, r, strict=True)) for r in rows}
    for sync in ("ours", "naive"):
        for scenario in ("initial", "no-change", "1% change", "snapshot"):
            row = by_key[("30", scenario, sync)]
            assert row["result"] == "ok", row
            assert float(row["wall s"]) > 0
    assert ("100", "snapshot (tap alone)", "tap only") in by_key

    ours = {s: by_key[("30", s, "ours")] for s in ("initial", "no-change", "1% change", "snapshot")}
    assert int(ours["no-change"]["Leapsome writes"]) == 0
    assert int(ours["snapshot"]["Leapsome writes"]) == 0
    initial_writes = int(ours["initial"]["Leapsome writes"])
    floor_writes = int(ours["initial"]["floor: Personio / L reads / L writes"].split("/")[2].replace(",", ""))
    assert initial_writes >= floor_writes > 0
    # the naive script redoes everything on every run
    assert int(by_key[("30", "no-change", "naive")]["Leapsome writes"]) > 0
    assert "## Targets" in text
