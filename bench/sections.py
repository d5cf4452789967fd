"""Sections of bench/RESULTS.md written by other benchmark modules, kept when `python -m bench` rewrites the file."""

from __future__ import annotations

from pathlib import Path

CHURN_HEADING = "## Complete snapshots while HR keeps working"
WEBHOOKS_HEADING = "## Near-real-time sync with Personio webhooks"  # `python -m bench.webhooks`


def section(text: str, heading: str) -> str:
    """Return the section that starts at `heading` (up to the next `## ` heading or the end), or ""."""
    start = text.find(f"\n{heading}\n")
    if start < 0:
        return ""
    end = text.find("\n## ", start + len(heading) + 2)
    return text[start + 1 : end + 1 if end >= 0 else len(text)].rstrip("\n") + "\n"


def with_section(text: str, heading: str, body: str) -> str:
    """Return `text` with its `heading` section replaced by `body` (which starts with the heading), or appended."""
    old = section(text, heading)
    if old:
        return text.replace(old, body.rstrip("\n") + "\n", 1)
    return text.rstrip("\n") + "\n\n" + body.rstrip("\n") + "\n"


def kept_sections(path: Path) -> str:
    """The sections of an existing results file that `python -m bench` does not generate, to append again."""
    if not path.exists():
        return ""
    text = path.read_text()
    found = [part for part in (section(text, h) for h in (CHURN_HEADING, WEBHOOKS_HEADING)) if part]
    return "".join("\n" + part for part in found)
