"""Pytest plugin: Personio sandboxes on free loopback ports, stopped at the end of each test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import fields
from typing import Any

import pytest

from sandbox.core import Knobs, SandboxServer
from sandbox.personio.app import PersonioSandbox

PersonioFactory = Callable[..., SandboxServer]
KNOB_NAMES = frozenset(f.name for f in fields(Knobs))


@pytest.fixture
def personio_factory() -> Iterator[PersonioFactory]:
    """`personio_factory(employees=50, seed=1, **knobs)` starts a sandbox; knobs are `Knobs` fields."""
    servers: list[SandboxServer] = []

    def start(employees: int = 50, seed: int = 1, **options: Any) -> SandboxServer:
        unknown = set(options) - KNOB_NAMES
        if unknown:
            raise TypeError(f"unknown Personio sandbox options: {sorted(unknown)}; knobs: {sorted(KNOB_NAMES)}")
        knobs = Knobs(**{"seed": seed, **options})
        server = SandboxServer(PersonioSandbox(employees=employees, seed=seed, knobs=knobs)).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def personio_sandbox(personio_factory: PersonioFactory) -> SandboxServer:
    """A default Personio sandbox: 50 employees, seed 1, documented rate limits on."""
    return personio_factory()
