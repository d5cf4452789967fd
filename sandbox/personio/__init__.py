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


def app_from_args(args: argparse.Namespace, knobs: Knobs) -> SandboxApp:
    from sandbox.personio.app import PersonioSandbox  # noqa: PLC0415 - keeps the CLI import light

    app = PersonioSandbox(employees=args.employees, seed=args.seed, knobs=knobs)
    if not args.no_prewarm:
        threading.Thread(target=app.warm_cache, name="personio-prewarm", daemon=True).start()
    return app
