"""Pytest plugin: Personio sandboxes on free loopback ports, stopped at the end of each test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from sandbox.core import KNOB_NAMES, Knobs, SandboxServer, server_pool, split_knobs
from sandbox.personio.app import PersonioSandbox

PersonioFactory = Callable[..., SandboxServer]
SANDBOX_OPTIONS = frozenset({"updated_since", "naive_timezone", "rename_bumps_members", "realistic"})


@pytest.fixture
def personio_factory() -> Iterator[PersonioFactory]:
    """`personio_factory(employees=50, seed=1, **options)` starts a sandbox.

    Options are `Knobs` fields or the sandbox's own: `updated_since` ("exclusive"|"inclusive"),
    `naive_timezone` ("Europe/Berlin"|"UTC"), `rename_bumps_members` (bool), `realistic` (bool).
    """
    with server_pool() as serve:

        def start(employees: int = 50, seed: int = 1, **options: Any) -> SandboxServer:
            knob_values, own = split_knobs(options)
            unknown = set(own) - SANDBOX_OPTIONS
            if unknown:
                raise TypeError(
                    f"unknown Personio sandbox options: {sorted(unknown)}; "
                    f"options: {sorted(SANDBOX_OPTIONS)}; knobs: {sorted(KNOB_NAMES)}"
                )
            knobs = Knobs(**{"seed": seed, **knob_values})
            return serve(PersonioSandbox(employees=employees, seed=seed, knobs=knobs, **own))

        yield start


@pytest.fixture
def personio_sandbox(personio_factory: PersonioFactory) -> SandboxServer:
    """A default Personio sandbox: 50 employees, seed 1, documented rate limits on."""
    return personio_factory()
