"""How users and teams look on the wire (Leapsome's SCIM shapes) and in the admin state dump."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sandbox.leapsome.changes import ENTERPRISE
from sandbox.leapsome.store import Group, LeapsomeOrganisation, User

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
LIST_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"
JSON = dict[str, Any]


def timestamp(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{int(seconds * 1000) % 1000:03d}Z"


def error(status: int, detail: str) -> JSON:
    return {"schemas": [ERROR_SCHEMA], "detail": detail, "status": str(status)}


def _manager_ref(organisation: LeapsomeOrganisation, manager_id: str) -> JSON:
    manager = organisation.users.get(manager_id)
    return {"managerId": manager_id, "displayName": manager.shown_name if manager else ""}


def user(organisation: LeapsomeOrganisation, u: User, base: str, groups: str = "listed") -> JSON:
    """The `User` schema of GET/PATCH/PUT answers and list entries.

    `groups` is the `user_groups` option: "listed" shows the user's teams, "empty" always `[]`,
    "omitted" drops the key (membership then cannot be read through the API at all).
    """
    extension: JSON = {
        "additionalManagers": [_manager_ref(organisation, m) for m in u.additional_manager_ids],
        "attachments": [],
        "employmentType": "internal",
        **u.enterprise,
    }
    if u.manager_id:
        extension["manager"] = _manager_ref(organisation, u.manager_id)
    name: JSON = {"givenName": u.given_name, "familyName": u.family_name}
    if u.formatted:
        name["formatted"] = u.formatted
    body: JSON = {
        "schemas": [USER_SCHEMA, ENTERPRISE],
        "id": u.id,
        "externalId": u.external_id,
        "userName": u.user_name,
        "name": name,
        "displayName": u.shown_name,
        "title": u.title,
        "photos": [{"value": p, "type": "photo"} for p in u.photos],
        "active": u.active,
        "emails": [{"primary": True, "type": "work", "value": u.user_name}],
        "groups": [
            {"value": g, "display": organisation.groups[g].display_name}
            for g in sorted(u.teams, key=lambda g: organisation.groups[g].created)
        ],
        ENTERPRISE: extension,
        "meta": {
            "created": timestamp(u.created),
            "lastModified": timestamp(u.modified),
            "location": f"{base}/Users/{u.id}",
            "version": f'W/"{u.version}"',
        },
    }
    if u.manager_id:
        body["manager"] = {"value": u.manager_id}
    if groups == "empty":
        body["groups"] = []
    elif groups == "omitted":
        del body["groups"]
    return body


def created_user(organisation: LeapsomeOrganisation, u: User, base: str, groups: str = "listed") -> JSON:
    """The `POST /Users` 201 shape: `meta.created` in epoch ms, photos as bare `{value}`, no null externalId."""
    body = user(organisation, u, base, groups)
    body["photos"] = [{"value": p} for p in u.photos]
    body["meta"] = {"created": int(u.created * 1000), "location": f"{base}/Users/{u.id}"}
    if body["externalId"] is None:
        del body["externalId"]
    return body


def group(g: Group, base: str) -> JSON:
    """The `Group` schema: members are never returned (the spec caps them at zero items)."""
    body: JSON = {
        "schemas": [GROUP_SCHEMA],
        "id": g.id,
        "displayName": g.display_name,
        "members": [],
        "meta": {
            "created": timestamp(g.created),
            "lastModified": timestamp(g.modified),
            "location": f"{base}/Groups/{g.id}",
            "version": f'W/"{g.version}"',
        },
    }
    if g.external_id is not None:
        body["externalId"] = g.external_id
    return body


def listing(resources: list[JSON], total: int, start_index: int) -> JSON:
    return {
        "schemas": [LIST_SCHEMA],
        "totalResults": total,
        "itemsPerPage": len(resources),
        "startIndex": start_index,
        "Resources": resources,
    }


def user_state(u: User) -> JSON:
    """The admin view of a user: plain ids, what tests assert on."""
    return {
        "id": u.id,
        "userName": u.user_name,
        "externalId": u.external_id,
        "active": u.active,
        "givenName": u.given_name,
        "familyName": u.family_name,
        "displayName": u.display_name,
        "title": u.title,
        "photos": list(u.photos),
        "manager": u.manager_id,
        "additionalManagers": list(u.additional_manager_ids),
        "enterprise": dict(u.enterprise),
        "teams": sorted(u.teams),
        "version": u.version,
        "invite": u.invite,
        "status": u.status,
    }


def group_state(g: Group) -> JSON:
    return {
        "id": g.id,
        "displayName": g.display_name,
        "externalId": g.external_id,
        "members": sorted(g.members),
        "version": g.version,
    }
