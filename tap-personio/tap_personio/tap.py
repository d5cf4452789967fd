"""The Tap class: settings, their validation before any request, the connection its streams share, and discovery.

Discovery reads Personio's attribute catalogue once (`GET /v1/company/employees/attributes`), so that the
`employees` schema lists every custom attribute with its type. Without usable credentials (a `--discover`
with no config) it makes no request and `custom_attributes` is an open object instead.
"""

# mypy: enable-error-code="explicit-override"

from __future__ import annotations

from functools import cached_property
from types import FrameType
from typing import ClassVar

from singer_sdk import Stream, Tap
from singer_sdk.exceptions import ConfigValidationError
from singer_sdk.helpers.capabilities import CapabilitiesEnum, PluginCapabilities, TapCapabilities

from tap_personio.client import PersonioConnection
from tap_personio.compat import override
from tap_personio.settings import CONFIG_SCHEMA, setting_errors
from tap_personio.stopping import signal_name
from tap_personio.streams import DepartmentsStream, EmployeeAttributesStream, EmployeesStream


class TapPersonio(Tap):
    """Personio employees (incremental, complete snapshots with ACTIVATE_VERSION), their attributes, departments."""

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

    stop_signal: int | None = None  # set by the first SIGTERM or SIGINT; the streams stop at their next record

    @override
    def _handle_termination(self, signum: int, frame: FrameType | None) -> None:
        """Stop as stopping.py says, instead of the SDK's final STATE and exit 0."""
        if self.stop_signal is not None:
            self.logger.error("tap-personio stopped by %s again: exit %d now", signal_name(signum), 128 + signum)
            raise SystemExit(128 + signum)
        self.stop_signal = signum
        self.logger.warning("%s received: stopping at the next record", signal_name(signum))

    @cached_property
    def connection(self) -> PersonioConnection:
        """Settings, session and authenticator for all of this tap's streams (per tap, never process-wide)."""
        return PersonioConnection(self.config, self.logger)

    @override
    def discover_streams(self) -> list[Stream]:
        """The streams; `employees` typed from the attribute catalogue when the credentials allow reading it."""
        attributes = EmployeeAttributesStream(self, self.connection)
        definitions = attributes.catalogue() if self._can_request() else None
        if definitions is None:
            self.logger.warning(
                "no usable credentials: the attribute catalogue was not read, so employees.custom_attributes "
                "is an open object (no column per attribute)"
            )
        return [
            EmployeesStream(self, self.connection, definitions),
            attributes,
            DepartmentsStream(self, self.connection),
        ]

    def _can_request(self) -> bool:
        """Credentials present and every setting usable (discovery validates nothing on its own)."""
        config = self.config
        return bool(config.get("client_id")) and bool(config.get("client_secret")) and not setting_errors(config)


if __name__ == "__main__":
    TapPersonio.cli()
