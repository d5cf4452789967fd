"""One reconciliation: read Leapsome, plan against the input, guard, apply (unless dry run), verify, report.

Every run ends in `finish`: the summary in the log (also as one structured event), the JSON report and its
HTML page, the run history and the notification. A stop (`stop` set by the target's signal handler) keeps
any further write from starting and skips the read-back, and the report says what was and was not done.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import requests

from target_leapsome import notify
from target_leapsome.apply import ApplyResult, Failure, apply_plan
from target_leapsome.client import LeapsomeClient, LeapsomeError
from target_leapsome.desired import Desired, RecordError, Rules, build_desired
from target_leapsome.invites import ContentApiClient, read_pending_invites
from target_leapsome.models import LeapsomeState
from target_leapsome.plan import Plan
from target_leapsome.planner import PlanOptions, limit_violation, plan_sync
from target_leapsome.report import RunReport
from target_leapsome.runs import previous_report, write_reports
from target_leapsome.scim import parse_team, parse_user
from target_leapsome.settings import Settings
from target_leapsome.verify import unconfirmed, without

# This many refused user writes and not one accepted: the account or the sync is at fault, not the data.
REFUSALS_THAT_MEAN_BROKEN = 5


def read_state(client: LeapsomeClient) -> LeapsomeState:
    """Every user and every team, once: membership is only readable through the users."""
    users = tuple(parse_user(u) for u in client.list_users())
    teams = tuple(parse_team(g) for g in client.list_groups())
    return LeapsomeState(users, teams)


def check_result(result: ApplyResult, desired: Desired, options: PlanOptions, client: LeapsomeClient) -> None:
    """Read Leapsome back and plan again: every write still planned is one Leapsome did not take."""
    if len(result.refusals) >= REFUSALS_THAT_MEAN_BROKEN and result.user_writes == 0:
        result.failures.append(
            Failure(
                "Leapsome",
                f"refused all {len(result.refusals)} user writes of this run: that points at the account or the "
                "sync, not at the employees' data",
            )
        )
    if result.writes == 0:
        return
    reads = client.requests
    after = read_state(client)
    left_out = {f.employee for f in result.failures if f.employee} | {s.key for s in result.refusals if s.key}
    failed_teams = {f.department for f in result.failures if f.department is not None}
    result.unconfirmed = unconfirmed(plan_sync(without(desired, left_out), after, options), failed_teams)
    result.verification_reads = client.requests - reads


def attribute_labels(definitions: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """Custom attribute label -> the name records use for it (tap-personio's `employee_attributes` stream)."""
    labels = {}
    for definition in definitions:
        label, name = definition.get("label"), definition.get("column_name") or definition.get("key")
        if isinstance(label, str) and isinstance(name, str):
            labels[label] = name
    return labels


def reconcile(
    settings: Settings,
    employees: Sequence[Mapping[str, Any]],
    departments: Sequence[Mapping[str, Any]],
    attributes: Sequence[Mapping[str, Any]] = (),
    *,
    complete: bool,
    input_errors: Sequence[RecordError],
    logger: logging.Logger,
    stop: threading.Event | None = None,
    stop_name: Callable[[], str | None] = lambda: None,
) -> RunReport:
    """Read Leapsome, make the input the desired population, plan, guard, apply, verify, report: once.

    Never raises for a bad record, a failed write or a stop; `stop_name` names a stop's signal for the report.
    """
    started_at, started = datetime.now(UTC), time.monotonic()
    stop = stop or threading.Event()
    client = LeapsomeClient(
        settings.base_url, settings.api_token, max_requests_per_second=settings.max_requests_per_second,
        max_retries=settings.max_retries, timeout=settings.request_timeout, stop=stop,
    )  # fmt: skip
    try:
        state = read_state(client)
    except LeapsomeError as exc:
        stopped = stop_name() or "a stop request" if stop.is_set() else None
        report = _unreadable(settings, exc, input_errors, complete, stopped)
        return finish(report, settings, logger, client=client, started_at=started_at, started=started)
    complete = _still_complete(complete, input_errors, logger)
    _log_input(
        logger, state=state, client=client, employees=len(employees), departments=len(departments), complete=complete
    )
    desired = _desired(
        settings, employees=employees, departments=departments, attributes=attributes, complete=complete,
        input_errors=input_errors, logger=logger,
    )  # fmt: skip
    options = PlanOptions(statuses=frozenset(settings.statuses), out_of_scope=settings.scope.out_of_scope)
    plan = plan_sync(desired, state, options)
    del state  # the read-back reads Leapsome again: never hold two copies of it
    refused = limit_violation(plan, settings.max_deactivations, settings.max_deactivation_share)
    result, stopped_before = _apply(
        settings, plan, refused=refused, desired=desired, options=options, client=client, stop=stop, logger=logger
    )
    report = RunReport(
        plan=plan, result=result, record_errors=[*input_errors, *desired.errors], dry_run=settings.dry_run,
        complete_snapshot=complete, refused=refused, warnings=desired.warnings,
        stopped=stop_name() or "a stop request" if stop.is_set() else None, stopped_before=stopped_before,
        pending_invites=_pending_invites(settings, client, logger) if not stop.is_set() else None,
    )  # fmt: skip
    return finish(report, settings, logger, client=client, started_at=started_at, started=started)


def _unreadable(
    settings: Settings, error: LeapsomeError, input_errors: Sequence[RecordError], complete: bool, stopped: str | None
) -> RunReport:
    """The report of a run that could not read Leapsome: nothing planned, nothing written."""
    return RunReport(
        plan=Plan(),
        result=None,
        record_errors=list(input_errors),
        dry_run=settings.dry_run,
        complete_snapshot=complete,
        error=f"could not read Leapsome ({error}); nothing was written",
        stopped=stopped,
        stopped_before="stopped while reading Leapsome: nothing was written" if stopped else None,
    )


def rejected_employees(input_errors: Sequence[RecordError]) -> set[str]:
    """The keys of the employee records the sinks could not read: those employees are left alone."""
    return {error.key for error in input_errors if error.stream == "employees"}


def _still_complete(complete: bool, input_errors: Sequence[RecordError], logger: logging.Logger) -> bool:
    """A record that could not even be keyed: absence can no longer mean "gone from Personio"."""
    if complete and any(not key.isdigit() for key in rejected_employees(input_errors)):
        logger.warning("an employees record without a usable id: nobody is deactivated for being absent this run")
        return False
    return complete


def _log_input(
    logger: logging.Logger,
    *,
    state: LeapsomeState,
    client: LeapsomeClient,
    employees: int,
    departments: int,
    complete: bool,
) -> None:
    logger.info(
        "read Leapsome: %d users, %d teams in %d requests; input: %d employees (%s), %d departments",
        len(state.users),
        len(state.teams),
        client.requests,
        employees,
        "complete snapshot" if complete else "incremental",
        departments,
    )


def _desired(
    settings: Settings,
    *,
    employees: Sequence[Mapping[str, Any]],
    departments: Sequence[Mapping[str, Any]],
    attributes: Sequence[Mapping[str, Any]],
    complete: bool,
    input_errors: Sequence[RecordError],
    logger: logging.Logger,
) -> Desired:
    """The input as the population Leapsome should hold, through the mapping and the scope."""
    rejected = rejected_employees(input_errors)
    rules = Rules(mapping=settings.mapping, scope=settings.scope, labels=attribute_labels(attributes))
    desired = build_desired(
        employees, departments, settings.statuses, complete=complete, rejected=rejected, rules=rules
    )
    for warning in desired.warnings:
        logger.warning("%s", warning)
    return desired


def _apply(
    settings: Settings,
    plan: Plan,
    *,
    refused: str | None,
    desired: Desired,
    options: PlanOptions,
    client: LeapsomeClient,
    stop: threading.Event,
    logger: logging.Logger,
) -> tuple[ApplyResult | None, str | None]:
    """Write the plan (unless refused, a dry run or stopped) and prove it; None when nothing was applied."""
    if refused:
        logger.error("refusing to apply the plan: %s", refused)
        return None, None
    if stop.is_set():
        return None, "stopped after reading Leapsome and planning, before any write: nothing was written"
    if settings.dry_run:
        return None, None
    if plan.is_empty():
        return ApplyResult(), None
    logger.info("applying %d planned writes", plan.write_count)
    result = apply_plan(plan, client, settings.concurrency, settings.progress_interval, stop)
    if not stop.is_set():
        check_result(result, desired, options, client)
    return result, None


def _pending_invites(settings: Settings, scim: LeapsomeClient, logger: logging.Logger) -> list[str] | None:
    """Synced users who have not accepted their invitation, when a Content API secret is set; never fails a run."""
    if not settings.content_api_secret:
        return None
    content = ContentApiClient(settings.content_base_url, settings.content_api_secret, timeout=settings.request_timeout)
    try:
        return [pending.label for pending in read_pending_invites(scim, content)]
    except LeapsomeError as exc:
        logger.warning("could not list pending invitations through the Content API: %s", exc)
        return None
    except (requests.RequestException, ValueError) as exc:  # its message may hold a URL: name the kind only
        logger.warning("could not list pending invitations through the Content API: %s", type(exc).__name__)
        return None
    finally:
        content.close()


def stopped_while_reading(settings: Settings, signal_name: str, logger: logging.Logger) -> RunReport:
    """The report of a run stopped before all input had arrived: Leapsome was neither read nor written."""
    report = RunReport(
        plan=Plan(),
        result=None,
        record_errors=[],
        dry_run=settings.dry_run,
        complete_snapshot=False,
        stopped=signal_name,
        stopped_before="stopped while the input from tap-personio was arriving: Leapsome was neither read nor "
        "written, no state was emitted, and the next run starts from the same bookmark",
    )
    return finish(report, settings, logger, client=None, started_at=datetime.now(UTC), started=time.monotonic())


def finish(
    report: RunReport,
    settings: Settings,
    logger: logging.Logger,
    *,
    client: LeapsomeClient | None,
    started_at: datetime,
    started: float,
) -> RunReport:
    """Summary lines, the structured summary event, the reports on disk, the notification."""
    report.started_at = started_at.isoformat(timespec="seconds")
    report.duration_seconds = time.monotonic() - started
    report.requests = client.requests if client else 0
    level = logging.INFO if settings.dry_run or report.refused else logging.DEBUG
    for action in report.to_json()["actions"]:
        logger.log(level, "plan: %s %s %s", action["action"], action["subject"], action.get("changes", ""))
    for line_level, line in report.summary_lines():
        logger.log(line_level, "%s", line)
    if client:
        logger.info(
            "Leapsome requests: %d (%d retried) in %.1fs", client.requests, client.retries, report.duration_seconds
        )
    event = report.summary_event()
    logger.info("%s", json.dumps(event, sort_keys=True), extra={"run_summary": event})
    data = report.to_json()
    previous = previous_report(settings.report_dir)
    where: str | None = None
    try:
        written = write_reports(
            data,
            report_path=settings.report_path,
            report_dir=settings.report_dir,
            keep=settings.report_history,
            started=started_at,
        )
    except OSError as exc:
        logger.error("report not written: %s", exc)
    else:
        for path in written.files:
            logger.info("report written to %s", path)
        where = str(written.page) if written.page else None
    if settings.notify_webhook_url:
        reason = notify.reason_to_notify(settings.notify_on, data, previous)
        if reason:
            logger.info("notifying the webhook: %s", reason)
            notify.send(settings.notify_webhook_url, notify.message(data, previous, where), logger)
    return report
