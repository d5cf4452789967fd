"""The Leapsome SCIM API (OpenAPI 1.1.3) under `/scim/v1`, with the quirks Leapsome documents.

Fixed in docs/design.md ("Leapsome sandbox"), which clients rely on:
- `Authorization: Bearer <API_TOKEN>`; missing (or not Bearer) → 401, wrong → 403. Every error uses
  `{"schemas": [...Error], "detail", "status": "<code>"}`, including 404/405/429.
- `GET /Users`: only `filter=userName eq "..."` (quotes optional, attribute and value case-insensitive),
  anything else → 400; `count` 0..5000 (default 5000), `startIndex` ≥ 1 (else 400); creation order.
- `GET /Users/{id}` and `GET /Groups/{id}`: Leapsome id, else externalId.
- `POST /Users` with an existing userName (case-insensitive): `201 {}` (option `duplicate_create: "empty"`)
  or `409 Username is already in use` ("conflict"). The domain must be an organisation domain (else 400).
- `PATCH /Users/{id}`: plain object, `userName` required; only given fields change; enterprise fields
  merge; manager strings resolve as Leapsome id, email, externalId; unknown → 400; "" or null clears;
  PatchOp (`Operations`) → 400; a userName held by another user → 409 "Email address conflict".
- Users carry `groups: [{value, display}]` (the only membership view; option `user_groups`); groups
  carry `members: []`.
- Enterprise `department` is a team name: join that team (created if missing), leave the previous one.
- Groups: displayName unique (case-insensitive, 409), ≤ 128 chars; PATCH adds `members` or, with
  `replaceMembers: true`, replaces them; > 100 members or an unknown member id → 400.
- No DELETE (405). 30 requests in any 1 s window across `/scim/v1` → 429, no Retry-After by default.

Further choices of this sandbox (the spec is silent):
- `POST /Users` applies only the fields the spec documents for it (userName, name, displayName, title,
  photos, externalId). Enterprise fields, `manager`, `location` and `active` in a create body are
  ignored: the spec says managers and teams are assigned with PATCH/PUT after all users exist. A new
  user is active, titled "Colleague" unless given a title.
- The create answer is the spec's create shape: `meta` is `{created: <epoch ms>, location}`, photos are
  bare `{value}`, `externalId` is omitted when unset, `groups` is `[]`.
- Other answers: `externalId` is null when unset, `displayName` falls back to "given family" and then to
  userName, `name` always has givenName/familyName ("" when unknown), `emails` mirrors userName,
  enterprise `employmentType` is "internal", `meta.version` is `W/"<n>"`, a top-level
  `manager: {value}` appears only when a manager is set.
- externalIds are unique per resource type: reusing one held by another user (or group) → 409.
- Writes address users and groups by Leapsome id only (no externalId fallback for PATCH/PUT → 404).
- A user cannot be their own manager (400); cycles are not checked. `additionalManagers` resolve like
  `manager`. `costCenter` and `division` are team names like `department`.
- Unknown attributes → 400 (read-only ones, `schemas`/`id`/`meta`/`emails`/`groups`, are ignored);
  dates must be `YYYY-MM-DD`; `gender` is male/female/diverse; `active` must be a boolean.
- `PUT` resets what the body omits (name, displayName, title, photos, externalId, manager, enterprise
  fields and their teams) except `active`, which changes only when given.
- The userName domain is checked when it changes (case-insensitively), so users made by hand in other
  domains stay editable. A userName must look like an email.
- `GET /Groups`: only `displayName eq` (case-insensitive); `count` 0..1000; no `count` returns all.
- `POST /Groups` accepts `members` (same rules as PATCH) unless the option `group_create_members` says
  otherwise. `replaceMembers: true` without `members` empties the team. Members are Leapsome user ids
  (no groups, no externalIds).
- Path ids are percent-decoded. Content-Type is not checked; bodies must be JSON.
- `GET /ServiceProviderConfig` needs the token too and uses the spec's SCIM-1 style shape.

Options for what the spec leaves open (`sandbox/leapsome/options.py`). Each offers the plausible readings, so the
plugins can be tested under every one; the defaults keep what this sandbox always did. Set them as
`LeapsomeSandbox(...)` keyword arguments (so `leapsome_factory(option=value)`), at run time with
`POST /_admin/options {"option": value}`, or as CLI flags (`--group-create-members ignored`, ...):
- `duplicate_create` (`--duplicate-create`): `POST /Users` with a userName in use. "empty" (default)
  answers `201 {}` and creates nothing, "conflict" answers `409 Username is already in use`.
- `group_create_members` (`--group-create-members`): whether `POST /Groups` takes `members` (PATCH is
  where members are documented). "accepted" (default): `members` are applied as in PATCH; "ignored":
  201, the team is created and `members` is silently dropped (not even validated); "refused": a body
  with a `members` key (even `[]` or null) → 400 "Unknown attribute(s): members", nothing created.
- `patch_response` (`--patch-response`): the spec does not settle what PATCH/PUT answer. "resource"
  (default): 200 with the user or group as `GET` shows it; "no_content": 204 with an empty body
  (the change is applied all the same). Covers `PATCH /Users/{id}`, `PUT /Users/{id}` and
  `PATCH /Groups/{id}`; errors are unchanged.
- `user_groups` (`--user-groups`): whether users show their teams. "listed" (default):
  `groups: [{value, display}]`; "omitted": no `groups` key; "empty": always `groups: []`. With either
  of the last two, team membership cannot be read through the API at all (the admin state still has it).
- `page_size_cap` (`--page-size-cap N`): the spec does not promise that a page holds `count` resources.
  null (default): it does; N: `GET /Users` and `GET /Groups` serve at most N resources per page whatever
  `count` asks (or when `count` is absent), `totalResults` is still the total, `itemsPerPage` the page
  length, `startIndex` as asked, so a client must advance by what it got.
- `max_text_length` (`--max-text-length N`): the spec states no length limit for user attributes.
  null (default, since an existing reliability test expects a 300-character name to sync): no limit;
  N (255 is the plausible real value): a `POST`/`PATCH`/`PUT /Users` body with a text attribute longer
  than N → 400, nothing changed, detail "The <attribute> field exceeds the maximum length of N
  characters" naming it (`userName`, `externalId`, `displayName`, `title`, `location`,
  `name.givenName|familyName|formatted`, `enterprise <key>` for enterprise strings such as location,
  level or department). Admin edits are not limited, so long names can be planted by hand.
- `ignored_attributes` (constructor or `POST /_admin/options` only): a write that does not take. Top-level
  user attributes named here (`title`, `active`, ...) are accepted by `PATCH`/`PUT /Users` with the usual
  success answer and then dropped, as a server that silently ignores what it does not support would.
  Default: none. Only a client that reads its writes back can notice.
- `auto_invite` (`--auto-invite`): an organisation setting rather than a reading: whether a user created
  through SCIM (`POST /Users`) is invited at once. false (default): it starts `created` (never invited);
  true: `invited`. Either way it stays so until an admin marks the invite accepted
  (`PATCH /_admin/users/{id}` `{"invite": "accepted"}`). Only the Content API shows this state.

The Content API (`/v1/token`, `/v1/employees`, its own secret and 20 requests/s) serves the same
organisation: see `sandbox/leapsome/content.py`.

Admin endpoints (no auth, limits, faults or counting): see `sandbox/leapsome/admin.py`.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

from sandbox.core import Handler, Knobs, Request, Response, SandboxApp, SlidingWindowLimiter
from sandbox.leapsome import API_TOKEN, render
from sandbox.leapsome.admin import LeapsomeAdmin
from sandbox.leapsome.changes import check_user_name, parse_user_body
from sandbox.leapsome.content import CONTENT_PREFIX, ContentApi
from sandbox.leapsome.content import error as content_error
from sandbox.leapsome.options import Options
from sandbox.leapsome.seed import seed
from sandbox.leapsome.store import Group, LeapsomeOrganisation, ScimError, User

PREFIX = "/scim/v1"
MAX_USERS_PAGE = 5000
MAX_GROUPS_PAGE = 1000
MAX_MEMBERS = 100
MAX_GROUP_NAME = 128
FILTER = re.compile(r'\s*(\w+)\s+eq\s+(?:"((?:[^"\\]|\\.)*)"|(\S+))\s*', re.IGNORECASE)


class LeapsomeSandbox(SandboxApp):
    """A Leapsome organisation served over its SCIM API."""

    name = "leapsome"

    def __init__(
        self,
        knobs: Knobs | None = None,
        *,
        duplicate_create: str = "empty",
        domains: list[str] | None = None,
        empty: bool = False,
        preload_users: int = 0,
        group_create_members: str = "accepted",
        patch_response: str = "resource",
        user_groups: str = "listed",
        page_size_cap: int | None = None,
        max_text_length: int | None = None,
        ignored_attributes: list[str] | None = None,
        auto_invite: bool = False,
    ) -> None:
        super().__init__(knobs or Knobs(retry_after=False))
        self.options = Options()
        self.options.update(
            {
                "duplicate_create": duplicate_create,
                "domains": domains or ["acme.example"],
                "group_create_members": group_create_members,
                "patch_response": patch_response,
                "user_groups": user_groups,
                "page_size_cap": page_size_cap,
                "max_text_length": max_text_length,
                "ignored_attributes": ignored_attributes or [],
                "auto_invite": auto_invite,
            }
        )
        self.organisation = LeapsomeOrganisation(seed=self.knobs.seed)
        self.rate = SlidingWindowLimiter(30, 1.0)
        self.content_rate = SlidingWindowLimiter(20, 1.0)  # the Content API's own 20 requests/s
        self._request = threading.local()  # whether the request in this thread is a Content API one
        seed(self.organisation, empty=empty, preload_users=preload_users, domain=self.options.domains[0])
        api: list[tuple[str, str, Handler]] = [
            ("GET", "/Users", self.list_users),
            ("POST", "/Users", self.create_user),
            ("GET", "/Users/{user_id}", self.get_user),
            ("PATCH", "/Users/{user_id}", self.patch_user),
            ("PUT", "/Users/{user_id}", self.put_user),
            ("GET", "/Groups", self.list_groups),
            ("POST", "/Groups", self.create_group),
            ("GET", "/Groups/{group_id}", self.get_group),
            ("PATCH", "/Groups/{group_id}", self.patch_group),
            ("GET", "/ServiceProviderConfig", self.service_provider_config),
        ]
        for method, path, handler in api:
            self.route(method, PREFIX + path, self._guarded(handler), name=PREFIX + path)
        self.content = ContentApi(self)
        for method, path, handler in self.content.routes():
            self.route(method, CONTENT_PREFIX + path, handler, name=CONTENT_PREFIX + path)
        for method, path, handler in LeapsomeAdmin(self).routes():
            self.admin(method, path, handler)

    # -- core hooks ------------------------------------------------------------------------------
    def handle(self, request: Request) -> Response:
        self._request.content = request.path.startswith(CONTENT_PREFIX + "/")
        return super().handle(request)

    def error_response(self, status: int, message: str) -> Response:
        if getattr(self._request, "content", False):  # a 404, 405, 429 or injected 5xx of the Content API
            return Response(status=status, body=content_error(message))
        return Response(status=status, body=render.error(status, message))

    def limiters_for(self, request: Request, route_name: str) -> list[SlidingWindowLimiter]:
        if route_name.startswith(CONTENT_PREFIX + "/"):
            return [self.content_rate]
        return [self.rate] if route_name.startswith(PREFIX) else []

    def _guarded(self, handler: Callable[..., Response]) -> Handler:
        """Check the bearer token, hold the data lock, turn ScimError into the SCIM error shape."""

        def guarded(request: Request, **params: str) -> Response:
            scheme, _, token = request.headers.get("authorization", "").partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                return self.error_response(401, "Client is not sufficiently authorized")
            if token.strip() != API_TOKEN:
                return self.error_response(403, "Invalid token passed")
            try:
                with self.organisation.lock:
                    return handler(request, **{k: unquote(v) for k, v in params.items()})
            except ScimError as exc:
                return self.error_response(exc.status, exc.detail)

        return guarded

    # -- helpers ---------------------------------------------------------------------------------
    @staticmethod
    def _base(request: Request) -> str:
        return f"http://{request.headers.get('host', '127.0.0.1')}{PREFIX}"

    @staticmethod
    def _body(request: Request) -> Any:
        try:
            return request.json()
        except (ValueError, UnicodeDecodeError):
            raise ScimError(400, "The request body is not valid JSON") from None

    @staticmethod
    def _paging(request: Request, maximum: int, default: int) -> tuple[int, int]:
        def integer(name: str, fallback: int) -> int:
            raw = request.arg(name)
            if raw is None or raw == "":
                return fallback
            try:
                return int(raw)
            except ValueError:
                raise ScimError(400, f"{name} must be an integer") from None

        count, start = integer("count", default), integer("startIndex", 1)
        if not 0 <= count <= maximum:
            raise ScimError(400, f"count must be between 0 and {maximum}")
        if start < 1:
            raise ScimError(400, "startIndex must be 1 or more")
        return count, start

    @staticmethod
    def _filter(request: Request, attribute: str) -> str | None:
        raw = request.arg("filter")
        if raw is None or raw.strip() == "":
            return None
        match = FILTER.fullmatch(raw)
        if match is None or match.group(1).lower() != attribute.lower():
            raise ScimError(400, f'Unsupported filter: only {attribute} eq "..." is supported')
        quoted, bare = match.group(2), match.group(3)
        return re.sub(r"\\(.)", r"\1", quoted) if quoted is not None else bare

    def _capped(self, count: int) -> int:
        """The page length actually served: `count`, cut to `page_size_cap` when that option is set."""
        cap = self.options.page_size_cap
        return count if cap is None else min(count, cap)

    def _user(self, user: User, base: str) -> dict[str, Any]:
        """A user as answered, with `groups` as the `user_groups` option says."""
        return render.user(self.organisation, user, base, groups=self.options.user_groups)

    def _written(self, body: dict[str, Any]) -> Response:
        """The answer to a PATCH/PUT: 200 with the resource, or 204 without a body (`patch_response`)."""
        if self.options.patch_response == "no_content":
            return Response(status=204)
        return Response(body=body)

    # -- users -----------------------------------------------------------------------------------
    def list_users(self, request: Request) -> Response:
        count, start = self._paging(request, MAX_USERS_PAGE, MAX_USERS_PAGE)
        wanted = self._filter(request, "userName")
        d = self.organisation
        if wanted is not None:
            found = d.user_by_name(wanted)
            ids = [found.id] if found else []
        else:
            ids = d.user_order
        page = ids[start - 1 : start - 1 + self._capped(count)]
        base = self._base(request)
        resources = [self._user(d.users[i], base) for i in page]
        return Response(body=render.listing(resources, len(ids), start))

    def get_user(self, request: Request, user_id: str) -> Response:
        user = self.organisation.find_user(user_id)
        if user is None:
            raise ScimError(404, "Resource not found")
        return Response(body=self._user(user, self._base(request)))

    def create_user(self, request: Request) -> Response:
        body = self._body(request)
        if not isinstance(body, dict):
            raise ScimError(400, "The request body must be a JSON object")
        d = self.organisation
        name = body.get("userName")
        if isinstance(name, str) and d.user_by_name(name) is not None:
            if self.options.duplicate_create == "conflict":
                raise ScimError(409, "Username is already in use")
            return Response(status=201, body={})
        changes = parse_user_body(
            d, None, body, create=True, domains=self.options.domains, max_text=self.options.max_text_length
        )
        user = d.add_user(check_user_name(d, None, name, self.options.domains))
        user.invite = "invited" if self.options.auto_invite else "created"
        changes.apply(d, user)
        created = render.created_user(d, user, self._base(request), groups=self.options.user_groups)
        return Response(status=201, body=created)

    def patch_user(self, request: Request, user_id: str) -> Response:
        return self._write_user(request, user_id, replace=False)

    def put_user(self, request: Request, user_id: str) -> Response:
        return self._write_user(request, user_id, replace=True)

    def _write_user(self, request: Request, user_id: str, replace: bool) -> Response:
        d = self.organisation
        user = d.find_user(user_id, fallback_external=False)
        if user is None:
            raise ScimError(404, "Resource not found")
        body = self._body(request)
        if isinstance(body, dict) and self.options.ignored_attributes:
            body = {k: v for k, v in body.items() if k not in self.options.ignored_attributes}
        changes = parse_user_body(
            d,
            user,
            body,
            replace=replace,
            domains=self.options.domains,
            max_text=self.options.max_text_length,
        )
        changes.apply(d, user)
        return self._written(self._user(user, self._base(request)))

    # -- groups ----------------------------------------------------------------------------------
    def list_groups(self, request: Request) -> Response:
        d = self.organisation
        count, start = self._paging(request, MAX_GROUPS_PAGE, 0)
        wanted = self._filter(request, "displayName")
        if wanted is not None:
            found = d.group_by_name(wanted)
            ids = [found.id] if found else []
        else:
            ids = d.group_order
        if request.arg("count") in (None, ""):
            count = len(ids)
        base = self._base(request)
        resources = [render.group(d.groups[i], base) for i in ids[start - 1 : start - 1 + self._capped(count)]]
        return Response(body=render.listing(resources, len(ids), start))

    def get_group(self, request: Request, group_id: str) -> Response:
        group = self.organisation.find_group(group_id)
        if group is None:
            raise ScimError(404, "Resource not found")
        return Response(body=render.group(group, self._base(request)))

    def create_group(self, request: Request) -> Response:
        body = self._group_body(request, creating=True)
        d = self.organisation
        name = body["displayName"]
        if d.group_by_name(name) is not None:
            raise ScimError(409, "The displayName is already in use within the organization")
        external = body.get("externalId")
        if external is not None and external in d.groups_by_external:
            raise ScimError(409, "The externalId is already in use within the organization")
        members = self._create_members(body)
        group = d.add_group(name, external)
        for user_id in members:
            d.join(group, d.users[user_id])
        return Response(status=201, body=render.group(group, self._base(request)))

    def patch_group(self, request: Request, group_id: str) -> Response:
        d = self.organisation
        group = d.find_group(group_id, fallback_external=False)
        if group is None:
            raise ScimError(404, "Resource not found")
        body = self._group_body(request, creating=False)
        if "displayName" in body:
            holder = d.group_by_name(body["displayName"])
            if holder is not None and holder.id != group.id:
                raise ScimError(409, "The displayName is already in use within the organization")
        external = body.get("externalId")
        if external is not None and d.groups_by_external.get(external, group.id) != group.id:
            raise ScimError(409, "The externalId is already in use within the organization")
        members = self._members(body)
        self._apply_group(group, body, members)
        return self._written(render.group(group, self._base(request)))

    def _apply_group(self, group: Group, body: dict[str, Any], members: list[str]) -> None:
        d = self.organisation
        if "displayName" in body:
            d.rename_group(group, body["displayName"])
        if "externalId" in body:
            d.set_group_external_id(group, body["externalId"])
        if body.get("replaceMembers"):
            d.clear_members(group)
        for user_id in members:
            d.join(group, d.users[user_id])
        d.touch_group(group)

    def _group_body(self, request: Request, creating: bool) -> dict[str, Any]:
        body = self._body(request)
        if not isinstance(body, dict):
            raise ScimError(400, "The request body must be a JSON object")
        if "Operations" in body:
            raise ScimError(400, "PatchOp bodies are not supported; send the group attributes as a plain object")
        allowed = {"schemas", "displayName", "externalId", "members"} | ({"replaceMembers"} if not creating else set())
        unknown = sorted(set(body) - allowed)
        if unknown:
            raise ScimError(400, f"Unknown attribute(s): {', '.join(unknown)}")
        if creating or "displayName" in body:
            name = body.get("displayName")
            if name is None:
                raise ScimError(400, "The displayName field is not set")
            if not isinstance(name, str) or not name.strip():
                raise ScimError(400, "The displayName field is malformed")
            if len(name) > MAX_GROUP_NAME:
                raise ScimError(400, f"The displayName field exceeds {MAX_GROUP_NAME} characters")
        if body.get("externalId") is not None and not isinstance(body["externalId"], str):
            raise ScimError(400, "The externalId field must be a string")
        if not isinstance(body.get("replaceMembers", False), bool):
            raise ScimError(400, "The replaceMembers field must be true or false")
        return body

    def _create_members(self, body: dict[str, Any]) -> list[str]:
        """`members` in a `POST /Groups` body, as the `group_create_members` option reads it."""
        mode = self.options.group_create_members
        if mode == "refused" and "members" in body:
            raise ScimError(400, "Unknown attribute(s): members")
        if mode == "ignored":
            return []
        return self._members(body)

    def _members(self, body: dict[str, Any]) -> list[str]:
        """Validate `members`: at most 100 `{value: <Leapsome user id>}` of this organisation."""
        members = body.get("members")
        if members is None:
            return []
        if not isinstance(members, list):
            raise ScimError(400, "The members field must be an array")
        if len(members) > MAX_MEMBERS:
            raise ScimError(400, f"The members array exceeds {MAX_MEMBERS} elements")
        ids: list[str] = []
        for member in members:
            value = member.get("value") if isinstance(member, dict) else None
            if not isinstance(value, str) or value not in self.organisation.users:
                raise ScimError(400, f"Member {value!r} is not a user of the organization")
            ids.append(value)
        return ids

    # -- schemas ---------------------------------------------------------------------------------
    def service_provider_config(self, _request: Request) -> Response:
        docs = "https://api.leapsome.com/scim/v1/api-docs/"
        return Response(
            body={
                "schemas": ["urn:scim:schemas:core:1.0"],
                "documentationUrl": docs,
                "patch": {"supported": True},
                "bulk": {"supported": False},
                "filter": {"supported": True},
                "changePassword": {"supported": False},
                "sort": {"supported": False},
                "etag": {"supported": False},
                "authenticationSchemes": {
                    "name": "OAuth Bearer Token",
                    "description": "The SCIM-Authentication-Token from the Leapsome admin area",
                    "specUrl": "https://www.rfc-editor.org/info/rfc6750",
                    "documentationUrl": docs,
                },
            }
        )
