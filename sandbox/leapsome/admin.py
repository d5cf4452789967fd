"""The Leapsome sandbox's `/_admin` surface: read the whole organisation, act as a Leapsome admin in the UI.

Admin requests skip auth, rate limits, faults and counters (see `sandbox.core`). Errors: `{"error"}`.
- `GET /_admin/state`: `{users: [{id, userName, externalId, active, givenName, familyName, displayName,
  title, photos, manager (id), additionalManagers (ids), enterprise {...}, teams (ids), version}],
  groups: [{id, displayName, externalId, members (ids), version}], options}`, in creation order.
- `POST /_admin/users`: a hand-made user; body as a SCIM PATCH body (userName required, no domain
  check, enterprise fields and manager applied). 201 with the user's state; 409 if the userName exists.
- `PATCH /_admin/users/{id|userName|externalId}`: edit by hand (userName optional). 200 with the state.
- `POST /_admin/groups`: `{displayName, externalId?, members?: [id|userName|externalId]}`, no cap. 201.
- `PATCH /_admin/groups/{id|externalId|displayName}`: `{displayName?, externalId?, members?}`; members
  replace the team's members.
- `GET|POST /_admin/options`: `{duplicate_create: "empty"|"conflict", domains: [...], group_create_members:
  "accepted"|"ignored"|"refused", patch_response: "resource"|"no_content", user_groups:
  "listed"|"omitted"|"empty", page_size_cap: int|null, max_text_length: int|null}`; POST takes any subset,
  validates all of it before changing anything (400 otherwise) and answers with every option.
- From `sandbox.core`: `/_admin/counters`, `/_admin/counters/reset`, `/_admin/knobs`.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from sandbox.core import Request, Response
from sandbox.leapsome import render
from sandbox.leapsome.changes import parse_user_body
from sandbox.leapsome.model import Group, ScimError, User

if TYPE_CHECKING:
    from sandbox.leapsome.app import LeapsomeApp


def register_admin(app: LeapsomeApp) -> None:
    """Add the Leapsome admin routes to `app`."""
    d = app.directory

    def guarded(handler: Any) -> Any:
        def run(request: Request, **params: str) -> Response:
            try:
                body = request.json() if request.body else {}
            except (ValueError, UnicodeDecodeError):
                return Response(status=400, body={"error": "body is not valid JSON"})
            try:
                with d.lock:
                    return handler(body, **{k: unquote(v) for k, v in params.items()})  # type: ignore[no-any-return]
            except ScimError as exc:
                return Response(status=exc.status, body={"error": exc.detail})
            except ValueError as exc:
                return Response(status=400, body={"error": str(exc)})

        return run

    def person(key: str) -> User:
        user = d.resolve_person(key)
        if user is None:
            raise ScimError(404, f"no user {key!r}")
        return user

    def team(key: str) -> Group:
        group = d.find_group(key) or d.group_by_name(key)
        if group is None:
            raise ScimError(404, f"no team {key!r}")
        return group

    def state(_body: Any) -> Response:
        return Response(
            body={
                "users": [render.user_state(d.users[i]) for i in d.user_order],
                "groups": [render.group_state(d.groups[i]) for i in d.group_order],
                "options": asdict(app.options),
            }
        )

    def create_user(body: Any) -> Response:
        if isinstance(body, dict) and isinstance(body.get("userName"), str) and d.user_by_name(body["userName"]):
            raise ScimError(409, "Username is already in use")
        changes = parse_user_body(d, None, body, domains=None)
        user = d.add_user(body["userName"])
        changes.apply(d, user)
        return Response(status=201, body=render.user_state(user))

    def edit_user(body: Any, key: str) -> Response:
        user = person(key)
        parse_user_body(d, user, body, domains=None, require_user_name=False).apply(d, user)
        return Response(body=render.user_state(user))

    def members_of(body: dict[str, Any]) -> list[User]:
        keys = body.get("members") or []
        if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
            raise ValueError("members must be a list of user ids, userNames or externalIds")
        return [person(k) for k in keys]

    def create_team(body: Any) -> Response:
        if not isinstance(body, dict) or not isinstance(body.get("displayName"), str) or not body["displayName"]:
            raise ValueError("displayName is required")
        if d.group_by_name(body["displayName"]):
            raise ScimError(409, "The displayName is already in use within the organization")
        external = body.get("externalId")
        if external is not None and external in d.groups_by_external:
            raise ScimError(409, "The externalId is already in use within the organization")
        users = members_of(body)
        group = d.add_group(body["displayName"], external)
        for user in users:
            d.join(group, user)
        return Response(status=201, body=render.group_state(group))

    def edit_team(body: Any, key: str) -> Response:
        group = team(key)
        if not isinstance(body, dict):
            raise ValueError("body must be an object")
        users = members_of(body) if "members" in body else None
        if "displayName" in body:
            d.rename_group(group, str(body["displayName"]))
        if "externalId" in body:
            d.set_group_external_id(group, body["externalId"])
        if users is not None:
            d.clear_members(group)
            for user in users:
                d.join(group, user)
        d.touch_group(group)
        return Response(body=render.group_state(group))

    def get_options(_body: Any) -> Response:
        return Response(body=asdict(app.options))

    def set_options(body: Any) -> Response:
        app.options.update(body)
        return Response(body=asdict(app.options))

    app.admin("GET", "/_admin/state", "state", guarded(state))
    app.admin("POST", "/_admin/users", "user-create", guarded(create_user))
    app.admin("PATCH", "/_admin/users/{key}", "user-edit", guarded(edit_user))
    app.admin("POST", "/_admin/groups", "team-create", guarded(create_team))
    app.admin("PATCH", "/_admin/groups/{key}", "team-edit", guarded(edit_team))
    app.admin("GET", "/_admin/options", "options", guarded(get_options))
    app.admin("POST", "/_admin/options", "options-set", guarded(set_options))
