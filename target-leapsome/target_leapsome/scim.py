"""Leapsome's SCIM wire shape, both ways: resources read into models, planned writes into request bodies.

Pure, so tests can replay the bodies on a model of Leapsome, and one module owns the mapping between the
SCIM fields and the fields the sync manages. Reading is defensive: Leapsome omits, nulls or empties fields
interchangeably, and `models.blank` makes those one.

Leapsome's bodies are plain objects, not SCIM PatchOp: a user PATCH names `userName` and only the fields
that change (enterprise fields merge), manager is a string (we send the Leapsome id; "" clears it), and a
group request carries at most 100 members, added unless `replaceMembers` is true. Enterprise
`department` is never sent: it makes Leapsome create name-keyed teams beside the ones we manage.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from target_leapsome.mapping import CUSTOM_ID, ENTERPRISE_TEXT
from target_leapsome.models import LeapsomeTeam, LeapsomeUser, blank
from target_leapsome.plan import MAX_MEMBERS, CreateUser, TeamWrite, UpdateUser

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
CORE_NAMES = {"display_name": "displayName", "title": "title"}
ENTERPRISE_NAMES = {"location": "location", "start_date": "startDate", "end_date": "endDate"}
ATTRIBUTE = "attr:"  # a change of a mapped enterprise or custom attribute: "attr:level", "attr:<custom id>"


def parse_user(resource: dict[str, Any]) -> LeapsomeUser:
    """Parse a SCIM user defensively: Leapsome omits, nulls or empties fields interchangeably."""
    name = resource.get("name") or {}
    enterprise = resource.get(ENTERPRISE) or {}
    manager = enterprise.get("manager")
    manager_id: str | None = None
    if isinstance(manager, dict):
        manager_id = blank(manager.get("managerId") or manager.get("value"))
    elif isinstance(manager, str):
        manager_id = blank(manager)
    if manager_id is None and isinstance(resource.get("manager"), dict):
        manager_id = blank(resource["manager"].get("value"))
    groups = resource.get("groups") or []
    attributes = tuple(
        (key, _text_of(value))
        for key, value in sorted(enterprise.items())
        if key in ENTERPRISE_TEXT or CUSTOM_ID.fullmatch(key)
    )
    return LeapsomeUser(
        id=str(resource["id"]),
        user_name=str(resource.get("userName") or ""),
        external_id=blank(resource.get("externalId")),
        active=resource.get("active", True) is not False,
        given_name=blank(name.get("givenName")),
        family_name=blank(name.get("familyName")),
        display_name=blank(resource.get("displayName")),
        title=blank(resource.get("title")),
        location=blank(enterprise.get("location")),
        start_date=blank(enterprise.get("startDate")),
        end_date=blank(enterprise.get("endDate")),
        manager_id=manager_id,
        group_ids=frozenset(str(g["value"]) for g in groups if isinstance(g, dict) and g.get("value")),
        attributes=attributes,
        additional_manager_ids=tuple(_manager_ids(enterprise.get("additionalManagers"))),
    )


def _text_of(value: Any) -> str | None:
    return blank(str(value)) if value is not None and not isinstance(value, dict | list) else None


def _manager_ids(value: Any) -> list[str]:
    """Additional managers as Leapsome answers them: `{managerId}` objects, `{value}` objects or id strings."""
    ids = []
    for item in value if isinstance(value, list) else []:
        found = item.get("managerId") or item.get("value") if isinstance(item, dict) else item
        if found:
            ids.append(str(found))
    return ids


def parse_team(resource: dict[str, Any]) -> LeapsomeTeam:
    """Parse a SCIM group; its members are known only through the users' `groups`."""
    return LeapsomeTeam(
        id=str(resource["id"]),
        display_name=str(resource.get("displayName") or ""),
        external_id=blank(resource.get("externalId")),
    )


def create_user_body(create: CreateUser) -> dict[str, Any]:
    """The documented `POST /Users` fields; the rest follows in the user's first PATCH."""
    fields = create.fields
    body: dict[str, Any] = {"userName": create.user_name, "externalId": create.external_id}
    if fields.get("given_name") or fields.get("family_name"):
        body["name"] = {"givenName": fields.get("given_name") or "", "familyName": fields.get("family_name") or ""}
    for name, scim_name in CORE_NAMES.items():
        if fields.get(name):
            body[scim_name] = fields[name]
    return body


def patch_user_body(
    update: UpdateUser, manager_id: str | None, additional_manager_ids: Sequence[str] | None = None
) -> dict[str, Any]:
    """One plain-object PATCH with every change of `update`; the managers come resolved to Leapsome ids."""
    changes = update.changes
    body: dict[str, Any] = {"userName": update.user_name}
    if "external_id" in changes:
        body["externalId"] = changes["external_id"][1]
    if "active" in changes:
        body["active"] = bool(changes["active"][1])
    if "given_name" in changes or "family_name" in changes:
        body["name"] = {
            "givenName": _text(changes.get("given_name", (None, ""))[1]),
            "familyName": _text(changes.get("family_name", (None, ""))[1]),
        }
    for name, scim_name in CORE_NAMES.items():
        if name in changes:
            body[scim_name] = _text(changes[name][1])
    enterprise: dict[str, Any] = {}
    for name, scim_name in ENTERPRISE_NAMES.items():
        if name in changes:
            enterprise[scim_name] = _text(changes[name][1])
    for name, (_, value) in changes.items():
        if name.startswith(ATTRIBUTE):
            enterprise[name[len(ATTRIBUTE) :]] = _text(value)
    if update.set_manager:
        enterprise["manager"] = manager_id or ""
    if additional_manager_ids is not None:
        enterprise["additionalManagers"] = list(additional_manager_ids)
    if enterprise:
        body[ENTERPRISE] = enterprise
    return body


def team_bodies(write: TeamWrite, member_ids: Sequence[str]) -> list[dict[str, Any]]:
    """The requests of one team write, in order; each carries at most 100 members.

    A team created in this run starts with the `POST /Groups` body, which has only the fields the spec
    documents for a create (`displayName`, `externalId`): members follow in PATCHes, so they never depend
    on Leapsome reading `members` in a create. An existing team's first PATCH also carries the rename,
    the adoption and `replaceMembers`.
    """
    chunks = [list(member_ids[i : i + MAX_MEMBERS]) for i in range(0, len(member_ids), MAX_MEMBERS)]
    first: dict[str, Any] = {}
    if write.display_name is not None:
        first["displayName"] = write.display_name
    if write.external_id is not None:
        first["externalId"] = write.external_id
    if write.team_id is None:
        return [first, *({"members": _members(chunk)} for chunk in chunks)]
    if write.replace:
        first["replaceMembers"] = True
        first["members"] = []
    if chunks:
        first["members"] = _members(chunks[0])
    bodies = [first] if first else []
    bodies.extend({"members": _members(chunk)} for chunk in chunks[1:])
    return bodies


def _members(member_ids: Sequence[str]) -> list[dict[str, str]]:
    return [{"value": member} for member in member_ids]


def _text(value: object) -> str:
    return "" if value is None else str(value)
