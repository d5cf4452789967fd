"""The run's account: a summary for the log and a JSON report of every action with before/after values.

Skips (HR data to fix in Personio) and failures (the sync did not do its job) are kept apart, and each
skipped employee is named once. "writes" counts only requests Leapsome accepted, and the read-back
verification says whether they are all in place.

Built only from the plan, the apply result and the record errors, never from the configuration, so
no secret can reach it. The HTML page (report_html.py) and the notification (notify.py) are built from
`to_json()` alone, so they show exactly what the JSON shows.
"""

from __future__ import annotations

import json
import logging
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from target_leapsome.apply import ApplyResult
from target_leapsome.desired import RecordError
from target_leapsome.existing import reported_change
from target_leapsome.models import Skip
from target_leapsome.plan import Plan

EMPLOYEE_IN_TEXT = re.compile(r"employee \d+ \([^)]*\)(, employee \d+ \([^)]*\))*")
EMAIL_IN_TEXT = re.compile(r"'[^'\s]*@[^'\s]*'|[^\s@']+@[^\s@']+")

SUMMARY_KEYS = (
    "created",
    "updated",
    "adopted",
    "taken_over",
    "email_changed",
    "deactivated",
    "reactivated",
    "managers_changed",
    "teams_created",
    "teams_adopted",
    "teams_renamed",
    "teams_emptied",
    "memberships_changed",
    "managers_who_left",
    "out_of_scope",
    "skipped",
    "record_errors",
    "failed_writes",
    "unconfirmed_writes",
)


@dataclass
class RunReport:
    plan: Plan
    result: ApplyResult | None  # None in a dry run or when nothing was applied
    record_errors: list[RecordError]
    dry_run: bool
    complete_snapshot: bool
    refused: str | None = None  # why the plan was not applied (deactivation limit)
    warnings: list[str] = field(default_factory=list)  # input repaired on the way (control characters)
    counts: dict[str, int] = field(default_factory=dict)
    stopped: str | None = None  # the signal that stopped the run (SIGTERM, SIGINT)
    stopped_before: str | None = None  # what a stop before applying kept from happening, in words
    error: str | None = None  # why the run could not plan at all (Leapsome could not be read)
    started_at: str = ""  # ISO 8601, UTC
    duration_seconds: float = 0.0
    requests: int = 0  # Leapsome requests, reads and writes
    pending_invites: list[str] | None = None  # synced users who never accepted (needs content_api_secret)

    def __post_init__(self) -> None:
        kinds: Counter[str] = Counter()
        for update in self.plan.user_updates:
            kinds.update(update.kinds)
        teams: Counter[str] = Counter()
        for write in self.plan.team_writes:
            teams.update(write.kinds)
        self.counts = {
            "created": len(self.plan.user_creates),
            "updated": kinds["updated"],
            "adopted": kinds["adopted"],
            "taken_over": kinds["taken_over"],
            "email_changed": kinds["email_changed"],
            "deactivated": kinds["deactivated"],
            "reactivated": kinds["reactivated"],
            "managers_changed": kinds["manager_changed"],
            "teams_created": teams["created"],
            "teams_adopted": teams["adopted"],
            "teams_renamed": teams["renamed"],
            "teams_emptied": teams["emptied"],
            "memberships_changed": sum(len(w.added) + len(w.removed) for w in self.plan.team_writes),
            "managers_who_left": sum(1 for n in self.plan.notices if n.key is not None),
            "out_of_scope": len(self.plan.out_of_scope),
            "skipped": len(self.skips),
            "record_errors": len(self.record_errors),
            "failed_writes": len(self.result.failures) if self.result else 0,
            "unconfirmed_writes": len(self.result.unconfirmed) if self.result else 0,
        }

    @property
    def skips(self) -> list[Skip]:
        """Every skipped employee, team or link: what the plan left out and what Leapsome refused."""
        return [*self.plan.skips, *(self.result.refusals if self.result else [])]

    @property
    def failed(self) -> bool:
        """The sync itself did not do its job: input it could not read, writes that did not take."""
        result = self.result
        return bool(self.error or self.record_errors or (result and (result.failures or result.unconfirmed)))

    @property
    def outcome(self) -> str:
        """One word for the run, the first that applies: stopped, refused, failed, dry_run, skips, succeeded."""
        if self.stopped:
            return "stopped"
        if self.refused:
            return "refused"
        if self.failed:
            return "failed"
        if self.dry_run:
            return "dry_run"
        return "skips" if self.skips else "succeeded"

    @property
    def not_started(self) -> list[dict[str, str]]:
        return [{"phase": n.phase, "subject": n.subject} for n in (self.result.not_started if self.result else [])]

    @property
    def mode(self) -> str:
        if self.stopped:
            return f"stopped by {self.stopped}"
        if self.dry_run:
            return "dry run (nothing written)"
        if self.refused:
            return "refused (nothing written)"
        return "applied"

    def summary_lines(self) -> list[tuple[int, str]]:
        """The end-of-run summary with a log level per line; each skipped employee and failure is named once.

        Skip reasons are also counted by kind, so a large org stays readable.
        """
        counts = " ".join(f"{key}={self.counts[key]}" for key in SUMMARY_KEYS)
        writes = self.result.writes if self.result else 0
        kind = "complete snapshot" if self.complete_snapshot else "incremental"
        lines = [
            (
                logging.INFO,
                f"summary ({self.mode}, {kind}): {counts} planned_writes={self.plan.write_count} writes={writes}",
            ),
            (logging.INFO, f"{'the plan would' if self.dry_run else 'the plan'}: {self.plan_in_words()}"),
        ]
        result = self.result
        if result and result.verification_reads:
            outcome = f"{len(result.unconfirmed)} changes are not there" if result.unconfirmed else "all in place"
            lines.append(
                (logging.INFO, f"verified by reading Leapsome back ({result.verification_reads} requests): {outcome}")
            )
        return [*lines, *self._people_lines(), *self._problem_lines()]

    def _people_lines(self) -> list[tuple[int, str]]:
        """Who was skipped, who HR should look at, who is out of scope, who has not joined yet."""
        reasons: Counter[str] = Counter(_reason_kind(s.reason) for s in self.skips)
        lines = [(logging.INFO, f"skipped {n}: {reason}") for reason, n in sorted(reasons.items())]
        lines.extend((logging.WARNING, f"skipped: {skip.subject}: {skip.reason}") for skip in self.skips)
        lines.extend((logging.WARNING, f"to look at: {n.subject}: {n.reason}") for n in self.plan.notices)
        lines.extend((logging.INFO, f"{out.subject}: {out.reason}") for out in self.plan.out_of_scope)
        if self.pending_invites:
            pending = len(self.pending_invites)
            lines.append(
                (
                    logging.INFO,
                    f"{pending} synced users have not accepted their Leapsome invitation yet (listed in the report)",
                )
            )
        if self.counts["created"]:
            created = self.counts["created"]
            lines.append(
                (
                    logging.INFO,
                    f"{created} new users: they can sign in once invited; this sync sends no invitations "
                    "(see the README, Invites)",
                )
            )
        return lines

    def _problem_lines(self) -> list[tuple[int, str]]:
        """What failed: input not read, writes that failed or did not take, a refused plan, a stop."""
        lines = [(logging.ERROR, f"record error: {error}") for error in self.record_errors]
        if self.result:
            lines.extend((logging.ERROR, f"failed: {f.subject}: {f.message}") for f in self.result.failures)
            lines.extend(
                (logging.ERROR, f"not in Leapsome after the write: {f.subject}: {f.message}")
                for f in self.result.unconfirmed
            )
        if self.refused:
            lines.append((logging.ERROR, f"refused: {self.refused}"))
        if self.error:
            lines.append((logging.ERROR, f"could not sync: {self.error}"))
        if self.stopped:
            lines.append((logging.WARNING, f"stopped by {self.stopped}: {self.stop_in_words()}"))
            lines.extend((logging.WARNING, f"not started: {n['phase']}: {n['subject']}") for n in self.not_started)
        return lines

    def stop_in_words(self) -> str:
        """What a stop left done and undone; the next run plans again and does the rest."""
        if self.stopped_before:
            return self.stopped_before
        writes = self.result.writes if self.result else 0
        return (
            f"{writes} writes were done, {len(self.not_started)} planned writes did not start; no state was "
            "emitted, so the next run plans again and does the rest; the read-back was not run"
        )

    def summary_event(self) -> dict[str, Any]:
        """The end of the run as one structured event, for log aggregation and alerting."""
        return {
            "event": "target_leapsome_run",
            "outcome": self.outcome,
            "dry_run": self.dry_run,
            "complete_snapshot": self.complete_snapshot,
            "started_at": self.started_at,
            "duration_seconds": round(self.duration_seconds, 3),
            "counts": dict(self.counts),
            "planned_writes": self.plan.write_count,
            "writes": self.result.writes if self.result else 0,
            "not_started": len(self.not_started),
            "requests": self.requests,
            "stopped_by": self.stopped,
        }

    def plan_in_words(self) -> str:
        """The plan as a person checks it before applying: "adopt 180 users, deactivate 3 users, ..."."""
        counts = self.counts
        phrases = [
            (counts["created"], "create {} users"),
            (counts["adopted"], "adopt {} users"),
            (counts["taken_over"], "give {} returning employees their former user"),
            (counts["updated"], "update {} users"),
            (counts["email_changed"], "change {} emails"),
            (counts["deactivated"], "deactivate {} users"),
            (counts["reactivated"], "reactivate {} users"),
            (counts["managers_changed"], "set {} managers"),
            (counts["teams_created"], "create {} teams"),
            (counts["teams_adopted"], "adopt {} teams"),
            (counts["teams_renamed"], "rename {} teams"),
            (counts["teams_emptied"], "empty {} teams of departments gone from Personio"),
            (counts["memberships_changed"], "change {} team memberships"),
            (counts["out_of_scope"], "leave {} employees out of scope"),
            (counts["skipped"], "skip {} (see the skipped lines)"),
        ]
        said = [text.format(n) for n, text in phrases if n]
        return ", ".join(said) if said else "nothing to change"

    def to_json(self) -> dict[str, Any]:
        actions = [move.to_json() for move in self.plan.user_moves]
        actions.extend(create.to_json() for create in self.plan.user_creates)
        fixes = self.result.external_id_fixes if self.result else set()
        for update in self.plan.user_updates:
            action = update.to_json()
            fixed = reported_change(update.ref, fixes)  # the create found a user without our externalId
            if fixed is not None:
                action["changes"].setdefault("external_id", fixed)
            actions.append(action)
        actions.extend(write.to_json() for write in self.plan.team_writes)
        return {
            "outcome": self.outcome,
            "mode": self.mode,
            "dry_run": self.dry_run,
            "started_at": self.started_at,
            "duration_seconds": round(self.duration_seconds, 3),
            "complete_snapshot": self.complete_snapshot,
            "counts": self.counts,
            "planned_writes": self.plan.write_count,
            "writes": self.result.writes if self.result else 0,
            "actions": actions,
            "plan": self.plan_in_words(),
            "skipped": [{"subject": s.subject, "reason": s.reason, "employee": s.key} for s in self.skips],
            "to_look_at": [{"subject": n.subject, "reason": n.reason, "employee": n.key} for n in self.plan.notices],
            "pending_invites": self.pending_invites,
            "out_of_scope": [
                {"subject": o.subject, "reason": o.reason, "employee": o.key} for o in self.plan.out_of_scope
            ],
            "record_errors": [
                {"stream": e.stream, "key": e.key, "subject": e.label, "error": e.message} for e in self.record_errors
            ],
            "failures": [{"subject": f.subject, "error": f.message} for f in self.result.failures]
            if self.result
            else [],
            "verification": {
                "reads": self.result.verification_reads,
                "unconfirmed": [{"subject": f.subject, "error": f.message} for f in self.result.unconfirmed],
            }
            if self.result
            else None,
            "refused": self.refused,
            "error": self.error,
            "stopped": {"signal": self.stopped, "what": self.stop_in_words(), "not_started": self.not_started}
            if self.stopped
            else None,
            "warnings": self.warnings,
        }

    def write(self, path: str) -> None:
        write_json(Path(path), self.to_json())


def write_json(target: Path, data: dict[str, Any]) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n", "utf-8")


def _reason_kind(reason: str) -> str:
    """Group skip reasons by their wording, without the people, addresses and numbers in them."""
    general = EMAIL_IN_TEXT.sub("<email>", EMPLOYEE_IN_TEXT.sub("another employee", reason))
    return "".join("N" if ch.isdigit() else ch for ch in general).split(";")[0][:120]
