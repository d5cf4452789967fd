"""A create that found a user already in Leapsome: the whole rule in one place.

`LeapsomeClient.create_user` never creates a user twice: a lost answer, a 409 or Leapsome's `201 {}` for a
userName in use leads to a look-up by userName, and the user found is answered as if just created. What
that user means for the sync is decided here:

- it carries our externalId: the create did happen (a lost answer, an earlier run), so carry on;
- it carries another externalId: someone else owns that userName, so the create fails;
- it carries none (made by hand between our read and our create): it becomes ours, but lacks the externalId
  that marks a user as synced. The user's follow-up PATCH sets it, or an extra PATCH outside the plan when
  the plan has none for that user, and the report shows it as a change of that PATCH.

The plan is never changed: apply remembers these users' Personio ids in `ApplyResult.external_id_fixes`.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Any

from target_leapsome.client import LeapsomeError
from target_leapsome.plan import CreateUser, UserRef


def needs_external_id(create: CreateUser, found: Mapping[str, Any]) -> bool:
    """Whether the user a create answered with still lacks our externalId; raise when it is someone else's."""
    external = found.get("externalId") or None
    if external not in (None, create.external_id):
        raise LeapsomeError(
            f"userName {create.user_name} already belongs to Leapsome user {found.get('id')} with externalId {external}"
        )
    return external is None


def _fixed(ref: UserRef, fixes: Collection[str]) -> bool:
    return ref.leapsome_id is None and str(ref.external_id) in fixes


def external_id_body(ref: UserRef, fixes: Collection[str]) -> dict[str, str]:
    """What a created user's PATCH adds when the create found a user without our externalId."""
    return {"externalId": str(ref.external_id)} if _fixed(ref, fixes) else {}


def without_follow_up(planned: Iterable[UserRef], fixes: Collection[str]) -> list[str]:
    """Personio ids whose externalId has no planned PATCH to ride on: each needs one outside the plan."""
    return sorted(set(fixes) - {str(ref.external_id) for ref in planned if ref.leapsome_id is None})


def reported_change(ref: UserRef, fixes: Collection[str]) -> dict[str, Any] | None:
    """The externalId a created user's PATCH set, as the report shows it; None when it set none."""
    return {"before": None, "after": ref.external_id} if _fixed(ref, fixes) else None
