"""Leapsome SCIM API sandbox (OpenAPI 1.1.3 with Leapsome's quirks) under /scim/v1."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sandbox.core import Knobs, SandboxApp

API_TOKEN = "sandbox-scim-token"  # noqa: S105 - the sandbox's fixed, public test credential


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
    parser.add_argument("--empty", action="store_true", help="start without the hand-made users and team")
    parser.add_argument("--preload-users", type=int, default=0, help="add N bulk users for load tests")
    parser.add_argument("--retry-after", action="store_true", help="send Retry-After with 429 (Leapsome does not)")


def app_from_args(args: argparse.Namespace, knobs: Knobs) -> SandboxApp:
    """Build the app for the CLI; Leapsome documents no Retry-After, so it is off unless asked for."""
    from sandbox.leapsome.app import LeapsomeApp  # noqa: PLC0415 - the app imports API_TOKEN from here

    knobs.retry_after = bool(args.retry_after)
    return LeapsomeApp(
        knobs,
        duplicate_create=args.duplicate_create,
        domains=args.domains,
        empty=args.empty,
        preload_users=args.preload_users,
    )
