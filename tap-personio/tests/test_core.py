"""The singer-sdk standard tap test suite, run against a Personio sandbox over HTTP.

`get_tap_test_class` needs the config (so the base URL) when this module is imported, so the sandbox is
started here on port 0 (the OS picks a free port and it is bound at once: nothing can take it meanwhile)
and stopped by a module fixture when the suite is done.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from singer_sdk.testing import SuiteConfig, get_tap_test_class
from tap_personio.tap import TapPersonio

from sandbox.core import Knobs, SandboxServer
from sandbox.personio import CLIENT_ID, CLIENT_SECRET
from sandbox.personio.app import PersonioSandbox

SERVER = SandboxServer(PersonioSandbox(employees=60, seed=2, knobs=Knobs(seed=2)), port=0).start()
CONFIG = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "base_url": SERVER.url}

StandardTests = get_tap_test_class(
    TapPersonio,
    config=CONFIG,
    parse_env_config=False,
    suite_config=SuiteConfig(max_records_limit=30),
)


@pytest.fixture(scope="module", autouse=True)
def personio() -> Iterator[SandboxServer]:
    """Stop the import-time sandbox once this module's tests are done."""
    yield SERVER
    SERVER.stop()


class TestTapPersonio(StandardTests):  # type: ignore[misc,valid-type]
    pass
