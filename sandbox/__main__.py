"""Start a sandbox in the foreground: `python -m sandbox personio|leapsome [options]`."""

from __future__ import annotations

import argparse
import importlib
import signal
import sys
from types import FrameType

from sandbox.core import Knobs, SandboxServer

SANDBOXES = {"personio": "sandbox.personio", "leapsome": "sandbox.leapsome"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__)
    sub = parser.add_subparsers(dest="sandbox", required=True)
    for name, module_name in SANDBOXES.items():
        module = importlib.import_module(module_name)
        p = sub.add_parser(name, help=module.__doc__)
        p.add_argument("--host", default="127.0.0.1")
        p.add_argument("--port", type=int, default=0, help="0 picks a free port")
        p.add_argument("--seed", type=int, default=1)
        p.add_argument("--latency-ms", type=float, default=0.0)
        p.add_argument("--fault-rate", type=float, default=0.0, help="share of requests answered 5xx")
        p.add_argument("--drop-rate", type=float, default=0.0, help="share of connections dropped")
        p.add_argument("--lost-write-rate", type=float, default=0.0, help="writes applied, answer lost")
        p.add_argument("--no-rate-limit", action="store_true", help="turn the documented rate limits off")
        module.add_arguments(p)
    args = parser.parse_args(argv)
    knobs = Knobs(
        latency_ms=args.latency_ms,
        fault_rate=args.fault_rate,
        drop_rate=args.drop_rate,
        lost_write_rate=args.lost_write_rate,
        rate_limit=not args.no_rate_limit,
        seed=args.seed,
    )
    app = importlib.import_module(SANDBOXES[args.sandbox]).app_from_args(args, knobs)
    server = SandboxServer(app, host=args.host, port=args.port)

    def _stop(_signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _stop)
    print(f"{args.sandbox} sandbox listening on {server.url}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server._server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
