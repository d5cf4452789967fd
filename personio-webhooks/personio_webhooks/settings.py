"""Settings from the environment: `PERSONIO_WEBHOOKS_<NAME>`, which is also how Meltano passes a utility's settings.

The shared token comes from the environment only (`PERSONIO_WEBHOOKS_TOKEN`), never from meltano.yml, and no
representation of these settings shows it. The Personio credentials for managing the subscription are the
tap's (`TAP_PERSONIO_CLIENT_ID`, `TAP_PERSONIO_CLIENT_SECRET`, `TAP_PERSONIO_BASE_URL`).
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field

PREFIX = "PERSONIO_WEBHOOKS_"
EVENTS = (
    "person.created",
    "person.updated",
    "person.deleted",
    "employment.created",
    "employment.updated",
    "employment.deleted",
)


class SettingsError(ValueError):
    """A setting is missing or has a value that cannot work."""


@dataclass(frozen=True)
class Settings:
    """Everything the receiver and the subscription commands read; defaults are the documented ones."""

    host: str = "127.0.0.1"
    port: int = 8787
    path: str = "/webhooks/personio"
    quiet_period: float = 15.0
    max_delay: float = 60.0
    command: tuple[str, ...] = ("meltano", "run", "personio-to-leapsome")
    shutdown_timeout: float = 300.0
    ssl_certfile: str | None = None
    ssl_keyfile: str | None = None
    public_url: str | None = None
    description: str = "personio-leapsome-sync"
    token: str = field(default="", repr=False)
    personio_base_url: str = "https://api.personio.de"
    client_id: str = field(default="", repr=False)
    client_secret: str = field(default="", repr=False)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read the settings; an empty variable means the default (as Meltano passes unset settings)."""
        source = os.environ if env is None else env

        def get(name: str) -> str | None:
            value = source.get(PREFIX + name.upper(), "").strip()
            return value or None

        defaults = cls()
        try:
            settings = cls(
                host=get("host") or defaults.host,
                port=int(get("port") or defaults.port),
                path=get("path") or defaults.path,
                quiet_period=float(get("quiet_period") or defaults.quiet_period),
                max_delay=float(get("max_delay") or defaults.max_delay),
                command=tuple(shlex.split(get("command") or "")) or defaults.command,
                shutdown_timeout=float(get("shutdown_timeout") or defaults.shutdown_timeout),
                ssl_certfile=get("ssl_certfile"),
                ssl_keyfile=get("ssl_keyfile"),
                public_url=get("public_url"),
                description=get("description") or defaults.description,
                token=source.get(PREFIX + "TOKEN", ""),
                personio_base_url=(source.get("TAP_PERSONIO_BASE_URL") or defaults.personio_base_url).rstrip("/"),
                client_id=source.get("TAP_PERSONIO_CLIENT_ID", ""),
                client_secret=source.get("TAP_PERSONIO_CLIENT_SECRET", ""),
            )
        except ValueError as exc:
            raise SettingsError(f"a {PREFIX}* number setting is not a number: {exc}") from None
        settings.check()
        return settings

    def check(self) -> None:
        """Refuse values that cannot work, before anything listens or calls Personio."""
        if not self.path.startswith("/"):
            raise SettingsError(f"{PREFIX}PATH must start with /")
        if self.quiet_period < 0 or self.max_delay < self.quiet_period:
            raise SettingsError(f"need 0 <= {PREFIX}QUIET_PERIOD <= {PREFIX}MAX_DELAY")
        if bool(self.ssl_certfile) != bool(self.ssl_keyfile):
            raise SettingsError(f"set both {PREFIX}SSL_CERTFILE and {PREFIX}SSL_KEYFILE, or neither")

    def require_token(self) -> str:
        """The shared token Personio sends; without one nothing could be authenticated."""
        if len(self.token) < 16:
            raise SettingsError(f"set {PREFIX}TOKEN in the environment (a random secret of at least 16 characters)")
        return self.token
