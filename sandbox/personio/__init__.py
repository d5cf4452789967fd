"""Personio sandbox: v1 auth and employees, v2 token and org units, on a generated company."""

from __future__ import annotations

import argparse
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sandbox.core import Knobs, SandboxApp

CLIENT_ID = "sandbox-client-id"
CLIENT_SECRET = "sandbox-client-secret"  # noqa: S105 - the sandbox's published fake credential


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of `python -m sandbox personio`."""
    parser.add_argument("--employees", type=int, default=300, help="company size, 10..50000")
    parser.add_argument(
        "--no-prewarm", action="store_true", help="do not render all employees in the background at start"
    )
    parser.add_argument(
        "--updated-since",
        choices=["exclusive", "inclusive"],
        default="exclusive",
        help="updated_since matches changes strictly after it (default) or at or after it",
    )
    parser.add_argument(
        "--naive-timezone",
        choices=["Europe/Berlin", "UTC"],
        default="Europe/Berlin",
        help="the zone a naive updated_since value is read in (default Europe/Berlin)",
    )
    parser.add_argument(
        "--rename-bumps-members",
        action="store_true",
        help="renaming a department bumps its members' last_modified_at",
    )
    parser.add_argument(
        "--realistic",
        action="store_true",
        help="plant what real companies contain: missing and shared emails, supervision cycles, ...",
    )


def app_from_args(args: argparse.Namespace, knobs: Knobs) -> SandboxApp:
    from sandbox.personio.app import PersonioSandbox  # noqa: PLC0415 - keeps the CLI import light

    app = PersonioSandbox(
        employees=args.employees,
        seed=args.seed,
        knobs=knobs,
        updated_since=args.updated_since,
        naive_timezone=args.naive_timezone,
        rename_bumps_members=args.rename_bumps_members,
        realistic=args.realistic,
    )
    if not args.no_prewarm:
        threading.Thread(target=app.warm_cache, name="personio-prewarm", daemon=True).start()
    return app
