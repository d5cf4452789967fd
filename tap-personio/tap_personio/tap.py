"""The Tap class: settings, their validation before any request, and the per-tap shared HTTP objects."""

from __future__ import annotations

from functools import cached_property
from pathlib import PurePath
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from singer_sdk import Stream, Tap
from singer_sdk.exceptions import ConfigValidationError
from singer_sdk.helpers.capabilities import CapabilitiesEnum, PluginCapabilities, TapCapabilities
from singer_sdk.singerlib import Catalog
from singer_sdk.singerlib.encoding.base import GenericSingerWriter

from tap_personio.auth import PersonioAuthenticator
from tap_personio.pacing import AUTH_LIMITS, EMPLOYEE_LIMITS, PacedSession, RequestPacer
from tap_personio.settings import CONFIG_SCHEMA, DEFAULT_BASE_URL, DEFAULT_TIMEZONE, setting_errors
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

    def __init__(
        self,
        *,
        config: dict[str, Any] | PurePath | str | list[PurePath | str] | None = None,
        catalog: PurePath | str | dict[str, Any] | Catalog | None = None,
        state: PurePath | str | dict[str, Any] | None = None,
        parse_env_config: bool = False,
        validate_config: bool = True,
        setup_mapper: bool = True,
        message_writer: GenericSingerWriter[Any, Any] | None = None,
    ) -> None:
        super().__init__(
            config=config,
            catalog=catalog,
            state=state,
            parse_env_config=parse_env_config,
            validate_config=validate_config,
            setup_mapper=setup_mapper,
            message_writer=message_writer,
        )
        errors = setting_errors(self.config)
        if errors and validate_config:
            raise ConfigValidationError("Config validation failed", errors=errors)
        for error in errors:
            self.logger.warning(error)

    def discover_streams(self) -> list[Stream]:
        """Static schemas: discovery makes no request."""
        return [EmployeesStream(self), DepartmentsStream(self)]

    @cached_property
    def zone(self) -> ZoneInfo:
        """The company time zone Personio reads naive `updated_since` values in."""
        return ZoneInfo(str(self.config.get("company_timezone") or DEFAULT_TIMEZONE))

    @cached_property
    def identity_headers(self) -> dict[str, str]:
        """Headers Personio asks every integration to send."""
        headers = {"Accept": "application/json", "X-Personio-App-ID": str(self.config.get("app_id", "TAP_PERSONIO"))}
        if self.config.get("partner_id"):
            headers["X-Personio-Partner-ID"] = str(self.config["partner_id"])
        return headers

    @cached_property
    def session(self) -> PacedSession:
        """One keep-alive session for the whole run, paced per endpoint family."""
        pace = bool(self.config.get("pace_requests", True))
        return PacedSession(
            auth_pacer=RequestPacer(AUTH_LIMITS) if pace else None,
            api_pacer=RequestPacer(EMPLOYEE_LIMITS) if pace else None,
        )

    @cached_property
    def authenticator(self) -> PersonioAuthenticator:
        """This tap's authenticator (per instance, never process-wide)."""
        return PersonioAuthenticator(
            base_url=str(self.config.get("base_url") or DEFAULT_BASE_URL),
            client_id=str(self.config["client_id"]),
            client_secret=str(self.config["client_secret"]),
            session=self.session,
            headers=self.identity_headers,
            timeout=float(self.config.get("request_timeout", 60)),
            max_retries=int(self.config.get("max_retries", 5)),
            backoff_seconds=float(self.config.get("retry_backoff_seconds", 1.0)),
            logger=self.logger,
        )


if __name__ == "__main__":
    TapPersonio.cli()
