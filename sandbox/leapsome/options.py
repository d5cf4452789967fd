"""Switches for what Leapsome's SCIM spec leaves open, so the target can be tested under each reading.

Besides `domains` (the organisation's email domains) and `auto_invite` (an organisation setting, not a
reading of the spec: whether users created through SCIM are invited at once), each field offers the
plausible readings of one unstated behaviour; the defaults are what the sandbox always did (and
docs/design.md states). The app's module docstring says what each one changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

DUPLICATE_CREATE = ("empty", "conflict")
GROUP_CREATE_MEMBERS = ("accepted", "ignored", "refused")
PATCH_RESPONSE = ("resource", "no_content")
USER_GROUPS = ("listed", "omitted", "empty")
CHOICES: dict[str, tuple[str, ...]] = {
    "duplicate_create": DUPLICATE_CREATE,
    "group_create_members": GROUP_CREATE_MEMBERS,
    "patch_response": PATCH_RESPONSE,
    "user_groups": USER_GROUPS,
}
LIMITS = ("page_size_cap", "max_text_length")  # a positive integer, or null for none
SWITCHES = ("auto_invite",)  # true or false


@dataclass
class Options:
    """Read by the API at request time; set at start and changed through `POST /_admin/options`."""

    duplicate_create: str = "empty"  # "empty": 201 {} for an existing userName; "conflict": 409
    domains: list[str] = field(default_factory=lambda: ["acme.example"])
    group_create_members: str = "accepted"  # POST /Groups `members`: applied, silently dropped, or 400
    patch_response: str = "resource"  # PATCH/PUT answer: 200 with the resource, or 204 without a body
    user_groups: str = "listed"  # users carry `groups`; "omitted": no key; "empty": always []
    page_size_cap: int | None = None  # at most this many resources per list page, whatever `count` asks
    max_text_length: int | None = None  # user text attributes longer than this → 400; None: no limit
    ignored_attributes: list[str] = field(default_factory=list)  # user attributes a PATCH/PUT accepts, then drops
    auto_invite: bool = False  # a user created through SCIM is invited at once ("invited"), else "created"

    def update(self, changes: Any) -> None:
        """Validate every change first, then apply them all (a refused request changes nothing)."""
        if not isinstance(changes, dict):
            raise ValueError("options must be a JSON object")
        known = sorted(f.name for f in fields(self))
        checked: dict[str, Any] = {}
        for key, value in changes.items():
            if key in CHOICES:
                if value not in CHOICES[key]:
                    raise ValueError(f"{key} must be one of {list(CHOICES[key])}")
                checked[key] = value
            elif key in LIMITS:
                if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
                    raise ValueError(f"{key} must be a positive integer or null")
                checked[key] = value
            elif key in SWITCHES:
                if not isinstance(value, bool):
                    raise ValueError(f"{key} must be true or false")
                checked[key] = value
            elif key == "ignored_attributes":
                if not isinstance(value, list) or not all(isinstance(a, str) and a for a in value):
                    raise ValueError("ignored_attributes must be a list of user attribute names")
                checked[key] = list(value)
            elif key == "domains":
                if not isinstance(value, list) or not value or not all(isinstance(d, str) and d for d in value):
                    raise ValueError("domains must be a non-empty list of domain names")
                checked[key] = [d.lower() for d in value]
            else:
                raise ValueError(f"unknown option {key!r}; known: {known}")
        for key, value in checked.items():
            setattr(self, key, value)
