"""One reconciliation: read Leapsome, plan against the input, guard, apply (unless dry run), verify, report."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from typing import Any

from target_leapsome.apply import ApplyResult, Failure, apply_plan
from target_leapsome.client import LeapsomeClient
from target_leapsome.desired import Desired, RecordError, build_desired
from target_leapsome.models import LeapsomeState
from target_leapsome.planner import PlanOptions, limit_violation, plan_sync
from target_leapsome.report import RunReport
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


def reconcile(
    settings: Settings,
    employees: Sequence[Mapping[str, Any]],
    departments: Sequence[Mapping[str, Any]],
    *,
    complete: bool,
    input_errors: Sequence[RecordError],
    logger: logging.Logger,
) -> RunReport:
    """Run the sync once; never raises for a bad record or a failed write (they are in the report)."""
    started = time.monotonic()
    client = LeapsomeClient(
        settings.base_url,
        settings.api_token,
        max_requests_per_second=settings.max_requests_per_second,
        max_retries=settings.max_retries,
        timeout=settings.request_timeout,
    )
    state = read_state(client)
    logger.info(
        "read Leapsome: %d users, %d teams in %d requests; input: %d employees (%s), %d departments",
        len(state.users),
        len(state.teams),
        client.requests,
        len(employees),
        "complete snapshot" if complete else "incremental",
        len(departments),
    )
    rejected = {error.key for error in input_errors if error.stream == "employees"}
    if complete and any(not key.isdigit() for key in rejected):
        # someone's record could not even be keyed: absence can no longer mean "gone from Personio"
        logger.warning("an employees record without a usable id: nobody is deactivated for being absent this run")
        complete = False
    desired = build_desired(employees, departments, settings.statuses, complete=complete, rejected=rejected)
    for warning in desired.warnings:
        logger.warning("%s", warning)
    options = PlanOptions(statuses=frozenset(settings.statuses))
    plan = plan_sync(desired, state, options)
    refused = limit_violation(plan, settings.max_deactivations, settings.max_deactivation_share)
    result: ApplyResult | None = None
    if refused:
        logger.error("refusing to apply the plan: %s", refused)
    elif not settings.dry_run and not plan.is_empty():
        logger.info("applying %d planned writes", plan.write_count)
        result = apply_plan(plan, client, settings.concurrency, settings.progress_interval)
        check_result(result, desired, options, client)
    elif not settings.dry_run:
        result = ApplyResult()
    report = RunReport(
        plan=plan,
        result=result,
        record_errors=[*input_errors, *desired.errors],
        dry_run=settings.dry_run,
        complete_snapshot=complete,
        refused=refused,
        warnings=desired.warnings,
    )
    level = logging.INFO if settings.dry_run or refused else logging.DEBUG
    for action in report.to_json()["actions"]:
        logger.log(level, "plan: %s %s %s", action["action"], action["subject"], action.get("changes", ""))
    for level, line in report.summary_lines():
        logger.log(level, "%s", line)
    logger.info(
        "Leapsome requests: %d (%d retried) in %.1fs", client.requests, client.retries, time.monotonic() - started
    )
    if settings.report_path:
        report.write(settings.report_path)
        logger.info("report written to %s", settings.report_path)
    return report
