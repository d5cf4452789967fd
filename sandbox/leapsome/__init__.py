"""Leapsome SCIM API sandbox (OpenAPI 1.1.3 with Leapsome's quirks) under /scim/v1, Content API under /v1."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sandbox.core import Knobs, SandboxApp

API_TOKEN = "sandbox-scim-token"  # noqa: S105 - the sandbox's fixed, public test credential
CONTENT_API_SECRET = "sandbox-content-api-secret"  # noqa: S105 - the Content API's `GET /v1/token?secret=`


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of `python -m sandbox leapsome`."""
    parser.add_argument(
        "--duplicate-create",
        choices=["empty", "conflict"],
        default="empty",
        help="answer to POST /Users with an existing userName: 201 {} (default) or 409",
    )
    parser.add_argument(
        "--domain",
        action="append",
        dest="domains",
        help="an organisation email domain (repeatable; default acme.example)",
    )
    parser.add_argument(
        "--group-create-members",
        choices=["accepted", "ignored", "refused"],
        default="accepted",
        help="`members` in POST /Groups: applied (default), silently dropped, or 400",
    )
    parser.add_argument(
        "--patch-response",
        choices=["resource", "no_content"],
        default="resource",
        help="answer to PATCH/PUT: 200 with the resource (default) or 204 without a body",
    )
    parser.add_argument(
        "--user-groups",
        choices=["listed", "omitted", "empty"],
        default="listed",
        help="users carry their teams in `groups` (default), no `groups` key, or always []",
    )
    parser.add_argument(
        "--page-size-cap", type=int, default=None, help="serve at most N resources per list page (default: no cap)"
    )
    parser.add_argument(
        "--max-text-length",
        type=int,
        default=None,
        help="refuse user text attributes longer than N characters with 400 (default: no limit)",
    )
    parser.add_argument(
        "--auto-invite",
        action="store_true",
        help="users created through SCIM are invited at once (Content API status invited, not created)",
    )
    parser.add_argument("--empty", action="store_true", help="start without the hand-made users and team")
    parser.add_argument("--preload-users", type=int, default=0, help="add N bulk users for load tests")
    parser.add_argument("--retry-after", action="store_true", help="send Retry-After with 429 (Leapsome does not)")


def app_from_args(args: argparse.Namespace, knobs: Knobs) -> SandboxApp:
    """Build the app for the CLI; Leapsome documents no Retry-After, so it is off unless asked for."""
    from sandbox.leapsome.app import LeapsomeSandbox  # noqa: PLC0415 - the app imports API_TOKEN from here

    knobs.retry_after = bool(args.retry_after)
    return LeapsomeSandbox(
        knobs,
        duplicate_create=args.duplicate_create,
        domains=args.domains,
        empty=args.empty,
        preload_users=args.preload_users,
        group_create_members=args.group_create_members,
        patch_response=args.patch_response,
        user_groups=args.user_groups,
        page_size_cap=args.page_size_cap,
        max_text_length=args.max_text_length,
        auto_invite=bool(args.auto_invite),
    )
