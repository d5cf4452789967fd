"""Pytest plugin: Leapsome sandboxes on free loopback ports, stopped when the test ends."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from sandbox.core import Knobs, SandboxServer, server_pool, split_knobs
from sandbox.leapsome.app import LeapsomeSandbox

LeapsomeFactory = Callable[..., SandboxServer]


@pytest.fixture
def leapsome_factory() -> Iterator[LeapsomeFactory]:
    """`leapsome_factory(**kwargs)` starts a sandbox; knob names go to `Knobs`, the rest to `LeapsomeSandbox`.

    Options: `duplicate_create` ("empty"|"conflict"), `domains` (list), `empty` (no seed),
    `preload_users` (int), `group_create_members` ("accepted"|"ignored"|"refused"), `patch_response`
    ("resource"|"no_content"), `user_groups` ("listed"|"omitted"|"empty"), `page_size_cap` and
    `max_text_length` (int or None), `auto_invite` (bool). The SCIM base URL is `server.url + "/scim/v1"`,
    the Content API's `server.url + "/v1"`.
    """
    with server_pool() as serve:

        def start(**kwargs: Any) -> SandboxServer:
            knob_values, options = split_knobs(kwargs)
            return serve(LeapsomeSandbox(Knobs(**{"retry_after": False, **knob_values}), **options))

        yield start


@pytest.fixture
def leapsome_sandbox(leapsome_factory: LeapsomeFactory) -> SandboxServer:
    """A Leapsome sandbox with the default seed, options and knobs (rate limit on, no Retry-After)."""
    return leapsome_factory()
