"""`personio-webhooks [serve|subscribe|list|unsubscribe]`: the console script Meltano invokes.

`serve` (the default) runs the receiver under uvicorn, with TLS when a certificate and key are set.
The other commands manage the Personio webhook for `PERSONIO_WEBHOOKS_PUBLIC_URL` (or `--url`).
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

import uvicorn

from personio_webhooks.app import create_app
from personio_webhooks.settings import Settings, SettingsError
from personio_webhooks.subscriptions import PersonioError, WebhookAPI, describe, subscribe, unsubscribe


def serve(settings: Settings) -> int:
    """Run until SIGINT/SIGTERM; uvicorn then stops listening and the receiver winds down its run."""
    app = create_app(settings)
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        ssl_certfile=settings.ssl_certfile,
        ssl_keyfile=settings.ssl_keyfile,
        log_level="info",
        lifespan="on",
        proxy_headers=True,
        server_header=False,
    )
    server = uvicorn.Server(config)
    server.run()
    return 0 if server.started else 1


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="personio-webhooks", description=__doc__)
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("serve", help="receive webhooks and run the sync (the default)")
    for name, text in (("subscribe", "create or update the webhook"), ("unsubscribe", "remove the webhook")):
        cmd = sub.add_parser(name, help=text)
        cmd.add_argument("--url", help="the URL Personio calls (default: PERSONIO_WEBHOOKS_PUBLIC_URL)")
    sub.add_parser("list", help="list the company's webhooks")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        settings = Settings.from_env()
        if args.command in (None, "serve"):
            settings.require_token()
            return serve(settings)
        api = WebhookAPI.from_settings(settings)
        if args.command == "list":
            for hook in api.list():
                print(describe(hook))
            return 0
        url = args.url or settings.public_url
        if not url:
            raise SettingsError("set PERSONIO_WEBHOOKS_PUBLIC_URL or pass --url")
        if args.command == "subscribe":
            action, hook = subscribe(api, url, settings.require_token(), settings.description)
            print(f"{action}: {describe(hook)}")
        else:
            removed = unsubscribe(api, url)
            print(f"removed {len(removed)} webhook(s) for {url}" + (f": {', '.join(removed)}" if removed else ""))
        return 0
    except (SettingsError, PersonioError) as exc:
        print(f"personio-webhooks: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
