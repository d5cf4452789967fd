"""The Tap class: settings, their validation before any request, and the connection its streams share."""

# mypy: enable-error-code="explicit-override"

from __future__ import annotations

from functools import cached_property
from typing import ClassVar

from singer_sdk import Stream, Tap
from singer_sdk.exceptions import ConfigValidationError
from singer_sdk.helpers.capabilities import CapabilitiesEnum, PluginCapabilities, TapCapabilities

from tap_personio.client import PersonioConnection
from tap_personio.compat import override
from tap_personio.settings import CONFIG_SCHEMA, setting_errors
from tap_personio.streams import DepartmentsStream, EmployeesStream


class TapPersonio(Tap):
    """Personio employees (incremental, complete snapshots with ACTIVATE_VERSION) and departments."""

    name = "tap-personio"
    config_jsonschema = CONFIG_SCHEMA
    # BATCH is left out: records must stream so ACTIVATE_VERSION can follow the last one.
    capabilities: ClassVar[list[CapabilitiesEnum]] = [
        TapCapabilities.CATALOG,
        TapCapabilities.STATE,
        TapCapabilities.DISCOVER,
        TapCapabilities.ACTIVATE_VERSION,
        PluginCapabilities.ABOUT,
        PluginCapabilities.STREAM_MAPS,
        PluginCapabilities.FLATTENING,
        PluginCapabilities.STRUCTURED_LOGGING,
    ]

    @override
    def _validate_config(self, *, raise_errors: bool = True) -> list[str]:
        """The schema's checks, then the ones it cannot express, so a bad setting is named before any request.

        Like the SDK's own, it only warns when the SDK asks it not to raise (discovery).
        """
        errors = super()._validate_config(raise_errors=raise_errors)
        unusable = setting_errors(self.config)
        if unusable and raise_errors:
            raise ConfigValidationError("Config validation failed", errors=unusable)
        for error in unusable:
            self.logger.warning(error)
        return [*errors, *unusable]

    @cached_property
    def connection(self) -> PersonioConnection:
        """Settings, session and authenticator for all of this tap's streams (per tap, never process-wide)."""
        return PersonioConnection(self.config, self.logger)

    @override
    def discover_streams(self) -> list[Stream]:
        """Static schemas: discovery makes no request."""
        return [EmployeesStream(self, self.connection), DepartmentsStream(self, self.connection)]


if __name__ == "__main__":
    TapPersonio.cli()
