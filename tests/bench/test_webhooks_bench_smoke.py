"""Smoke test of `python -m bench.webhooks`: tiny size, short quiet period, so the long benchmark cannot rot."""

from __future__ import annotations

import pytest

from bench.sections import WEBHOOKS_HEADING
from bench.webhooks import main


@pytest.mark.slow
def test_webhooks_bench_smoke(tmp_path, capsys):
    results = tmp_path / "RESULTS.md"
    results.write_text("# Benchmarks\n\n## Kept\n\nother text\n")
    args = ["--trials", "1", "--burst-trials", "1", "--quiet-period", "0.3", "--max-delay", "2", "--employees", "120"]
    assert main([*args, "--results", str(results), "--workdir", str(tmp_path / "work")]) == 0
    text = results.read_text()
    assert "## Kept\n\nother text" in text
    assert text.count(WEBHOOKS_HEADING) == 1
    assert "| single change | 1 |" in text
    assert "| burst of 50 | 1 |" in text
    assert "runs 1" in capsys.readouterr().out
