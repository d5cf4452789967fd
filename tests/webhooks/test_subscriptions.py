"""`personio-webhooks subscribe|list|unsubscribe` against the Personio sandbox: idempotent, v2 auth, no secrets."""

from __future__ import annotations

import pytest
import requests
from personio_webhooks.cli import main

from sandbox.core import SandboxServer
from sandbox.personio import CLIENT_ID, CLIENT_SECRET
from tests.webhooks.conftest import TOKEN

HOOK_URL = "https://sync.example/webhooks/personio"


@pytest.fixture
def personio_env(personio_sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch) -> SandboxServer:
    monkeypatch.setenv("TAP_PERSONIO_BASE_URL", personio_sandbox.url)
    monkeypatch.setenv("TAP_PERSONIO_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("TAP_PERSONIO_CLIENT_SECRET", CLIENT_SECRET)
    monkeypatch.setenv("PERSONIO_WEBHOOKS_TOKEN", TOKEN)
    monkeypatch.setenv("PERSONIO_WEBHOOKS_PUBLIC_URL", HOOK_URL)
    return personio_sandbox


def hooks(server: SandboxServer) -> list[dict[str, object]]:
    return list(requests.get(f"{server.url}/_admin/webhooks", timeout=10).json()["webhooks"])


def test_subscribe_twice_leaves_one_enabled_webhook(
    personio_env: SandboxServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["subscribe"]) == 0
    assert capsys.readouterr().out.startswith("created: ")
    assert main(["subscribe"]) == 0
    assert capsys.readouterr().out.startswith("updated: ")
    [hook] = hooks(personio_env)
    assert hook["url"] == HOOK_URL
    assert hook["status"] == "ENABLED"
    assert hook["auth_type"] == "TOKEN"
    assert set(hook["enabled_events"]) == {  # type: ignore[call-overload]
        "person.created", "person.updated", "person.deleted",
        "employment.created", "employment.updated", "employment.deleted",
    }  # fmt: skip
    webhook = personio_env.app.webhooks.hooks[str(hook["id"])]  # type: ignore[attr-defined]
    assert webhook.token == TOKEN
    counted = requests.get(f"{personio_env.url}/_admin/counters", timeout=10).json()["by_route"]
    assert counted["POST token"] == 2  # the v2 client-credentials flow, once per command


def test_subscribe_repairs_a_disabled_webhook_and_removes_duplicates(personio_env: SandboxServer) -> None:
    assert main(["subscribe"]) == 0
    webhooks = personio_env.app.webhooks  # type: ignore[attr-defined]
    [hook] = webhooks.hooks.values()
    hook.status = "DISABLED"
    hook.token = "an-old-token"
    copy = type(hook)(id="copy", url=HOOK_URL, enabled_events=["person.created"], token="x")
    webhooks.hooks["copy"] = copy
    assert main(["subscribe"]) == 0
    [hook] = webhooks.hooks.values()
    assert (hook.status, hook.token) == ("ENABLED", TOKEN)


def test_list_shows_webhooks_without_their_token(
    personio_env: SandboxServer, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["subscribe"])
    capsys.readouterr()
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert HOOK_URL in out
    assert "ENABLED" in out
    assert TOKEN not in out
    assert CLIENT_SECRET not in out


def test_unsubscribe_removes_it_and_is_idempotent(
    personio_env: SandboxServer, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["subscribe"])
    assert main(["unsubscribe"]) == 0
    assert hooks(personio_env) == []
    assert main(["unsubscribe"]) == 0
    assert "removed 0 webhook(s)" in capsys.readouterr().out


def test_wrong_credentials_are_reported_without_the_secret(
    personio_env: SandboxServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TAP_PERSONIO_CLIENT_SECRET", "not-the-secret-at-all")
    assert main(["subscribe"]) == 2
    err = capsys.readouterr().err
    assert "refused the credentials" in err
    assert "not-the-secret-at-all" not in err
    assert hooks(personio_env) == []
