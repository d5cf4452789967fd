"""Where a run's report goes: the JSON at `report_path` with its HTML page beside it, and the run history.

The history is `report_dir`: each run adds `run-<UTC timestamp>.json` and `.html` (the timestamp sorts as
it reads, so the newest is last), and only the last `report_history` runs are kept. The previous run's
JSON is what notifications compare the skipped employees with, so it is read before this run's is written.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from target_leapsome.report import write_json
from target_leapsome.report_html import render_html

PREFIX = "run-"
STAMP = "%Y%m%dT%H%M%S%fZ"


@dataclass
class Written:
    """The files one run wrote; `page` is the HTML a person opens (the history's, if there is one)."""

    files: list[Path] = field(default_factory=list)
    page: Path | None = None


def html_beside(json_path: Path) -> Path:
    """`report.json` -> `report.html`; any other name gets `.html` added."""
    return json_path.with_suffix(".html") if json_path.suffix.lower() == ".json" else Path(f"{json_path}.html")


def write_page(json_path: Path, data: dict[str, Any]) -> Path:
    """The JSON report and its HTML page beside it."""
    write_json(json_path, data)
    page = html_beside(json_path)
    page.write_text(render_html(data, json_name=json_path.name), "utf-8")
    return page


def history(report_dir: Path) -> list[Path]:
    """The history's JSON reports, oldest first."""
    if not report_dir.is_dir():
        return []
    return sorted(p for p in report_dir.glob(f"{PREFIX}*.json") if p.is_file())


def previous_report(report_dir: str | None) -> dict[str, Any] | None:
    """The newest report in the history; {} before the first run; None without a history to compare with."""
    if not report_dir:
        return None
    for path in reversed(history(Path(report_dir))):
        try:
            data = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(data, dict):
            return data
    return {}


def write_reports(
    data: dict[str, Any], *, report_path: str | None, report_dir: str | None, keep: int, started: datetime
) -> Written:
    """Write this run's reports where the settings say, then trim the history to the last `keep` runs."""
    written = Written()
    if report_path:
        page = write_page(Path(report_path), data)
        written.files += [Path(report_path), page]
        written.page = page
    if report_dir:
        folder = Path(report_dir)
        folder.mkdir(parents=True, exist_ok=True)
        json_path = folder / f"{PREFIX}{started.strftime(STAMP)}.json"
        page = write_page(json_path, data)
        written.files += [json_path, page]
        written.page = page
        for old in history(folder)[:-keep]:
            old.unlink(missing_ok=True)
            html_beside(old).unlink(missing_ok=True)
    return written
