"""The tap's settings: the schema users see in `--about`, the typed `Settings`, the checks a schema cannot express.

The schema is the one source of every default: the SDK fills them into the config, and `Settings` reads
nothing but the config. Kept apart from the Tap class so the rules are testable without building a tap.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from singer_sdk import typing as th

from tap_personio.attributes import COLUMN_MODES, KEY_COLUMNS

DEFAULT_BASE_URL = "https://api.personio.de"
MAX_PAGE_SIZE = 100  # Personio rejects larger pages on GET /v1/company/employees since 2025-01-31
DEFAULT_LOOKBACK_SECONDS = 300
DEFAULT_TIMEZONE = "Europe/Berlin"

CONFIG_SCHEMA: dict[str, Any] = th.PropertiesList(
    th.Property(
        "client_id",
        th.StringType(min_length=1),
        required=True,
        secret=True,
        title="Client ID",
        description="Personio API client id (Settings > Integrations > API credentials).",
    ),
    th.Property(
        "client_secret",
        th.StringType(min_length=1),
        required=True,
        secret=True,
        title="Client secret",
        description="Personio API client secret. Never logged.",
    ),
    th.Property(
        "base_url",
        th.StringType,
        default=DEFAULT_BASE_URL,
        title="Base URL",
        description=(
            "Personio API root, without `/v1`. Must be https; plain http is accepted only for loopback hosts "
            "(a local sandbox or proxy)."
        ),
    ),
    th.Property(
        "start_date",
        th.DateTimeType,
        title="Start date",
        description=(
            "Optional lower bound for incremental runs: a saved bookmark older than this is replaced by it. "
            "It never narrows a run without a bookmark, because such a run is a complete snapshot."
        ),
    ),
    th.Property(
        "app_id",
        th.StringType(pattern=r"^[A-Z0-9_]+$"),
        default="TAP_PERSONIO",
        title="App ID",
        description="Sent as `X-Personio-App-ID` on every request so Personio support can trace calls "
        "(UPPER_SNAKE_CASE).",
    ),
    th.Property(
        "partner_id",
        th.StringType(pattern=r"^[A-Z0-9_]+$"),
        title="Partner ID",
        description="Personio partners only: sent as `X-Personio-Partner-ID` (UPPER_SNAKE_CASE).",
    ),
    th.Property(
        "page_size",
        th.IntegerType(minimum=1, maximum=MAX_PAGE_SIZE),
        default=MAX_PAGE_SIZE,
        title="Page size",
        description="Employees per request (`limit`). Personio allows at most 100; fewer pages means fewer "
        "requests against the 300/min limit.",
    ),
    th.Property(
        "lookback_seconds",
        th.IntegerType(minimum=0, maximum=7 * 24 * 3600),
        default=DEFAULT_LOOKBACK_SECONDS,
        title="Look-back window (seconds)",
        description=(
            "Incremental runs ask Personio for employees changed after the bookmark minus this window, so "
            "changes stamped just before the previous run ended (second truncation, clock skew, replication "
            "lag) are not lost. Records inside the window repeat; the target upserts them."
        ),
    ),
    th.Property(
        "company_timezone",
        th.StringType,
        default=DEFAULT_TIMEZONE,
        title="Company time zone",
        description=(
            "IANA zone in which Personio reads an `updated_since` without offset (the company's zone). "
            "The UTC bookmark is converted to this zone's wall time before it is sent."
        ),
    ),
    th.Property(
        "departments_from_org_units",
        th.BooleanType,
        default=True,
        title="Departments from v2 org units",
        description=(
            "Read departments (with `parent_id`) from the beta `GET /v2/org-units?type=department`. If that "
            "endpoint refuses the request, or this is off, departments are derived from a scan of the v1 "
            "employees' `department` attribute (no parents, only departments that have members)."
        ),
    ),
    th.Property(
        "custom_attribute_columns",
        th.StringType(allowed_values=list(COLUMN_MODES)),
        default=KEY_COLUMNS,
        title="Custom attribute columns",
        description=(
            "How `employees.custom_attributes` names each custom attribute: `key` (`dynamic_123456`, never "
            "changes) or `label` (a slug of its label, `language_skills`; on a clash the attribute with the "
            "lower id keeps the slug, the others get `<slug>_<key>`; a renamed label renames the column)."
        ),
    ),
    th.Property(
        "request_timeout",
        th.IntegerType(minimum=1, maximum=600),
        default=60,
        title="Request timeout (seconds)",
        description="Connect and read timeout of each HTTP request.",
    ),
    th.Property(
        "max_retries",
        th.IntegerType(minimum=0, maximum=20),
        default=5,
        title="Maximum retries",
        description="Retries of one request after a 429, a 5xx or a connection error before the run fails.",
    ),
    th.Property(
        "retry_backoff_seconds",
        th.NumberType(minimum=0, maximum=60),
        default=1.0,
        title="Retry back-off (seconds)",
        description=(
            "Wait before the first retry after a 5xx or connection error; doubles on each further retry "
            "(capped at 60 s). A 429 waits for `Retry-After`, or at least 1 s."
        ),
    ),
    th.Property(
        "pace_requests",
        th.BooleanType,
        default=True,
        title="Pace requests",
        description=(
            "Space requests client-side under Personio's documented limits (employees: 300/min, at most 15 "
            "per second; auth: 60/min) so a normal run never sees a 429. Turn off only for benchmarks "
            "against a local sandbox."
        ),
    ),
).to_dict()


DEFAULTS: Mapping[str, Any] = MappingProxyType(
    {name: spec["default"] for name, spec in CONFIG_SCHEMA["properties"].items() if "default" in spec}
)


def setting(config: Mapping[str, Any], name: str) -> Any:
    """A setting's value, or its schema default when it is missing, null or empty.

    The SDK fills only missing keys; an explicit null or "" (a hand-written config) means the default too.
    """
    value = config.get(name)
    return DEFAULTS.get(name) if value is None or value == "" else value


@dataclass(frozen=True)
class Settings:
    """Every setting the tap reads, typed; built once per tap from its validated config.

    `start_date` has no field: the SDK reads it itself (`get_starting_timestamp`).
    """

    client_id: str = field(repr=False)
    client_secret: str = field(repr=False)
    base_url: str  # without a trailing slash
    app_id: str
    partner_id: str | None
    page_size: int
    lookback_seconds: int
    company_timezone: ZoneInfo
    departments_from_org_units: bool
    custom_attribute_columns: str
    request_timeout: int
    max_retries: int
    retry_backoff_seconds: float
    pace_requests: bool

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Settings:
        """Read a config the SDK has validated (and filled with the schema defaults)."""
        partner_id = setting(config, "partner_id")
        return cls(
            client_id=str(config["client_id"]),
            client_secret=str(config["client_secret"]),
            base_url=str(setting(config, "base_url")).rstrip("/"),
            app_id=str(setting(config, "app_id")),
            partner_id=None if partner_id is None else str(partner_id),
            page_size=int(setting(config, "page_size")),
            lookback_seconds=int(setting(config, "lookback_seconds")),
            company_timezone=ZoneInfo(str(setting(config, "company_timezone"))),
            departments_from_org_units=bool(setting(config, "departments_from_org_units")),
            custom_attribute_columns=str(setting(config, "custom_attribute_columns")),
            request_timeout=int(setting(config, "request_timeout")),
            max_retries=int(setting(config, "max_retries")),
            retry_backoff_seconds=float(setting(config, "retry_backoff_seconds")),
            pace_requests=bool(setting(config, "pace_requests")),
        )

    @property
    def lookback(self) -> timedelta:
        """`lookback_seconds` as a duration."""
        return timedelta(seconds=self.lookback_seconds)


def _is_loopback(host: str) -> bool:
    # target-leapsome has the same check: the two plugins install separately and share no library.
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def setting_errors(config: Mapping[str, Any]) -> list[str]:
    """Return one message per setting that is well-typed but unusable; each names its setting.

    Reads the raw config, not `Settings`: it also runs when the SDK only warns about a config (discovery).
    """
    errors: list[str] = []
    base_url = str(setting(config, "base_url"))
    parts = urlsplit(base_url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        errors.append(f"base_url: must be an absolute http(s) URL, got {base_url!r}")
    elif parts.scheme == "http" and not _is_loopback(parts.hostname):
        errors.append(f"base_url: plain http is only allowed for loopback hosts, got {base_url!r}; use https")
    elif parts.query or parts.fragment:
        errors.append(f"base_url: must not carry a query or fragment, got {base_url!r}")
    zone = setting(config, "company_timezone")
    try:
        ZoneInfo(str(zone))
    except (ZoneInfoNotFoundError, ValueError):
        errors.append(f"company_timezone: unknown IANA time zone {zone!r} (e.g. 'Europe/Berlin')")
    page_size = setting(config, "page_size")
    if isinstance(page_size, int) and not 1 <= page_size <= MAX_PAGE_SIZE:
        errors.append(f"page_size: must be between 1 and {MAX_PAGE_SIZE}, got {page_size}")
    return errors
