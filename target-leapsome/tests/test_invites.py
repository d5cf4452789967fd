"""Who has not accepted their Leapsome invite: the Content API client and the join, over HTTP against the sandbox."""

from __future__ import annotations

import socket

import pytest
import requests
from target_leapsome.client import LeapsomeClient
from target_leapsome.invites import (
    ContentApiClient,
    ContentApiError,
    PendingInvite,
    SyncedUser,
    pending_invites,
    read_pending_invites,
)

from sandbox.leapsome import API_TOKEN, CONTENT_API_SECRET


def content_client(server, **kwargs) -> ContentApiClient:
    return ContentApiClient(f"{server.url}/v1", CONTENT_API_SECRET, **kwargs)


def scim_client(server) -> LeapsomeClient:
    return LeapsomeClient(f"{server.url}/scim/v1", API_TOKEN)


def counters(server) -> dict:
    return requests.get(f"{server.url}/_admin/counters", timeout=30).json()


def admin_patch(server, key: str, body: dict) -> dict:
    response = requests.patch(f"{server.url}/_admin/users/{key}", json=body, timeout=30)
    response.raise_for_status()
    return response.json()


def sync(leapsome, singer, people) -> None:
    result = leapsome.run(singer.input(people))
    assert result.ok, result.error


def test_a_wrong_secret_is_a_clear_error_that_does_not_repeat_the_secret(leapsome_sandbox):
    secret = "not-the-secret-1234"
    client = ContentApiClient(f"{leapsome_sandbox.url}/v1", secret)
    with pytest.raises(ContentApiError) as refused:
        client.employees()
    assert refused.value.status == 401
    message = str(refused.value)
    assert message.startswith("GET /token: HTTP 401: Leapsome refused the Content API secret")
    assert secret not in message
    assert secret not in repr(refused.value.args)
    assert counters(leapsome_sandbox)["by_route"] == {"GET /v1/token": 1}  # no employees request, no retry


def test_a_lost_connection_names_no_secret():
    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = ContentApiClient(f"http://127.0.0.1:{port}/v1", "secret-in-the-query", max_retries=1, backoff=0.01)
    with pytest.raises(ContentApiError) as failed:
        client.employees()
    assert str(failed.value) == "GET /token failed after 2 attempts: ConnectionError"


def test_the_token_is_fetched_once_and_again_after_a_401(leapsome_sandbox):
    client = content_client(leapsome_sandbox)
    assert {e["email"] for e in client.employees()} == {"office.manager@acme.example", "it.admin@acme.example"}
    client.employees(status="active")
    assert counters(leapsome_sandbox)["by_route"] == {"GET /v1/token": 1, "GET /v1/employees": 2}
    expired = requests.post(f"{leapsome_sandbox.url}/_admin/content/tokens/expire", timeout=30).json()
    assert expired == {"expired": 1}
    assert len(client.employees()) == 2
    by_route = counters(leapsome_sandbox)["by_route"]
    assert by_route == {"GET /v1/token": 2, "GET /v1/employees": 4}  # one 401, a new token, the retry
    assert counters(leapsome_sandbox)["by_status"]["401"] == 1


def test_pages_are_followed_under_the_rate_limit(leapsome_factory):
    server = leapsome_factory(preload_users=250)  # rate limit on: 20 requests/s across /v1
    client = content_client(server)
    employees = client.employees(page_size=10)
    assert len(employees) == 252
    assert len({e["id"] for e in employees}) == 252
    seen = counters(server)
    assert seen["by_route"] == {"GET /v1/token": 1, "GET /v1/employees": 26}
    assert seen["rate_limited"] == 0
    assert client.employees(email="PRELOADED.user000250@acme.example", page_size=1)[0]["status"] == "active"


def test_pending_invites_after_a_sync_an_acceptance_and_a_deactivation(leapsome, singer):
    people = [singer.employee(n) for n in (1, 2, 3)]
    sync(leapsome, singer, people)
    scim, content = scim_client(leapsome.server), content_client(leapsome.server)
    pending = read_pending_invites(scim, content)
    assert [(p.email, p.status, p.personio_id) for p in pending] == [
        ("person.1@acme.example", "created", "1"),
        ("person.2@acme.example", "created", "2"),
        ("person.3@acme.example", "created", "3"),
    ]
    ids = {u["externalId"]: u["id"] for u in leapsome.state()["users"] if u["externalId"]}
    assert [p.leapsome_id for p in pending] == [ids["1"], ids["2"], ids["3"]]
    assert pending[0].label == f"person.1@acme.example (Personio 1, Leapsome {ids['1']}): never invited"

    assert admin_patch(leapsome.server, ids["2"], {"invite": "accepted"})["status"] == "active"
    assert [p.personio_id for p in read_pending_invites(scim, content)] == ["1", "3"]

    people[2] = singer.employee(3, status="inactive")
    sync(leapsome, singer, people)
    assert leapsome.by_external()["3"]["status"] == "deactivated"
    assert [p.personio_id for p in read_pending_invites(scim, content)] == ["1"]
    hand_made = {u["userName"] for u in leapsome.state()["users"] if not u["externalId"]}
    assert hand_made
    assert not hand_made & {p.email for p in read_pending_invites(scim, content)}


def test_with_auto_invite_new_users_are_invited_and_still_pending(make_leapsome, singer):
    leapsome = make_leapsome(auto_invite=True)
    sync(leapsome, singer, [singer.employee(1), singer.employee(2)])
    scim, content = scim_client(leapsome.server), content_client(leapsome.server)
    assert {(p.personio_id, p.status) for p in read_pending_invites(scim, content)} == {
        ("1", "invited"),
        ("2", "invited"),
    }
    admin_patch(leapsome.server, "person.1@acme.example", {"invite": "accepted"})
    [left] = read_pending_invites(scim, content)
    assert left.label.endswith("invited, not accepted")
    assert left.personio_id == "2"


def test_the_join_matches_by_id_then_email_and_lists_only_pending_statuses():
    synced = [
        SyncedUser("a" * 24, "ann@acme.example", "1"),
        SyncedUser("b" * 24, "bob@acme.example", "2"),  # the Content API knows this user by email only
        SyncedUser("c" * 24, "cid@acme.example", "3"),  # accepted
        SyncedUser("d" * 24, "dee@acme.example", "4"),  # deactivated before accepting
        SyncedUser("e" * 24, "eve@acme.example", "5"),  # not listed by the Content API at all
    ]
    employees = [
        {"id": "a" * 24, "email": "someone.else@acme.example", "status": "invited"},
        {"id": "f" * 24, "email": "Bob@Acme.example", "status": "created"},
        {"id": "c" * 24, "email": "cid@acme.example", "status": "active"},
        {"id": "d" * 24, "email": "dee@acme.example", "status": "deactivated"},
        {"id": "9" * 24, "email": "stranger@acme.example", "status": "created"},  # not synced
    ]
    assert pending_invites(synced, employees) == [
        PendingInvite("ann@acme.example", "a" * 24, "invited", "1"),
        PendingInvite("bob@acme.example", "b" * 24, "created", "2"),
    ]
    assert pending_invites([], employees) == []
    assert pending_invites(synced, []) == []


def test_bad_arguments_are_refused_before_any_request():
    with pytest.raises(ValueError, match="https"):
        ContentApiClient("http://leapsome.example/v1", "s")
    with pytest.raises(ValueError, match="empty"):
        ContentApiClient("https://api.leapsome.com/v1", "")
    with pytest.raises(ValueError, match="page_size"):
        ContentApiClient("https://api.leapsome.com/v1", "s").employees(page_size=1001)
