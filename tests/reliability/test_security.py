"""Secrets and transport security.

- Plain http to a host that is not loopback is refused by both plugins at config time, before any request.
- TLS verification is on and cannot be turned off: no setting for it exists, and an https base_url to a
  loopback TLS server with a self-signed certificate is refused (the server sees no HTTP request), also
  with `REQUESTS_CA_BUNDLE` pointing to an empty bundle, `CURL_CA_BUNDLE=""` and `PYTHONHTTPSVERIFY=0`.
- No client secret, Personio token or Leapsome token in any log line, error, report or state the
  reliability tests wrote (checked after every test by conftest.py; here: the checker itself is proved
  able to find one, and the token it looks for is the one Personio really hands out).
"""

from __future__ import annotations

import json
import os
import ssl
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests

from harness.pipeline import BIN
from sandbox.leapsome import API_TOKEN
from sandbox.personio import CLIENT_ID, CLIENT_SECRET
from tests.reliability.support import LEDGER, Ledger, minted_tokens, start_personio

NOT_LOOPBACK = [
    "http://api.personio.de",
    "http://10.1.2.3:8080",
    "http://127.0.0.1.example.com",
    "http://localhost@evil.example",
]
TLS_SWITCHES = ("verify", "ssl", "tls", "insecure", "cert")


def plugin(command: str, config: dict[str, Any], workdir: Path, env: dict[str, str] | None = None) -> tuple[int, str]:
    """Run a plugin with a config (the target reads one tiny valid stream); return exit code and log."""
    workdir.mkdir(parents=True, exist_ok=True)
    LEDGER.artifact_dirs.append(workdir)
    config_file = workdir / ("tap.json" if command == "tap-personio" else "target.json")
    config_file.write_text(json.dumps(config))
    stdin = "\n".join(
        json.dumps(m)
        for m in (
            {
                "type": "SCHEMA",
                "stream": "departments",
                "schema": {"properties": {"id": {"type": "integer"}}},
                "key_properties": ["id"],
            },
            {"type": "RECORD", "stream": "departments", "record": {"id": 1}},
        )
    )
    done = subprocess.run(
        [str(BIN / command), "--config", str(config_file)],
        input=stdin.encode() if command == "target-leapsome" else None,
        capture_output=True,
        timeout=60,
        env={**{k: v for k, v in os.environ.items() if not k.startswith(("TAP_", "TARGET_"))}, **(env or {})},
        check=False,
    )
    log = done.stderr.decode(errors="replace")
    (workdir / f"{command}.log").write_text(log + done.stdout.decode(errors="replace"))
    return done.returncode, log


def tap_config(base_url: str) -> dict[str, Any]:
    return {
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "base_url": base_url,
        "max_retries": 1,
        "retry_backoff_seconds": 0.05,
        "request_timeout": 5,
    }


def target_config(base_url: str) -> dict[str, Any]:
    return {"api_token": API_TOKEN, "base_url": base_url, "max_retries": 1, "request_timeout": 5}


@pytest.mark.parametrize("url", NOT_LOOPBACK)
@pytest.mark.parametrize("command", ["tap-personio", "target-leapsome"])
def test_plain_http_to_a_non_loopback_host_is_refused_at_config_time(command: str, url: str, tmp_path: Path) -> None:
    config = tap_config(url) if command == "tap-personio" else target_config(url + "/scim/v1")
    code, log = plugin(command, config, tmp_path)
    assert code != 0
    assert "base_url" in log
    assert "https" in log


@pytest.mark.parametrize("command", ["tap-personio", "target-leapsome"])
def test_no_setting_can_turn_tls_verification_off(command: str) -> None:
    about = subprocess.run([str(BIN / command), "--about", "--format=json"], capture_output=True, check=True)
    settings = [name.lower() for name in json.loads(about.stdout)["settings"]["properties"]]
    assert settings
    assert [s for s in settings if any(word in s for word in TLS_SWITCHES)] == []


# -- a loopback TLS server with a self-signed certificate -------------------------------------------------
class _Counting(BaseHTTPRequestHandler):
    requests_seen = 0

    def do_GET(self) -> None:
        type(self).requests_seen += 1
        body = b'{"Resources": [], "totalResults": 0}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_POST = do_PATCH = do_GET

    def log_message(self, format: str, *args: Any) -> None:
        return


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, type[_Counting]]]:
    """`https://127.0.0.1:PORT`, its self-signed certificate, and the handler class counting requests."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ],
        capture_output=True,
        check=True,
    )
    handler = type("Handler", (_Counting,), {"requests_seen": 0})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}", cert, handler
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_the_tls_server_works_for_a_client_that_trusts_it(tls_server: tuple[str, Path, type[_Counting]]) -> None:
    """The control: with its certificate trusted the server answers, so a refusal below is verification."""
    url, cert, handler = tls_server
    before = handler.requests_seen
    assert requests.get(url + "/Users", verify=str(cert), timeout=10).status_code == 200
    assert handler.requests_seen == before + 1


EMPTY_BUNDLE = {"REQUESTS_CA_BUNDLE": "", "CURL_CA_BUNDLE": "", "PYTHONHTTPSVERIFY": "0"}


@pytest.mark.parametrize("environment", ["plain", "empty CA bundle"])
@pytest.mark.parametrize("command", ["tap-personio", "target-leapsome"])
def test_a_self_signed_certificate_is_refused(
    command: str, environment: str, tls_server: tuple[str, Path, type[_Counting]], tmp_path: Path
) -> None:
    url, _cert, handler = tls_server
    env: dict[str, str] = {}
    if environment != "plain":
        empty = tmp_path / "empty-bundle.pem"
        empty.write_text("")
        env = {**EMPTY_BUNDLE, "REQUESTS_CA_BUNDLE": str(empty)}
    config = tap_config(url) if command == "tap-personio" else target_config(url + "/scim/v1")
    config.update({"verify": False, "verify_ssl": False, "ssl_verify": False, "insecure": True})  # ignored or refused
    before = handler.requests_seen
    code, log = plugin(command, config, tmp_path, env)
    assert code != 0, log[-3000:]
    assert handler.requests_seen == before, "an HTTP request got through an unverified TLS connection"
    assert "ssl" in log.lower() or "certificate" in log.lower() or "config" in log.lower(), log[-3000:]


# -- the secrets check itself ------------------------------------------------------------------------------
def test_the_token_checked_for_is_the_one_personio_hands_out() -> None:
    personio = start_personio(10, 3)
    try:
        answer = requests.post(
            personio.url + "/v1/auth", json={"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}, timeout=10
        ).json()
        token = answer["data"]["token"]
        assert token.startswith("papi-")
        assert token in minted_tokens(personio)
        assert token in LEDGER.secrets()
    finally:
        personio.stop()


def test_the_secrets_check_finds_a_leaked_secret(tmp_path_factory: pytest.TempPathFactory) -> None:
    """The check the conftest runs after every test can fail: planted secrets are found, in every form.

    The planted files live outside this test's tmp_path, so the session's own check does not see them.
    """
    planted = tmp_path_factory.mktemp("planted-secrets")
    personio = start_personio(10, 3)
    try:
        token = requests.post(
            personio.url + "/v1/auth", json={"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}, timeout=10
        ).json()["data"]["token"]
        ledger = Ledger(personio_servers=[personio])
        for name, text in (
            ("token.log", f"GET /v1/company/employees Authorization: Bearer {token}"),
            ("secret.json", json.dumps({"client_secret": CLIENT_SECRET})),
            ("leapsome.log", f"headers={{'Authorization': 'Bearer {API_TOKEN}'}}"),
            ("clean.log", "nothing to see"),
        ):
            folder = planted / name.split(".")[0]
            folder.mkdir(parents=True)
            (folder / name).write_text(text)
            ledger.artifact_dirs.append(folder)
        found = ledger.scan()
        assert {f.split(":")[0].rsplit("/", 1)[-1] for f in found} == {"token.log", "secret.json", "leapsome.log"}
    finally:
        personio.stop()


def test_no_secret_in_anything_the_reliability_tests_wrote() -> None:
    """Across every test run so far in this session (each was also checked when it ended)."""
    if not LEDGER.artifact_dirs and not LEDGER.texts:
        pytest.skip("nothing written yet: this summary runs after the other reliability tests")
    assert LEDGER.scan() == []
    assert LEDGER.scanned_files > 0
    assert LEDGER.secrets_found == []
