"""target-leapsome: reconcile Leapsome users, teams and managers with Personio through the SCIM API."""

# mypy: enable-error-code="explicit-override"

from __future__ import annotations

import copy
import typing as t
from types import FrameType

from singer_sdk.helpers.capabilities import PluginCapabilities
from singer_sdk.sinks import Sink
from singer_sdk.target_base import Target

from target_leapsome.compat import override
from target_leapsome.desired import RecordError
from target_leapsome.reconcile import reconcile, stopped_while_reading
from target_leapsome.report import RunReport
from target_leapsome.settings import CONFIG_SCHEMA, Settings
from target_leapsome.sinks import AttributesSink, CollectingSink, DepartmentsSink, EmployeesSink, UnknownStreamSink
from target_leapsome.stopping import StopSwitch

SINKS: dict[str, type[CollectingSink]] = {
    "employees": EmployeesSink,
    "departments": DepartmentsSink,
    "employee_attributes": AttributesSink,
}


class SyncFailed(Exception):
    """The run did not fully succeed; the target exits non-zero and emits no state."""


class TargetLeapsome(Target):
    """Reconcile Leapsome users, teams and managers with Personio (tap-personio's streams) via SCIM.

    Plan then apply, once all input has arrived; safe to re-run; fails loudly unless told otherwise.
    """

    name = "target-leapsome"
    capabilities: t.ClassVar[list[t.Any]] = [*Target.capabilities, PluginCapabilities.ACTIVATE_VERSION]

    config_jsonschema = copy.deepcopy(CONFIG_SCHEMA)  # the SDK adds its built-in settings to this one in place

    @override
    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        """Build the typed settings once, from the config the SDK validated and filled with defaults."""
        super().__init__(*args, **kwargs)
        self._may_emit_state = False
        self._collecting: list[Sink] = []
        self.settings = Settings.from_config(self.config)
        self.stop_switch = StopSwitch()

    @override
    def _handle_termination(self, signum: int, frame: FrameType | None) -> None:
        """SIGTERM or SIGINT: stop as stopping.py says, instead of the SDK's drain, state and exit 0."""
        stop = getattr(self, "stop_switch", None)
        if stop is None:  # still starting: nothing read, nothing written
            raise SystemExit(128 + signum)
        first = stop.request(signum)
        if stop.phase == "input":
            self.logger.error("stopped by %s while the input was arriving: Leapsome not read or written", stop.name)
            stopped_while_reading(self.settings, stop.name or "a signal", self.logger)
            self.logger.error("target-leapsome stopped by %s; no state emitted; exit %d", stop.name, stop.exit_code)
            raise SystemExit(stop.exit_code)
        if stop.phase == "reconciling":
            self.logger.warning(
                "%s %s: no new write starts; writes in flight finish (each within request_timeout, %.0f s)",
                stop.name,
                "received" if first else "received again",
                self.settings.request_timeout,
            )
            return
        self.logger.warning("%s received after the sync finished: finishing normally", stop.name)

    @override
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

    @override
    def get_sink_class(self, stream_name: str) -> type[Sink]:
        """Unknown streams get a sink that turns every record into an error, never a write."""
        return SINKS.get(stream_name, UnknownStreamSink)

    @override
    def _write_state_message(self, state: dict[str, t.Any]) -> None:
        """Hold state until the reconciliation has written everything: drains alone prove nothing."""
        if self._may_emit_state:
            super()._write_state_message(state)

    @override
    def process_endofpipe(self) -> None:
        """Reconcile once with all input in hand, then drain and emit state only if that succeeded."""
        settings = self.settings
        sinks = self._collecting
        employees, departments, attributes = (
            [r for s in sinks if isinstance(s, kind) for r in s.records]
            for kind in (EmployeesSink, DepartmentsSink, AttributesSink)
        )
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
        self.stop_switch.phase = "reconciling"
        report = reconcile(
            settings, employees, departments, attributes, complete=complete, input_errors=input_errors,
            logger=self.logger, stop=self.stop_switch.event, stop_name=lambda: self.stop_switch.name,
        )  # fmt: skip
        self.stop_switch.phase = "finishing"
        if report.stopped:
            self._may_emit_state = False
            super().process_endofpipe()
            self.logger.error(
                "target-leapsome stopped by %s: %s; no state emitted; exit %d",
                report.stopped,
                report.stop_in_words(),
                self.stop_switch.exit_code,
            )
            raise SystemExit(self.stop_switch.exit_code)
        hold_state, problems = outcome(report, settings)
        self._may_emit_state = not hold_state and not settings.dry_run
        super().process_endofpipe()
        if problems:
            prefix = "target-leapsome failed, no state emitted: " if hold_state else "target-leapsome: "
            raise SyncFailed(prefix + "; ".join(problems))


def outcome(report: RunReport, settings: Settings) -> tuple[bool, list[str]]:
    """Whether the run holds state (it failed), and the problems that make it exit non-zero.

    Skips fail the run only with `fail_on_skips`, and even then state advances: every write took.
    """
    result = report.result
    problems = [
        *([report.error] if report.error else []),
        *([report.refused] if report.refused else []),
        *([f"{len(report.record_errors)} records could not be used"] if report.record_errors else []),
        *([f"{len(result.failures)} writes failed"] if result and result.failures else []),
        *(
            [f"{len(result.unconfirmed)} changes were not in Leapsome when read back"]
            if result and result.unconfirmed
            else []
        ),
    ]
    hold_state = bool(report.refused) or (report.failed and not settings.allow_failures)
    if not hold_state:
        problems = []
    if settings.fail_on_skips and report.skips:
        problems.append(f"{len(report.skips)} skipped (fail_on_skips is on; state was emitted)")
    return hold_state, problems


if __name__ == "__main__":
    TargetLeapsome.cli()
