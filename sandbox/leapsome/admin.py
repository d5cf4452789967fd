"""The Leapsome sandbox's `/_admin` routes: read the whole organisation, act as a Leapsome admin in the UI.

Admin requests skip auth, rate limits, faults and counters (see `sandbox.core`). Errors: `{"error"}`.
- `GET /_admin/state`: `{users: [{id, userName, externalId, active, givenName, familyName, displayName,
  title, photos, manager (id), additionalManagers (ids), enterprise {...}, teams (ids), version, invite,
  status}],
  groups: [{id, displayName, externalId, members (ids), version}], options}`, in creation order.
- `POST /_admin/users`: a hand-made user; body as a SCIM PATCH body (userName required, no domain
  check, enterprise fields and manager applied). 201 with the user's state; 409 if the userName exists.
- `PATCH /_admin/users/{id|userName|externalId}`: edit by hand (userName optional). 200 with the state.
- Both take `invite`: "created" | "invited" | "accepted" (the user accepted the invite and logged in),
  what the Content API's `status` shows for an active user (`created`, `invited`, `active`). A hand-made
  user starts "created"; an edit without `invite` keeps it.
- `POST /_admin/content/tokens/expire`: every Content API token issued so far stops working (401), as
  after `expiresIn`; answers `{expired: <tokens that were still valid>}`.
- `POST /_admin/groups`: `{displayName, externalId?, members?: [id|userName|externalId]}`, no cap. 201.
- `PATCH /_admin/groups/{id|externalId|displayName}`: `{displayName?, externalId?, members?}`; members
  replace the team's members.
- `GET|POST /_admin/options`: `{duplicate_create: "empty"|"conflict", domains: [...], group_create_members:
  "accepted"|"ignored"|"refused", patch_response: "resource"|"no_content", user_groups:
  "listed"|"omitted"|"empty", page_size_cap: int|null, max_text_length: int|null, ignored_attributes:
  [...], auto_invite: bool}`; POST takes any subset, validates all of it before changing anything (400 otherwise) and
  answers with every option.
- From `sandbox.core`: `/_admin/counters`, `/_admin/counters/reset`, `/_admin/knobs`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from sandbox.core import Handler, Request, Response
from sandbox.leapsome import render
from sandbox.leapsome.changes import parse_user_body
from sandbox.leapsome.store import INVITES, Group, ScimError, User

if TYPE_CHECKING:
    from sandbox.leapsome.app import LeapsomeSandbox

BodyHandler = Callable[..., Response]  # (JSON body, **path parameters) -> Response


class LeapsomeAdmin:
    """The admin handlers of one `LeapsomeSandbox`; `routes()` is the table the app registers."""

    def __init__(self, app: LeapsomeSandbox) -> None:
        self.app = app
        self.organisation = app.organisation

    def routes(self) -> list[tuple[str, str, Handler]]:
        table: list[tuple[str, str, BodyHandler]] = [
            ("GET", "/_admin/state", self.state),
            ("POST", "/_admin/users", self.create_user),
            ("PATCH", "/_admin/users/{key}", self.edit_user),
            ("POST", "/_admin/groups", self.create_team),
            ("PATCH", "/_admin/groups/{key}", self.edit_team),
            ("POST", "/_admin/content/tokens/expire", self.expire_tokens),
            ("GET", "/_admin/options", self.get_options),
            ("POST", "/_admin/options", self.set_options),
        ]
        return [(method, path, self._guarded(handler)) for method, path, handler in table]

    def _guarded(self, handler: BodyHandler) -> Handler:
        """Parse the JSON body, hold the data lock, answer ScimError and ValueError as `{"error"}`."""

        def run(request: Request, **params: str) -> Response:
            try:
                body = request.json() if request.body else {}
            except (ValueError, UnicodeDecodeError):
                return Response(status=400, body={"error": "body is not valid JSON"})
            try:
                with self.organisation.lock:
                    return handler(body, **{k: unquote(v) for k, v in params.items()})
            except ScimError as exc:
                return Response(status=exc.status, body={"error": exc.detail})
            except ValueError as exc:
                return Response(status=400, body={"error": str(exc)})

        return run

    def _person(self, key: str) -> User:
        user = self.organisation.resolve_person(key)
        if user is None:
            raise ScimError(404, f"no user {key!r}")
        return user

    def _team(self, key: str) -> Group:
        group = self.organisation.find_group(key) or self.organisation.group_by_name(key)
        if group is None:
            raise ScimError(404, f"no team {key!r}")
        return group

    def _members_of(self, body: dict[str, Any]) -> list[User]:
        keys = body.get("members") or []
        if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
            raise ValueError("members must be a list of user ids, userNames or externalIds")
        return [self._person(k) for k in keys]

    # -- the whole organisation ---------------------------------------------------------------
    def state(self, _body: Any) -> Response:
        o = self.organisation
        return Response(
            body={
                "users": [render.user_state(o.users[i]) for i in o.user_order],
                "groups": [render.group_state(o.groups[i]) for i in o.group_order],
                "options": asdict(self.app.options),
            }
        )

    # -- users --------------------------------------------------------------------------------
    def create_user(self, body: Any) -> Response:
        o = self.organisation
        if isinstance(body, dict) and isinstance(body.get("userName"), str) and o.user_by_name(body["userName"]):
            raise ScimError(409, "Username is already in use")
        body, invite = _invite_of(body)
        changes = parse_user_body(o, None, body, domains=None)
        user = o.add_user(body["userName"])
        changes.apply(o, user)
        user.invite = invite or user.invite
        return Response(status=201, body=render.user_state(user))

    def edit_user(self, body: Any, key: str) -> Response:
        user = self._person(key)
        body, invite = _invite_of(body)
        changes = parse_user_body(self.organisation, user, body, domains=None, require_user_name=False)
        changes.apply(self.organisation, user)
        user.invite = invite or user.invite
        return Response(body=render.user_state(user))

    def expire_tokens(self, _body: Any) -> Response:
        return Response(body={"expired": self.app.content.expire_tokens()})

    # -- teams --------------------------------------------------------------------------------
    def create_team(self, body: Any) -> Response:
        o = self.organisation
        if not isinstance(body, dict) or not isinstance(body.get("displayName"), str) or not body["displayName"]:
            raise ValueError("displayName is required")
        if o.group_by_name(body["displayName"]):
            raise ScimError(409, "The displayName is already in use within the organization")
        external = body.get("externalId")
        if external is not None and external in o.groups_by_external:
            raise ScimError(409, "The externalId is already in use within the organization")
        users = self._members_of(body)
        group = o.add_group(body["displayName"], external)
        for user in users:
            o.join(group, user)
        return Response(status=201, body=render.group_state(group))

    def edit_team(self, body: Any, key: str) -> Response:
        o = self.organisation
        group = self._team(key)
        if not isinstance(body, dict):
            raise ValueError("body must be an object")
        users = self._members_of(body) if "members" in body else None
        if "displayName" in body:
            o.rename_group(group, str(body["displayName"]))
        if "externalId" in body:
            o.set_group_external_id(group, body["externalId"])
        if users is not None:
            o.clear_members(group)
            for user in users:
                o.join(group, user)
        o.touch_group(group)
        return Response(body=render.group_state(group))

    # -- options ------------------------------------------------------------------------------
    def get_options(self, _body: Any) -> Response:
        return Response(body=asdict(self.app.options))

    def set_options(self, body: Any) -> Response:
        self.app.options.update(body)
        return Response(body=asdict(self.app.options))


def _invite_of(body: Any) -> tuple[Any, str | None]:
    """Split the admin-only `invite` out of a user body (the rest is a SCIM body); check its value."""
    if not isinstance(body, dict) or "invite" not in body:
        return body, None
    rest = {k: v for k, v in body.items() if k != "invite"}
    if body["invite"] not in INVITES:
        raise ValueError(f"invite must be one of {list(INVITES)}")
    return rest, str(body["invite"])
