"""Pytest plugin: Leapsome sandboxes on free loopback ports, stopped when the test ends."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import fields
from typing import Any

import pytest

from sandbox.core import Knobs, SandboxServer
from sandbox.leapsome.app import LeapsomeApp

KNOB_NAMES = frozenset(f.name for f in fields(Knobs))

LeapsomeFactory = Callable[..., SandboxServer]


@pytest.fixture
def leapsome_factory() -> Iterator[LeapsomeFactory]:
    """`leapsome_factory(**kwargs)` starts a sandbox; knob names go to `Knobs`, the rest to `LeapsomeApp`.

    Options: `duplicate_create` ("empty"|"conflict"), `domains` (list), `empty` (no seed),
    `preload_users` (int). The SCIM base URL is `server.url + "/scim/v1"`.
    """
    servers: list[SandboxServer] = []

    def start(**kwargs: Any) -> SandboxServer:
        knob_values = {k: v for k, v in kwargs.items() if k in KNOB_NAMES}
        options = {k: v for k, v in kwargs.items() if k not in KNOB_NAMES}
        knobs = Knobs(**{"retry_after": False, **knob_values})
        server = SandboxServer(LeapsomeApp(knobs, **options)).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def leapsome_sandbox(leapsome_factory: LeapsomeFactory) -> SandboxServer:
    """A Leapsome sandbox with the default seed, options and knobs (rate limit on, no Retry-After)."""
    return leapsome_factory()
