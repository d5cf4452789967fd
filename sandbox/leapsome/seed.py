"""The organisation a Leapsome sandbox starts with: hand-made users and a team, or bulk users for load tests."""

from __future__ import annotations

from sandbox.leapsome.store import LeapsomeOrganisation

# Made by an admin in the Leapsome UI: no externalId, emails that match no generated Personio employee.
HAND_MADE_USERS = (
    ("office.manager@acme.example", "Olga", "Office", "Office Manager"),
    ("it.admin@acme.example", "Ivan", "Admin", "IT Administrator"),
)
HAND_MADE_TEAM = "Book Club"


def seed(
    organisation: LeapsomeOrganisation, *, empty: bool = False, preload_users: int = 0, domain: str = "acme.example"
) -> None:
    """Fill a fresh organisation: the hand-made users and team unless `empty`, then `preload_users` bulk users."""
    with organisation.lock:
        if not empty:
            team = organisation.add_group(HAND_MADE_TEAM)
            for user_name, given, family, title in HAND_MADE_USERS:
                user = organisation.add_user(user_name)
                user.given_name, user.family_name, user.title = given, family, title
                user.invite = "accepted"  # they run Leapsome: they accepted their invites long ago
                organisation.join(team, user)
        for number in range(1, preload_users + 1):
            user = organisation.add_user(f"preloaded.user{number:06d}@{domain}")
            user.given_name, user.family_name = "Preloaded", f"User {number}"
            user.invite = "accepted"
