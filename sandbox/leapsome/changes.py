"""Validate a plain-object user body (Leapsome's `UserDefinition`) and apply it to a user.

Validation finishes before anything changes, so a refused request (400/409) leaves the user as
it was. The same code serves SCIM POST/PATCH/PUT and the admin's "edit by hand".
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sandbox.leapsome.store import TEAM_ATTRIBUTES, LeapsomeOrganisation, ScimError, User

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
READ_ONLY = frozenset({"schemas", "id", "meta", "emails", "groups"})
CREATE_FIELDS = frozenset({"userName", "name", "displayName", "title", "photos", "externalId"})
USER_FIELDS = frozenset(
    {"userName", "externalId", "name", "displayName", "title", "photos", "active", "location", "manager", ENTERPRISE}
)
DATE_FIELDS = ("startDate", "endDate", "birthday")
TEXT_FIELDS = ("level", "location", "employmentType")
GENDERS = ("male", "female", "diverse")
CUSTOM_ATTRIBUTE = re.compile(r"[0-9a-f]{24}")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")

Change = Callable[[LeapsomeOrganisation, User], None]


def bad(detail: str) -> ScimError:
    return ScimError(400, detail)


@dataclass
class UserChanges:
    """The validated changes of one request, applied in order by `apply`."""

    steps: list[Change] = field(default_factory=list)

    def add(self, step: Change) -> None:
        self.steps.append(step)

    def apply(self, organisation: LeapsomeOrganisation, user: User) -> None:
        for step in self.steps:
            step(organisation, user)
        organisation.touch_user(user)


def _text(body: dict[str, Any], key: str, where: str = "") -> str | None:
    value = body[key]
    if value is not None and not isinstance(value, str):
        raise bad(f"The {where}{key} field must be a string")
    return value


def check_user_name(
    organisation: LeapsomeOrganisation, user: User | None, value: Any, domains: list[str] | None
) -> str:
    """A userName must be a non-empty email in an organisation domain and free (case-insensitive)."""
    if value is None:
        raise bad("The userName field is required.")
    if not isinstance(value, str) or not value.strip():
        raise bad("The userName field must be non-empty.")
    if not EMAIL.fullmatch(value):
        raise bad("The userName field must be an email address")
    unchanged = user is not None and user.user_name.lower() == value.lower()
    if not unchanged and domains is not None:
        domain = value.rsplit("@", 1)[1].lower()
        if domain not in {d.lower() for d in domains}:
            raise bad(f"The email domain {domain!r} is not an organization email domain")
    holder = organisation.user_by_name(value)
    if holder is not None and (user is None or holder.id != user.id):
        raise ScimError(409, "Email address conflict")
    return value


def _manager(organisation: LeapsomeOrganisation, user: User | None, reference: Any, key: str) -> str | None:
    """Resolve a manager string (Leapsome id, email, externalId); "" or null clears it."""
    if reference is None or reference == "":
        return None
    if not isinstance(reference, str):
        raise bad(f"The {key} field must be a string (a Leapsome id, an email or an externalId)")
    manager = organisation.resolve_person(reference)
    if manager is None:
        raise bad(f"The {key} {reference!r} matches no user in the organization")
    if user is not None and manager.id == user.id:
        raise bad("A user cannot be their own manager")
    return manager.id


def parse_user_body(
    organisation: LeapsomeOrganisation,
    user: User | None,
    body: Any,
    *,
    replace: bool = False,
    create: bool = False,
    domains: list[str] | None = None,
    require_user_name: bool = True,
    max_text: int | None = None,
) -> UserChanges:
    """Check a body against the organisation and return the changes it asks for.

    `user` is None for a create. `replace` (PUT) resets what the body omits. `create` keeps only the
    fields Leapsome documents for `POST /Users`. `domains` None skips the domain check (admin edits).
    `max_text` refuses longer text attributes (the `max_text_length` option; None: no limit).
    """
    if not isinstance(body, dict):
        raise bad("The request body must be a JSON object")
    if "Operations" in body or any("PatchOp" in str(s) for s in body.get("schemas") or []):
        raise bad("PatchOp bodies are not supported; send the user attributes as a plain object")
    if create:
        body = {k: v for k, v in body.items() if k in CREATE_FIELDS}
    unknown = sorted(set(body) - USER_FIELDS - READ_ONLY)
    if unknown:
        raise bad(f"Unknown attribute(s): {', '.join(unknown)}")
    if max_text is not None:
        _check_lengths(body, max_text)
    changes = UserChanges()
    target_id = user.id if user else None

    if "userName" in body or require_user_name:
        name = check_user_name(organisation, user, body.get("userName"), domains)
        if user is not None:
            changes.add(lambda d, u: d.rename_user(u, name))

    if "externalId" in body or replace:
        external = _text(body, "externalId") if "externalId" in body else None
        holder = organisation.users_by_external.get(external) if external is not None else None
        if holder is not None and holder != target_id:
            raise ScimError(409, "The externalId is already in use within the organization")
        changes.add(lambda d, u: d.set_external_id(u, external))

    if "name" in body or replace:
        changes.add(_name_step(body.get("name"), replace))
    if "displayName" in body or replace:
        display = _text(body, "displayName") if "displayName" in body else None
        changes.add(lambda _d, u: setattr(u, "display_name", display or None))
    if "title" in body or replace:
        title = _text(body, "title") if "title" in body else None
        changes.add(lambda _d, u: setattr(u, "title", title or "Colleague"))
    if "photos" in body or replace:
        photos = _photos(body.get("photos"))
        changes.add(lambda _d, u: setattr(u, "photos", photos))
    if "active" in body:
        active = body["active"]
        if not isinstance(active, bool):
            raise bad("The active field must be true or false")
        changes.add(lambda _d, u: setattr(u, "active", active))

    enterprise = body.get(ENTERPRISE)
    if enterprise is None:
        enterprise = {}
    if not isinstance(enterprise, dict):
        raise bad(f"{ENTERPRISE} must be an object")
    extension = dict(enterprise)
    if "location" in body:
        extension.setdefault("location", body["location"])
    if "manager" in body:
        extension.setdefault("manager", body["manager"])
    _enterprise_steps(organisation, user, extension, replace, changes)
    return changes


def _check_lengths(body: dict[str, Any], limit: int) -> None:
    """Refuse the first text attribute longer than `limit`, naming it in the detail.

    Manager references and photo URLs have their own checks; values of the wrong type are left to the
    type checks that follow.
    """
    texts: list[tuple[str, Any]] = [(key, body.get(key)) for key in ("userName", "externalId", "displayName", "title")]
    name = body.get("name")
    if isinstance(name, dict):
        texts += [(f"name.{key}", name.get(key)) for key in ("givenName", "familyName", "formatted")]
    texts.append(("location", body.get("location")))
    enterprise = body.get(ENTERPRISE)
    if isinstance(enterprise, dict):
        skip = {"manager", "additionalManagers"}
        texts += [(f"enterprise {key}", value) for key, value in enterprise.items() if key not in skip]
    for label, value in texts:
        if isinstance(value, str) and len(value) > limit:
            raise bad(f"The {label} field exceeds the maximum length of {limit} characters")


def _name_step(value: Any, replace: bool) -> Change:
    if value is None:
        value = {}
    if not isinstance(value, dict):
        raise bad("The name field must be an object")
    parts = {}
    for key in ("givenName", "familyName", "formatted"):
        if key in value:
            parts[key] = _text(value, key, "name.")
    unknown = set(value) - {"givenName", "familyName", "formatted"}
    if unknown:
        raise bad(f"Unknown name attribute(s): {', '.join(sorted(unknown))}")

    def step(_d: LeapsomeOrganisation, user: User) -> None:
        if replace or "givenName" in parts:
            user.given_name = parts.get("givenName") or ""
        if replace or "familyName" in parts:
            user.family_name = parts.get("familyName") or ""
        if replace or "formatted" in parts:
            user.formatted = parts.get("formatted") or None

    return step


def _photos(value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise bad("The photos field must be an array")
    urls = []
    for item in value:
        url = item.get("value") if isinstance(item, dict) else None
        if not isinstance(url, str) or not re.match(r"https?://\S+$", url):
            raise bad("Each photo needs a complete and valid url in value")
        urls.append(url)
    return urls


def _enterprise_steps(
    organisation: LeapsomeOrganisation,
    user: User | None,
    extension: dict[str, Any],
    replace: bool,
    changes: UserChanges,
) -> None:
    where = "enterprise "
    known = {"manager", "additionalManagers", *TEAM_ATTRIBUTES, *DATE_FIELDS, *TEXT_FIELDS, "gender"}
    for key in extension:
        if key not in known and not CUSTOM_ATTRIBUTE.fullmatch(key):
            raise bad(f"Unknown enterprise attribute {key!r}")

    if "manager" in extension or replace:
        manager_id = _manager(organisation, user, extension.get("manager"), "manager")
        changes.add(lambda _d, u: setattr(u, "manager_id", manager_id))
    if "additionalManagers" in extension or replace:
        refs = extension.get("additionalManagers") or []
        if not isinstance(refs, list):
            raise bad("The additionalManagers field must be an array of strings")
        ids = [m for m in (_manager(organisation, user, r, "additional manager") for r in refs) if m]
        changes.add(lambda _d, u: setattr(u, "additional_manager_ids", list(dict.fromkeys(ids))))

    values: dict[str, str | None] = {}
    for key in extension:
        if key in {"manager", "additionalManagers"}:
            continue
        value = _text(extension, key, where) or None
        if value is not None and key in DATE_FIELDS:
            try:
                date.fromisoformat(value)
            except ValueError:
                raise bad(f"The {key} field must be a date as YYYY-MM-DD") from None
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
                raise bad(f"The {key} field must be a date as YYYY-MM-DD")
        if value is not None and key == "gender" and value not in GENDERS:
            raise bad(f"The gender field must be one of {', '.join(GENDERS)}")
        if value is not None and key == "employmentType" and value not in {"internal", "external"}:
            raise bad("The employmentType field must be internal or external")
        values[key] = value

    def step(d: LeapsomeOrganisation, u: User) -> None:
        if replace:
            for key in list(u.enterprise):
                if key not in values:
                    values[key] = None
        for key, value in values.items():
            if key in TEAM_ATTRIBUTES:
                d.set_team_attribute(u, key, value)
            elif value is None:
                u.enterprise.pop(key, None)
            else:
                u.enterprise[key] = value

    changes.add(step)
