"""Managing the Personio webhook that points at the receiver: create or update, list, remove.

The webhook is identified by its URL, so `subscribe` is idempotent: a second run updates the one it
finds (and removes extra copies) instead of adding another. Authentication is the v2 client-credentials
flow (`POST /v2/auth/token`, form body) with the tap's credentials. Personio does not return the token
of a webhook, so `subscribe` always sends it; neither it nor the client secret is ever printed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import requests

from personio_webhooks.settings import EVENTS, Settings, SettingsError

JSON = dict[str, Any]


class PersonioError(RuntimeError):
    """Personio refused a management request; the message holds its status and error detail."""


@dataclass
class WebhookAPI:
    """The `/v2/webhooks` endpoints with a v2 bearer token fetched once."""

    base_url: str
    client_id: str
    client_secret: str
    timeout: float = 30.0
    session: requests.Session | None = None
    _token: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> WebhookAPI:
        if not settings.client_id or not settings.client_secret:
            raise SettingsError("set TAP_PERSONIO_CLIENT_ID and TAP_PERSONIO_CLIENT_SECRET (the tap's credentials)")
        return cls(settings.personio_base_url, settings.client_id, settings.client_secret)

    def _http(self) -> requests.Session:
        if self.session is None:
            self.session = requests.Session()
        return self.session

    def _bearer(self) -> str:
        if self._token is None:
            form = {
                "grant_type": "client_credentials",
                "client_id": self.client_id,
                "client_secret": self.client_secret,
            }
            answer = self._http().post(f"{self.base_url}/v2/auth/token", data=form, timeout=self.timeout)
            if answer.status_code != 200:
                raise PersonioError(f"Personio refused the credentials ({answer.status_code}): {_detail(answer)}")
            self._token = str(answer.json()["access_token"])
        return self._token

    def _call(self, method: str, url: str, body: JSON | None = None) -> requests.Response:
        headers = {"Authorization": f"Bearer {self._bearer()}", "Accept": "application/json"}
        answer = self._http().request(method, url, json=body, headers=headers, timeout=self.timeout)
        if answer.status_code >= 400:
            raise PersonioError(
                f"{method} {url.split('?', maxsplit=1)[0]} failed ({answer.status_code}): {_detail(answer)}"
            )
        return answer

    def list(self) -> list[JSON]:
        """Every webhook of the company, following `_meta.links.next` pages."""
        found: list[JSON] = []
        url: str | None = f"{self.base_url}/v2/webhooks"
        while url:
            page = self._call("GET", url).json()
            found.extend(page.get("_data", []))
            url = ((page.get("_meta") or {}).get("links") or {}).get("next", {}).get("href")
        return found

    def create(self, body: JSON) -> JSON:
        return dict(self._call("POST", f"{self.base_url}/v2/webhooks", body).json())

    def update(self, webhook_id: str, body: JSON) -> JSON:
        return dict(self._call("PATCH", f"{self.base_url}/v2/webhooks/{webhook_id}", body).json())

    def delete(self, webhook_id: str) -> None:
        self._call("DELETE", f"{self.base_url}/v2/webhooks/{webhook_id}")


def _detail(answer: requests.Response) -> str:
    """Personio's own error text (v2 problem+json or OAuth error), short."""
    try:
        body = answer.json()
    except ValueError:
        return answer.text[:200]
    if isinstance(body, dict):
        errors = body.get("errors") or []
        if errors and isinstance(errors[0], dict):
            return str(errors[0].get("detail") or errors[0].get("title"))
        return str(body.get("error_description") or body.get("error") or body)[:200]
    return str(body)[:200]


def subscribe(api: WebhookAPI, url: str, token: str, description: str) -> tuple[str, JSON]:
    """Make exactly one enabled webhook for `url` with our events and token; say whether it was created or updated."""
    body: JSON = {
        "url": url,
        "description": description,
        "status": "ENABLED",
        "auth_type": "TOKEN",
        "token": token,
        "enabled_events": list(EVENTS),
    }
    mine = [hook for hook in api.list() if hook.get("url") == url]
    if not mine:
        return "created", api.create(body)
    for extra in mine[1:]:
        api.delete(str(extra["id"]))
    return "updated", api.update(str(mine[0]["id"]), body)


def unsubscribe(api: WebhookAPI, url: str) -> list[str]:
    """Remove every webhook for `url`; the ids removed (none is fine: already gone)."""
    removed = [str(hook["id"]) for hook in api.list() if hook.get("url") == url]
    for webhook_id in removed:
        api.delete(webhook_id)
    return removed


def describe(hook: JSON) -> str:
    """One line per webhook for `list`; tokens and custom header values are never shown."""
    events = ",".join(hook.get("enabled_events") or [])
    return f"{hook.get('id')}  {hook.get('status')}  {hook.get('url')}  [{events}]  {hook.get('description') or ''}"
