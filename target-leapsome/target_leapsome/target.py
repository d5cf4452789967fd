"""target-leapsome: reconcile Leapsome users, teams and managers with Personio through the SCIM API."""

from __future__ import annotations

import typing as t

from singer_sdk import typing as th
from singer_sdk.exceptions import ConfigValidationError
from singer_sdk.helpers.capabilities import PluginCapabilities
from singer_sdk.sinks import Sink
from singer_sdk.target_base import Target

from target_leapsome.client import check_base_url
from target_leapsome.desired import RecordError
from target_leapsome.reconcile import Settings, reconcile
from target_leapsome.sinks import CollectingSink, DepartmentsSink, EmployeesSink, UnknownStreamSink

SINKS: dict[str, type[CollectingSink]] = {"employees": EmployeesSink, "departments": DepartmentsSink}


class SyncFailed(Exception):
    """The run did not fully succeed; the target exits non-zero and emits no state."""


class TargetLeapsome(Target):
    """Reconcile Leapsome users, teams and managers with Personio (tap-personio's streams) via SCIM.

    Plan then apply, once all input has arrived; safe to re-run; fails loudly unless told otherwise.
    """

    name = "target-leapsome"
    capabilities: t.ClassVar[list[t.Any]] = [*Target.capabilities, PluginCapabilities.ACTIVATE_VERSION]

    config_jsonschema = th.PropertiesList(
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
            "progress_interval",
            th.NumberType,
            default=10,
            description="Seconds between progress lines while applying a long plan.",
        ),
    ).to_dict()

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        self._may_emit_state = False
        self._collecting: list[Sink] = []
        self._check_settings()

    def _check_settings(self) -> None:
        errors = []
        try:
            check_base_url(str(self.config.get("base_url") or "https://api.leapsome.com/scim/v1"))
        except ValueError as exc:
            errors.append(f"base_url: {exc}")
        if float(self.config.get("max_deactivation_share", 0.1)) < 0:
            errors.append("max_deactivation_share: must be 0 or more")
        if int(self.config.get("concurrency", 4)) < 1:
            errors.append("concurrency: must be 1 or more")
        if errors:
            raise ConfigValidationError("Config validation failed: " + "; ".join(errors), errors=errors)

    def get_sink(
        self,
        stream_name: str,
        *,
        record: dict[str, t.Any] | None = None,
        schema: dict[str, t.Any] | None = None,
        key_properties: t.Sequence[str] | None = None,
    ) -> Sink:
        """Remember every sink, replaced ones included.

        After a schema change the SDK forgets the old sink at its next drain (the 5-minute record age, for
        instance), but the records it collected are still part of the input.
        """
        sink = super().get_sink(stream_name, record=record, schema=schema, key_properties=key_properties)
        if not any(known is sink for known in self._collecting):
            self._collecting.append(sink)
        return sink

    def get_sink_class(self, stream_name: str) -> type[Sink]:
        """Unknown streams get a sink that turns every record into an error, never a write."""
        return SINKS.get(stream_name, UnknownStreamSink)

    def _write_state_message(self, state: dict[str, t.Any]) -> None:
        """Hold state until the reconciliation has written everything: drains alone prove nothing."""
        if self._may_emit_state:
            super()._write_state_message(state)

    def process_endofpipe(self) -> None:
        """Reconcile once with all input in hand, then drain and emit state only if that succeeded."""
        settings = Settings.from_config(self.config)
        sinks = self._collecting
        employees = [r for s in sinks if isinstance(s, EmployeesSink) for r in s.records]
        departments = [r for s in sinks if isinstance(s, DepartmentsSink) for r in s.records]
        employee_sinks = [s for s in sinks if isinstance(s, EmployeesSink)]
        complete = len(employee_sinks) == 1 and employee_sinks[0].complete
        input_errors: list[RecordError] = [e for s in sinks if isinstance(s, CollectingSink) for e in s.errors]
        if not employee_sinks and not departments and not input_errors:
            # Nothing to plan from, so nothing is read or written and state may advance. An empty snapshot
            # still has an employees stream (SCHEMA, ACTIVATE_VERSION) and goes on to the deactivation guard.
            self.logger.info("no employees or departments in the input: nothing to reconcile, Leapsome not read")
            self._may_emit_state = not settings.dry_run
            super().process_endofpipe()
            return
        report = reconcile(
            settings, employees, departments, complete=complete, input_errors=input_errors, logger=self.logger
        )
        problems = []
        if report.refused:
            problems.append(report.refused)
        if report.record_errors:
            problems.append(f"{len(report.record_errors)} records could not be used")
        if report.result and report.result.failures:
            problems.append(f"{len(report.result.failures)} writes failed")
        if report.result and report.result.unconfirmed:
            problems.append(f"{len(report.result.unconfirmed)} changes were not in Leapsome when read back")
        hold_state = bool(report.refused) or (report.failed and not settings.allow_failures)
        skips_fail = settings.fail_on_skips and bool(report.skips)
        if skips_fail:
            problems.append(f"{len(report.skips)} skipped (fail_on_skips is on; state was emitted)")
        self._may_emit_state = not hold_state and not settings.dry_run
        super().process_endofpipe()
        if hold_state:
            raise SyncFailed("target-leapsome failed, no state emitted: " + "; ".join(problems))
        if skips_fail:
            raise SyncFailed("target-leapsome: " + "; ".join(problems))


if __name__ == "__main__":
    TargetLeapsome.cli()
