"""The singer-sdk standard target tests that apply to this target, run against a Leapsome sandbox.

Most standard tests send records of streams of their own (`test_camelcase`, `test_array_data`, ...) and
expect the run to succeed. This target reads only tap-personio's `employees` and `departments`: any other
stream's records become record errors, and record errors fail the run and hold state, by design (a sync
must not report success while it ignored input). Those tests are left out below, each with its reason.
What runs: the CLI prints, the two inputs the SDK itself must refuse (a record before its schema, a schema
that is not a JSON schema), and a complex camel-case schema with no records (accepted, nothing to write).

The SDK builds its runner from a config fixed at import time; this target's config names the sandbox's
URL, so the `runner` fixture is replaced with one that starts a sandbox per test (`leapsome_factory`).
"""

from __future__ import annotations

import pytest
from singer_sdk.testing import get_target_test_class
from singer_sdk.testing.runners import TargetTestRunner
from target_leapsome.target import TargetLeapsome

from sandbox.leapsome import API_TOKEN

UNKNOWN_STREAM = "sends records of a stream this target does not read and expects success: a record error, a failed run"
EXCLUDED = {
    "array_data": UNKNOWN_STREAM,
    "camelcase": UNKNOWN_STREAM,
    "duplicate_records": UNKNOWN_STREAM,
    "encoded_string_data": UNKNOWN_STREAM,
    "no_primary_keys": UNKNOWN_STREAM,
    "optional_attributes": UNKNOWN_STREAM,
    "pk_updates": UNKNOWN_STREAM,
    "record_missing_fields": UNKNOWN_STREAM,
    "schema_no_properties": UNKNOWN_STREAM,
    "schema_updates": UNKNOWN_STREAM,
    "special_chars_in_attributes": UNKNOWN_STREAM,
    # Also by design: a record without its key is a record error naming it (the other records still sync),
    # not the SDK's run-ending MissingKeyPropertiesError the test expects.
    "record_missing_key_property": UNKNOWN_STREAM,
}

StandardTests = get_target_test_class(TargetLeapsome, config={"api_token": API_TOKEN}, parse_env_config=False)
for name in EXCLUDED:
    delattr(StandardTests, f"test_target_{name}")  # raises if the SDK renames a test: the list stays true


class TestTargetLeapsome(StandardTests):  # type: ignore[misc,valid-type]
    @pytest.fixture
    def runner(self, leapsome_factory) -> TargetTestRunner:
        """A runner whose target writes to a fresh sandbox, configured like the other package tests."""
        server = leapsome_factory()
        config = {"api_token": API_TOKEN, "base_url": f"{server.url}/scim/v1"}
        return TargetTestRunner(TargetLeapsome, config=config, parse_env_config=False)
