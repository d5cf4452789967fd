"""The Leapsome sandbox's seed, admin surface and CLI hooks: what tests, the demo and benchmarks drive."""

from __future__ import annotations

import argparse

import pytest
import requests

from sandbox import leapsome
from sandbox.core import Knobs, running

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
AUTH = {"Authorization": f"Bearer {leapsome.API_TOKEN}"}


def plain_get(url: str, **kwargs) -> requests.Response:
    """An unauthenticated call with a timeout (admin endpoints, auth checks)."""
    return requests.get(url, timeout=30, **kwargs)


def plain_patch(url: str, **kwargs) -> requests.Response:
    """An unauthenticated call with a timeout (admin endpoints, auth checks)."""
    return requests.patch(url, timeout=30, **kwargs)


def plain_post(url: str, **kwargs) -> requests.Response:
    """An unauthenticated call with a timeout (admin endpoints, auth checks)."""
    return requests.post(url, timeout=30, **kwargs)


def state(server) -> dict:
    return plain_get(f"{server.url}/_admin/state").json()


# The options a sandbox starts with: today's behaviour for every point the spec leaves open.
DEFAULT_OPTIONS = {
    "duplicate_create": "empty",
    "domains": ["acme.example"],
    "group_create_members": "accepted",
    "patch_response": "resource",
    "user_groups": "listed",
    "page_size_cap": None,
    "max_text_length": None,
    "ignored_attributes": [],
    "auto_invite": False,
}


def test_default_seed_has_hand_made_users_and_team(leapsome_sandbox):
    seeded = state(leapsome_sandbox)
    users = {u["userName"]: u for u in seeded["users"]}
    assert set(users) == {"office.manager@acme.example", "it.admin@acme.example"}
    assert all(u["externalId"] is None and u["active"] for u in users.values())
    [team] = seeded["groups"]
    assert team["displayName"] == "Book Club"
    assert team["externalId"] is None
    assert team["members"] == sorted(u["id"] for u in users.values())
    assert all(u["teams"] == [team["id"]] for u in users.values())
    assert seeded["options"] == DEFAULT_OPTIONS


def test_empty_and_preloaded_seeds(leapsome_factory):
    assert state(leapsome_factory(empty=True)) == {
        "users": [],
        "groups": [],
        "options": DEFAULT_OPTIONS,
    }
    loaded = state(leapsome_factory(empty=True, preload_users=250, domains=["example.org"]))
    names = [u["userName"] for u in loaded["users"]]
    assert len(names) == len(set(names)) == 250
    assert all(n.endswith("@example.org") for n in names)
    assert len({u["id"] for u in loaded["users"]}) == 250


def test_admin_creates_and_edits_users_like_a_leapsome_admin(leapsome_sandbox):
    admin = f"{leapsome_sandbox.url}/_admin"
    made = plain_post(
        f"{admin}/users",
        json={"userName": "contractor@outside.example", "title": "Consultant", ENTERPRISE: {"department": "Guests"}},
    )
    assert made.status_code == 201
    assert made.json()["title"] == "Consultant"
    assert plain_post(f"{admin}/users", json={"userName": "CONTRACTOR@outside.example"}).status_code == 409
    edited = plain_patch(f"{admin}/users/contractor@outside.example", json={"title": "Hand-edited", "active": False})
    assert edited.status_code == 200
    assert edited.json()["title"] == "Hand-edited"
    answer = plain_get(f"{leapsome_sandbox.url}/scim/v1/Users/{made.json()['id']}", headers=AUTH).json()
    assert answer["title"] == "Hand-edited"
    assert answer["active"] is False
    assert [g["display"] for g in answer["groups"]] == ["Guests"]
    assert plain_patch(f"{admin}/users/nobody", json={"title": "x"}).status_code == 404
    assert plain_patch(f"{admin}/users/contractor@outside.example", json={"bogus": 1}).status_code == 400


def test_admin_creates_and_edits_teams(leapsome_sandbox):
    admin = f"{leapsome_sandbox.url}/_admin"
    team = plain_post(f"{admin}/groups", json={"displayName": "Hand Team", "members": ["it.admin@acme.example"]}).json()
    admin_user = next(u for u in state(leapsome_sandbox)["users"] if u["userName"] == "it.admin@acme.example")
    assert team["members"] == [admin_user["id"]]
    assert plain_post(f"{admin}/groups", json={"displayName": "hand team"}).status_code == 409
    edited = plain_patch(
        f"{admin}/groups/Hand Team", json={"displayName": "Hand Team 2", "members": ["office.manager@acme.example"]}
    ).json()
    assert edited["displayName"] == "Hand Team 2"
    assert admin_user["id"] not in edited["members"]


def test_admin_options_validate(leapsome_sandbox):
    options = f"{leapsome_sandbox.url}/_admin/options"
    assert plain_post(options, json={"duplicate_create": "maybe"}).status_code == 400
    assert plain_post(options, json={"domains": []}).status_code == 400
    assert plain_post(options, json={"colour": "red"}).status_code == 400
    assert plain_post(options, json={"domains": ["A.example"]}).json()["domains"] == ["a.example"]
    assert plain_get(options).json() == {**DEFAULT_OPTIONS, "domains": ["a.example"]}
    for bad in (
        {"group_create_members": "sometimes"},
        {"patch_response": "accepted"},
        {"user_groups": "hidden"},
        {"page_size_cap": 0},
        {"page_size_cap": "10"},
        {"max_text_length": -1},
        {"max_text_length": True},
        {"patch_response": "no_content", "user_groups": "nope"},  # all or nothing
    ):
        assert plain_post(options, json=bad).status_code == 400, bad
    assert plain_get(options).json() == {**DEFAULT_OPTIONS, "domains": ["a.example"]}
    changed = {
        "group_create_members": "refused",
        "patch_response": "no_content",
        "user_groups": "omitted",
        "page_size_cap": 10,
        "max_text_length": 255,
    }
    assert plain_post(options, json=changed).json() == {**DEFAULT_OPTIONS, "domains": ["a.example"], **changed}
    cleared = plain_post(options, json={"page_size_cap": None, "max_text_length": None}).json()
    assert cleared["page_size_cap"] is None
    assert cleared["max_text_length"] is None


def test_admin_requests_are_not_counted_or_limited(leapsome_sandbox):
    for _ in range(40):
        assert plain_get(f"{leapsome_sandbox.url}/_admin/state").status_code == 200
    counters = plain_get(f"{leapsome_sandbox.url}/_admin/counters").json()
    assert counters["total"] == 0


def test_cli_hooks_build_the_app_without_retry_after():
    parser = argparse.ArgumentParser()
    leapsome.add_arguments(parser)
    args = parser.parse_args(
        ["--duplicate-create", "conflict", "--domain", "x.example", "--empty", "--preload-users", "3"]
    )
    knobs = Knobs(retry_after=True)
    app = leapsome.app_from_args(args, knobs)
    assert knobs.retry_after is False
    with running(app) as server:
        seeded = state(server)
    assert seeded["options"] == {**DEFAULT_OPTIONS, "duplicate_create": "conflict", "domains": ["x.example"]}
    assert [u["userName"] for u in seeded["users"]] == [f"preloaded.user{n:06d}@x.example" for n in (1, 2, 3)]
    assert leapsome.app_from_args(parser.parse_args(["--retry-after"]), knobs).knobs.retry_after is True


def test_large_preload_is_indexed_and_paged(leapsome_factory):
    server = leapsome_factory(rate_limit=False, preload_users=20_000)
    with requests.Session() as http:
        http.headers.update(AUTH)
        last = http.get(
            f"{server.url}/scim/v1/Users", params={"filter": 'userName eq "preloaded.user020000@acme.example"'}
        )
        assert last.json()["totalResults"] == 1
        tail = http.get(f"{server.url}/scim/v1/Users", params={"startIndex": 19_999, "count": 10}).json()
    assert tail["totalResults"] == 20_002
    assert tail["itemsPerPage"] == 4


def test_cli_flags_and_factory_set_the_options_for_what_the_spec_leaves_open(leapsome_factory):
    parser = argparse.ArgumentParser()
    leapsome.add_arguments(parser)
    flags = [
        "--group-create-members",
        "refused",
        "--patch-response",
        "no_content",
        "--user-groups",
        "empty",
        "--page-size-cap",
        "7",
        "--max-text-length",
        "255",
    ]
    chosen = {
        "group_create_members": "refused",
        "patch_response": "no_content",
        "user_groups": "empty",
        "page_size_cap": 7,
        "max_text_length": 255,
    }
    with running(leapsome.app_from_args(parser.parse_args(flags), Knobs())) as server:
        assert state(server)["options"] == {**DEFAULT_OPTIONS, **chosen}
    with running(leapsome.app_from_args(parser.parse_args([]), Knobs())) as server:
        assert state(server)["options"] == DEFAULT_OPTIONS
    assert state(leapsome_factory(**chosen))["options"] == {**DEFAULT_OPTIONS, **chosen}
    with pytest.raises(ValueError, match="user_groups"):
        leapsome_factory(user_groups="sometimes")
