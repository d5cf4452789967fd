"""The run's report as one self-contained HTML page, for an HR admin who never reads a log line.

Rendered from the JSON report alone (RunReport.to_json), so the page shows what the JSON shows and, like
it, can hold no secret. Jinja2 with autoescaping on escapes every value from Personio or Leapsome; the
page loads nothing from elsewhere (no scripts, fonts or style sheets: the CSS is inline).
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

import jinja2

HEADLINES = {
    "succeeded": "Everything in Personio is in Leapsome.",
    "skips": "Synced, except the employees listed under “Skipped”: fix them in Personio and the next run syncs them.",
    "failed": "The sync did not fully work: see “Failed writes” and “Input that could not be read”. "
    "Ask whoever runs the sync to look at it.",
    "refused": "Nothing was written: the plan would have deactivated more users than allowed, so it was "
    "refused for safety.",
    "stopped": "The run was stopped before it finished. Nothing is lost: the next run does the rest.",
    "dry_run": "Dry run: nothing was written to Leapsome. Below is what a real run would do.",
}
COUNT_LABELS = {
    "created": "users created",
    "updated": "users updated",
    "adopted": "existing users adopted",
    "taken_over": "returning employees given their former user",
    "email_changed": "emails changed",
    "deactivated": "users deactivated",
    "reactivated": "users reactivated",
    "managers_changed": "managers set",
    "teams_created": "teams created",
    "teams_adopted": "teams adopted",
    "teams_renamed": "teams renamed",
    "teams_emptied": "teams emptied (department gone)",
    "memberships_changed": "team memberships changed",
    "managers_who_left": "managers who left Personio",
    "skipped": "skipped (fix in Personio)",
    "record_errors": "input records that could not be read",
    "failed_writes": "failed writes",
    "unconfirmed_writes": "changes not found when read back",
}


def shown(value: Any) -> str:
    """A before or after value as a person reads it: empty is said, structures are compact JSON."""
    if value is None or value == "":
        return "(empty)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str | int | float):
        return str(value)
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


@cache
def _template() -> jinja2.Template:
    environment = jinja2.Environment(
        autoescape=True,  # every value is escaped, whatever the file name
        undefined=jinja2.StrictUndefined,  # a renamed report field fails the tests, not the page silently
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["shown"] = shown
    source = resources.files("target_leapsome").joinpath("templates/report.html.j2").read_text("utf-8")
    return environment.from_string(source)


def render_html(report: dict[str, Any], *, json_name: str | None = None) -> str:
    """The page for one run's JSON report; `json_name` links the JSON file beside it."""
    return _template().render(
        r=report,
        headline=HEADLINES.get(report["outcome"], report["outcome"]),
        count_labels=COUNT_LABELS,
        json_name=json_name,
    )
