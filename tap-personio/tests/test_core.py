"""The singer-sdk standard tap test suite, run against a class-scoped Personio sandbox over HTTP."""

from __future__ import annotations

import socket

import pytest
from singer_sdk.testing import SuiteConfig, get_tap_test_class
from tap_personio.tap import TapPersonio

from sandbox.core import Knobs, running
from sandbox.personio import CLIENT_ID, CLIENT_SECRET
from sandbox.personio.app import PersonioSandbox


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


PORT = _free_port()
CONFIG = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "base_url": f"http://127.0.0.1:{PORT}"}

StandardTests = get_tap_test_class(
    TapPersonio,
    config=CONFIG,
    parse_env_config=False,
    suite_config=SuiteConfig(max_records_limit=30),
)


class TestTapPersonio(StandardTests):  # type: ignore[misc,valid-type]
    @pytest.fixture(scope="class", autouse=True)
    @classmethod
    def personio(cls):
        with running(PersonioSandbox(employees=60, seed=2, knobs=Knobs(seed=2)), port=PORT) as server:
            yield server
