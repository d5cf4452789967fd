"""The Meltano project around the plugins: schedules, state in PostgreSQL, and the tap feeding a foreign target."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import psycopg
import pytest
import requests

from harness.meltano import MeltanoProject

pytestmark = pytest.mark.e2e

STATE_ID = "dev:tap-personio-to-target-leapsome"


def test_schedules_cover_the_daily_job_and_a_periodic_snapshot(pipeline: MeltanoProject) -> None:
    result = pipeline.run("schedule", "list", "--format=json", check=True)
    listing = json.loads(result.stdout)
    schedules = {s["name"]: s for s in listing["schedules"]["job"]}
    daily = schedules["daily-personio-to-leapsome"]
    assert daily["interval"] == "@daily"
    assert daily["job"]["tasks"] == ["tap-personio target-leapsome"]
    snapshot = schedules["weekly-personio-snapshot"]
    assert snapshot["job"]["tasks"] == daily["job"]["tasks"]
    assert snapshot["env"]["MELTANO_RUN_FULL_REFRESH"] == "true"


def test_state_lands_in_postgresql(
    postgres_uri: str, meltano_installed: None, personio_sandbox, leapsome_sandbox
) -> None:
    project = MeltanoProject(personio_sandbox.url, leapsome_sandbox.url, postgres_uri)
    result = project.run("run", "tap-personio", "target-leapsome")
    assert result.returncode == 0, result.stderr[-4000:]
    with psycopg.connect(postgres_uri.replace("+psycopg", "")) as conn:
        row = conn.execute("SELECT completed_state FROM state WHERE state_id = %s", [STATE_ID]).fetchone()
    assert row is not None, "no state row in PostgreSQL"
    completed = row[0] if isinstance(row[0], dict) else json.loads(row[0])
    assert completed["singer_state"]["bookmarks"]["employees"]["replication_key_value"]
    # a second run reads that bookmark back from PostgreSQL and is incremental: one employees page
    requests.post(f"{personio_sandbox.url}/_admin/counters/reset", timeout=10)
    result = project.run("run", "tap-personio", "target-leapsome")
    assert result.returncode == 0, result.stderr[-4000:]
    counters = requests.get(f"{personio_sandbox.url}/_admin/counters", timeout=10).json()
    assert counters["by_route"].get("GET employees") == 1, counters["by_route"]


def test_tap_feeds_a_standard_singer_target(pipeline: MeltanoProject, personio_sandbox, tmp_path: Path) -> None:
    """MeltanoLabs' target-csv, which nobody here wrote, loads the tap's output as plain Singer."""
    out = tmp_path / "csv"
    out.mkdir()
    pipeline.extra_env = {"TARGET_CSV_OUTPUT_PATH": str(out)}
    result = pipeline.run("run", "--state-id-suffix", "csv", "tap-personio", "target-csv")
    assert result.returncode == 0, result.stderr[-4000:]
    people = requests.get(f"{personio_sandbox.url}/_admin/employees", timeout=10).json()
    employees_file = next(out.glob("employees*.csv"))
    with employees_file.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert sorted(int(r["id"]) for r in rows) == sorted(p["id"] for p in people)
    by_id = {int(r["id"]): r for r in rows}
    sample = people[0]
    assert by_id[sample["id"]]["email"] == sample["email"]
    departments_file = next(out.glob("departments*.csv"))
    with departments_file.open(newline="", encoding="utf-8") as handle:
        assert {int(r["id"]) for r in csv.DictReader(handle)} >= {p["department"]["id"] for p in people}
