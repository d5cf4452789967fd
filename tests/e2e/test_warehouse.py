"""The tap into a real warehouse: MeltanoLabs' target-postgres, flattened, with ACTIVATE_VERSION soft deletes.

One scenario: a full load, an incremental run that upserts (no duplicates), then a complete snapshot after
deletions that marks exactly the deleted employees in `_sdc_deleted_at`. The database's own time zone is
set far from UTC on purpose; the loader's session gets `PGTZ=UTC`, as the README tells users to do.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psycopg
import pytest
import requests

from harness.warehouse import load
from sandbox.core import SandboxServer
from sandbox.personio import CLIENT_ID, CLIENT_SECRET

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

DATABASE = "warehouse"


def admin(server: SandboxServer, method: str, path: str, payload: Any = None) -> Any:
    response = requests.request(method, f"{server.url}/_admin/{path}", json=payload, timeout=30)
    response.raise_for_status()
    return response.json() if response.content else None


@pytest.fixture
def warehouse(postgres_uri: str) -> dict[str, Any]:
    """A fresh database in the session's PostgreSQL server, whose default time zone is not UTC."""
    parts = urlsplit(postgres_uri.replace("+psycopg", ""))
    with psycopg.connect(parts._replace(scheme="postgresql").geturl(), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DATABASE}")
        conn.execute(f"CREATE DATABASE {DATABASE}")
        conn.execute(f"ALTER DATABASE {DATABASE} SET timezone TO 'America/New_York'")
    return {
        "host": parts.hostname,
        "port": parts.port,
        "user": parts.username,
        "password": "unused",  # the test server trusts local connections, but the target wants one
        "dialect+driver": "postgresql+psycopg",
        "database": DATABASE,
        "default_target_schema": "personio",
        "add_record_metadata": True,  # _sdc_table_version and _sdc_deleted_at: ACTIVATE_VERSION needs them
        "activate_version": True,
        "hard_delete": False,
    }


def query(target: dict[str, Any], sql: str) -> list[tuple[Any, ...]]:
    url = f"postgresql://{target['user']}@{target['host']}:{target['port']}/{target['database']}"
    with psycopg.connect(url) as conn:
        conn.execute("SET TIME ZONE 'UTC'")
        return list(conn.execute(sql).fetchall())


def test_full_incremental_and_snapshot_loads_into_postgres(personio_factory, warehouse, tmp_path: Path) -> None:
    personio = personio_factory(employees=60, seed=4)
    tap = {
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "base_url": personio.url,
        "pace_requests": False,
        "flattening_enabled": True,
        "flattening_max_depth": 1,
        "custom_attribute_columns": "label",
    }
    utc = {"PGTZ": "UTC"}

    # 1. Full load: one row per employee, a typed column per custom attribute.
    state = load(tap, warehouse, tmp_path / "full", env=utc)
    truth = {p["id"]: p for p in admin(personio, "GET", "employees")}
    rows = query(warehouse, "SELECT id, custom_attributes__t_shirt_size FROM personio.employees ORDER BY id")
    assert rows == sorted((i, p["custom_attributes"]["dynamic_40114"]) for i, p in truth.items())
    types = dict(
        query(
            warehouse,
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'personio' AND table_name = 'employees'",
        )
    )
    assert types["custom_attributes__birthday"] == "date"
    assert types["custom_attributes__bonus_factor"] in {"numeric", "double precision"}
    assert types["weekly_working_hours"] in {"numeric", "double precision"}
    assert types["hire_date"] == "date"
    assert "supervisor" not in types  # null objects arrived as null columns
    assert "team" not in types
    ceo = query(warehouse, "SELECT count(*) FROM personio.employees WHERE supervisor__id IS NULL")
    assert ceo[0][0] >= 1
    stamps = dict(query(warehouse, "SELECT id, last_modified_at FROM personio.employees"))
    stamp = stamps[min(truth)]
    assert stamp.isoformat() + "Z" == truth[min(truth)]["last_modified_at"]  # UTC, not New York
    labels = query(warehouse, "SELECT column_name FROM personio.employee_attributes WHERE key = 'dynamic_40114'")
    assert labels == [("t_shirt_size",)]

    # 2. Incremental: a change and a hire are upserted, nobody is duplicated.
    changed = min(truth)
    admin(personio, "PATCH", f"employees/{changed}", {"position": "Warehouse Lead", "dynamic_40114": "XXL"})
    hired = admin(
        personio, "POST", "employees", {"first_name": "Nia", "last_name": "Hire", "email": "nia@acme.example"}
    )
    state = load(tap, warehouse, tmp_path / "incremental", state=state, env=utc)
    assert query(warehouse, "SELECT count(*), count(DISTINCT id) FROM personio.employees") == [(61, 61)]
    now = {
        row[0]: row[1:]
        for row in query(warehouse, "SELECT id, position, custom_attributes__t_shirt_size FROM personio.employees")
    }
    assert now[changed] == ("Warehouse Lead", "XXL")

    # 3. Deletions, then a complete snapshot: exactly the deleted employees are marked.
    deleted = sorted(truth)[-2:]
    for employee_id in deleted:
        admin(personio, "DELETE", f"employees/{employee_id}")
    load(tap, warehouse, tmp_path / "snapshot", env=utc)
    marked = query(warehouse, "SELECT id FROM personio.employees WHERE _sdc_deleted_at IS NOT NULL ORDER BY id")
    assert [row[0] for row in marked] == deleted
    assert query(warehouse, "SELECT count(*), count(DISTINCT id) FROM personio.employees") == [(61, 61)]
    assert int(hired["id"]) in {row[0] for row in query(warehouse, "SELECT id FROM personio.employees")}
