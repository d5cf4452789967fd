"""A short message to an incoming webhook (Slack, Microsoft Teams) after a run, when the settings ask for one.

The body is `{"text": ...}`, which both accept. The message holds the outcome, the counts and where the
report is, never names (a chat channel is not the place for HR data) and never the URL, which embeds a
token. A notification that cannot be delivered is a warning: it never fails the sync.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import requests

OUTCOMES = {
    "succeeded": "succeeded",
    "skips": "succeeded, with employees skipped",
    "dry_run": "dry run, nothing written",
    "failed": "failed",
    "refused": "refused, nothing written",
    "stopped": "stopped before it finished",
}
FAILED = frozenset({"failed", "refused", "stopped"})
TIMEOUT = 10.0
# the counts worth a line in a chat message, in the order a person reads them
SHOWN = (
    "created",
    "updated",
    "adopted",
    "deactivated",
    "reactivated",
    "managers_changed",
    "memberships_changed",
    "skipped",
    "record_errors",
    "failed_writes",
    "unconfirmed_writes",
)


def skipped_keys(report: Mapping[str, Any]) -> set[str]:
    """Who was skipped: the Personio id where there is one, else the subject."""
    return {str(s.get("employee") or s.get("subject")) for s in report.get("skipped") or []}


def reason_to_notify(when: str, report: Mapping[str, Any], previous: Mapping[str, Any] | None) -> str | None:
    """Why this run is worth a message under `notify_on`, or None."""
    if report.get("outcome") in FAILED:
        return f"the run {'was stopped' if report.get('outcome') == 'stopped' else report.get('outcome')}"
    if when in ("changes", "always") and skipped_keys(report) != skipped_keys(previous or {}):
        return "the skipped employees changed"
    if when == "always":
        return "the run finished"
    return None


def message(report: Mapping[str, Any], previous: Mapping[str, Any] | None, where: str | None) -> str:
    """One short paragraph: outcome, the counts that are not zero, what changed in the skips, the report."""
    counts = report.get("counts") or {}
    said = [f"{key.replace('_', ' ')} {counts[key]}" for key in SHOWN if counts.get(key)]
    outcome = str(report.get("outcome", "?"))
    text = f"Personio → Leapsome sync {OUTCOMES.get(outcome, outcome)}"
    text += f" ({', '.join(said)})" if said else " (nothing to change)"
    if report.get("stopped"):
        text += f"; {len(report['stopped'].get('not_started') or [])} writes not started, the next run does them"
    if report.get("error"):
        text += f"; {report['error']}"
    if previous is not None:
        now, before = skipped_keys(report), skipped_keys(previous)
        if now != before:
            text += f"; newly skipped {len(now - before)}, no longer skipped {len(before - now)}"
    if where:
        text += f". Report: {where}"
    return text + "."


def send(url: str, text: str, logger: logging.Logger, timeout: float = TIMEOUT) -> bool:
    """POST the message; any problem is a warning naming the kind of error, never the URL."""
    try:
        response = requests.post(url, json={"text": text}, timeout=timeout)
    except requests.RequestException as exc:
        logger.warning("notification not sent: %s (the sync itself is not affected)", type(exc).__name__)
        return False
    if response.status_code >= 300:
        logger.warning("notification not sent: the webhook answered HTTP %d", response.status_code)
        return False
    logger.info("notification sent")
    return True
