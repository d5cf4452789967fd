"""Switches for what Personio's documentation leaves open, so the tap can be tested under each reading.

Each field offers the plausible readings of one unstated behaviour; the defaults are what the sandbox
always did (and docs/design.md states). The app's module docstring says what each one changes.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

UPDATED_SINCE = ("exclusive", "inclusive")
NAIVE_TIMEZONES = ("Europe/Berlin", "UTC")


@dataclass
class Options:
    """Read by the API and the company at request time; changed through `POST /_admin/options`."""

    updated_since: str = "exclusive"  # "exclusive": changed strictly after; "inclusive": at or after
    naive_timezone: str = "Europe/Berlin"  # the zone a naive `updated_since` is read in: or "UTC"
    rename_bumps_members: bool = False  # renaming a department bumps its members' `last_modified_at`

    def update(self, changes: Any) -> None:
        """Validate every change, then apply them all, so a refused request changes nothing."""
        if not isinstance(changes, dict):
            raise ValueError("options must be a JSON object")
        known = sorted(f.name for f in fields(self))
        for key, value in changes.items():
            if key == "updated_since" and value not in UPDATED_SINCE:
                raise ValueError(f"updated_since must be one of {list(UPDATED_SINCE)}")
            if key == "naive_timezone" and value not in NAIVE_TIMEZONES:
                raise ValueError(f"naive_timezone must be one of {list(NAIVE_TIMEZONES)}")
            if key == "rename_bumps_members" and not isinstance(value, bool):
                raise ValueError("rename_bumps_members must be true or false")
            if key not in known:
                raise ValueError(f"unknown option {key!r}; known: {known}")
        for key, value in changes.items():
            setattr(self, key, value)
