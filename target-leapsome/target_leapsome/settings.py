"""The target's settings: the JSON schema users see in `--about`, one typed object built from it, its checks.

The schema is the one source of every default: the SDK fills them into the validated config, and
`Settings.from_config` reads them from the schema for a config that did not pass through the SDK (a test).
`Settings` is built once per run, so every phase reads the same typed values and none repeats a default.
Kept apart from the Target class so the rules are testable without building a target.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from singer_sdk import typing as th
from singer_sdk.exceptions import ConfigValidationError

from target_leapsome.client import check_base_url
from target_leapsome.mapping import AttributeMapping, parse_mapping
from target_leapsome.scope import Scope, parse_scope

CONFIG_SCHEMA: dict[str, Any] = th.PropertiesList(
    th.Property(
        "api_token",
        th.StringType,
        required=True,
        secret=True,
        description="The Leapsome SCIM token (Settings > Integrations > SCIM > Generate Token).",
    ),
    th.Property(
        "base_url",
        th.StringType,
        default="https://api.leapsome.com/scim/v1",
        description="The SCIM base URL. Plain http is accepted only for loopback hosts.",
    ),
    th.Property(
        "dry_run",
        th.BooleanType,
        default=False,
        description="Compute and log the plan, write nothing to Leapsome and emit no state.",
    ),
    th.Property(
        "statuses",
        th.ArrayType(th.StringType(allowed_values=["onboarding", "active", "leave"])),
        default=["active", "leave"],
        description="Personio statuses that get an active Leapsome user; add `onboarding` to "
        "pre-create new hires. `inactive` employees are always deactivated.",
    ),
    th.Property(
        "max_deactivations",
        th.IntegerType,
        default=25,
        description="Refuse (write nothing, fail) a plan that deactivates more users than this.",
    ),
    th.Property(
        "max_deactivation_share",
        th.NumberType,
        default=0.10,
        description="Refuse a plan that deactivates more than this share (0..1) of the active users "
        "the sync manages; checked when more than 3 users would be deactivated.",
    ),
    th.Property(
        "report_path",
        th.StringType,
        description="Write a JSON report of every planned action (before/after values), skip, "
        "record error and failed write to this file.",
    ),
    th.Property(
        "max_requests_per_second",
        th.NumberType,
        default=28,
        description="Request pacing across all threads; Leapsome allows 30/s. 0 turns pacing off.",
    ),
    th.Property(
        "concurrency",
        th.IntegerType,
        default=4,
        description="Parallel requests while applying the plan (all share the pacing).",
    ),
    th.Property(
        "max_retries",
        th.IntegerType,
        default=5,
        description="Retries of a request after a 5xx or a connection error (429s wait and retry).",
    ),
    th.Property("request_timeout", th.NumberType, default=60, description="Seconds to wait for an answer."),
    th.Property(
        "allow_failures",
        th.BooleanType,
        default=False,
        description="Emit state and exit 0 even when input records could not be read or writes failed "
        "or were not in Leapsome when read back (they are still logged and reported). A refused plan "
        "always fails. Skipped employees never fail a run (see fail_on_skips).",
    ),
    th.Property(
        "fail_on_skips",
        th.BooleanType,
        default=False,
        description="Exit non-zero when employees were skipped for their Personio data (no email, a "
        "shared email, a value Leapsome refuses, ...). Everything else is still written and state is "
        "emitted; use it to keep the job red while HR data has problems.",
    ),
    th.Property(
        "attribute_mapping",
        th.CustomType({"type": ["object", "null"]}),
        description="More Leapsome user fields from Personio: an object of Leapsome field -> Personio source "
        '(`{"level": {"source": "custom:Seniority", "values": {"Senior": "L3"}}}` or '
        '`{"employmentType": "employment_type"}`). Fields: title, location, startDate, endDate (give them '
        "another source), level, gender, birthday, employmentType, division, costCenter, additionalManagers "
        "(Personio ids), and Leapsome custom attributes by their attribute id. Sources: a field of the "
        "employees stream (`office.name`, `cost_centers.0.name`) or a Personio custom attribute "
        "(`custom:<key or label>`). See the README.",
    ),
    th.Property(
        "scope",
        th.CustomType({"type": ["object", "null"]}),
        description='Who gets a Leapsome user: `{"include": [[clause, ...], ...], "exclude": [...], '
        '"out_of_scope": "deactivate"|"leave"}`; a clause is `{"field": "department.name", '
        '"equals": "Sales"}` (or `in` a list, or `present` true/false). Clauses of a rule are ANDed, '
        "rules ORed; an employee out of scope gets no user and a synced one is deactivated (or left alone). "
        "See the README.",
    ),
    th.Property(
        "content_api_secret",
        th.StringType,
        secret=True,
        description="Optional Leapsome Content API secret (API Access > Create API Secret; not the SCIM "
        "token). With it, every run reports the synced users who have not accepted their invitation yet.",
    ),
    th.Property(
        "content_base_url",
        th.StringType,
        default="https://api.leapsome.com/v1",
        description="The Content API base URL. Plain http is accepted only for loopback hosts.",
    ),
    th.Property(
        "progress_interval",
        th.NumberType,
        default=10,
        description="Seconds between progress lines while applying a long plan.",
    ),
    th.Property(
        "report_dir",
        th.StringType,
        description="Folder for the run history: each run writes a timestamped JSON report and an HTML page "
        "a person can open (outcome, skipped employees and what to fix in Personio, every change with "
        "before and after, failed writes, the read-back). Also the reference for notifications about "
        "changed skips.",
    ),
    th.Property(
        "report_history",
        th.IntegerType,
        default=30,
        description="How many runs `report_dir` keeps (JSON and HTML each); older ones are removed.",
    ),
    th.Property(
        "notify_webhook_url",
        th.StringType,
        secret=True,
        description='An incoming-webhook URL (Slack, Microsoft Teams: `{"text": ...}`) for a short message '
        "with the counts and where the report is. It embeds a token: a secret, never logged.",
    ),
    th.Property(
        "notify_on",
        th.StringType(allowed_values=["failures", "changes", "always"]),
        default="failures",
        description="When to notify: `failures` (the run failed or was stopped), `changes` (also when the "
        "set of skipped employees differs from the previous run's in `report_dir`), `always` (every run).",
    ),
).to_dict()

# Every setting that has a default, with it: the schema's own, never restated.
DEFAULTS: dict[str, Any] = {
    name: spec["default"] for name, spec in CONFIG_SCHEMA["properties"].items() if "default" in spec
}


@dataclass(frozen=True)
class Settings:
    """The target's settings, typed; built once from the validated Singer config."""

    api_token: str = field(repr=False)  # a secret: settings objects end up in tracebacks and debug logs
    base_url: str
    dry_run: bool
    statuses: tuple[str, ...]
    max_deactivations: int
    max_deactivation_share: float
    report_path: str | None
    max_requests_per_second: float
    concurrency: int
    max_retries: int
    request_timeout: float
    allow_failures: bool
    fail_on_skips: bool
    progress_interval: float
    report_dir: str | None
    report_history: int
    notify_webhook_url: str | None = field(repr=False)  # embeds a token
    notify_on: str
    content_api_secret: str | None = field(default=None, repr=False)  # a secret
    content_base_url: str = "https://api.leapsome.com/v1"
    mapping: AttributeMapping = field(default_factory=AttributeMapping)
    scope: Scope = field(default_factory=Scope)

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Settings:
        """Type the config; raise ConfigValidationError naming each setting the schema cannot rule out.

        A setting that is absent or null reads as its schema default, and so does an empty `base_url` or
        `statuses` (no statuses would deactivate everyone); an empty `report_path` means no report.
        """
        given = {**DEFAULTS, **{name: value for name, value in config.items() if value is not None}}
        rules, rule_errors = _rules(given)
        settings = cls(
            api_token=str(config["api_token"]),
            base_url=str(given["base_url"] or DEFAULTS["base_url"]),
            dry_run=bool(given["dry_run"]),
            statuses=tuple(given["statuses"] or DEFAULTS["statuses"]),
            max_deactivations=int(given["max_deactivations"]),
            max_deactivation_share=float(given["max_deactivation_share"]),
            report_path=given.get("report_path") or None,
            max_requests_per_second=float(given["max_requests_per_second"]),
            concurrency=int(given["concurrency"]),
            max_retries=int(given["max_retries"]),
            request_timeout=float(given["request_timeout"]),
            allow_failures=bool(given["allow_failures"]),
            fail_on_skips=bool(given["fail_on_skips"]),
            progress_interval=float(given["progress_interval"]),
            report_dir=given.get("report_dir") or None,
            report_history=int(given["report_history"]),
            notify_webhook_url=given.get("notify_webhook_url") or None,
            notify_on=str(given["notify_on"] or DEFAULTS["notify_on"]),
            content_api_secret=given.get("content_api_secret") or None,
            content_base_url=str(given["content_base_url"] or DEFAULTS["content_base_url"]),
            **rules,
        )
        errors = [*rule_errors, *settings.problems()]
        if errors:
            raise ConfigValidationError("Config validation failed: " + "; ".join(errors), errors=errors)
        return settings

    def problems(self) -> list[str]:
        """What JSON schema cannot say, each naming its setting so the user knows what to fix."""
        errors: list[str] = []
        try:
            check_base_url(self.base_url)
        except ValueError as exc:
            errors.append(f"base_url: {exc}")
        if self.max_deactivation_share < 0:
            errors.append("max_deactivation_share: must be 0 or more")
        try:
            check_base_url(self.content_base_url)
        except ValueError as exc:
            errors.append(f"content_base_url: {exc}")
        if self.concurrency < 1:
            errors.append("concurrency: must be 1 or more")
        if self.report_history < 1:
            errors.append("report_history: must be 1 or more")
        if self.notify_webhook_url:
            try:
                check_base_url(self.notify_webhook_url)
            except ValueError:  # its message repeats the URL, a secret
                errors.append("notify_webhook_url: must be an https URL (plain http only to a loopback host)")
        return errors


def _rules(given: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The mapping and the scope, parsed; each mistake names its setting and entry."""
    rules: dict[str, Any] = {}
    errors: list[str] = []
    for name, key, parse in (("attribute_mapping", "mapping", parse_mapping), ("scope", "scope", parse_scope)):
        try:
            rules[key] = parse(given.get(name))
        except ValueError as exc:
            errors.append(f"{name}: {exc}")
    return rules, errors
