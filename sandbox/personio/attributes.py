"""The employee attribute catalogue: every key the v1 API can return, with its label, type and shape.

Kept apart from the data so the renderer, the `/attributes` listing, the admin validation and the
whitelist all agree on one list.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# How a stored value becomes an attribute `value`.
PLAIN = "plain"  # strings, numbers, null as they are
DATE = "date"  # a calendar date, written as Berlin midnight with offset
INSTANT = "instant"  # an aware timestamp, written in Berlin time with offset
RELATION = "relation"  # {type, attributes: {id, name}} looked up in the org
SUPERVISOR = "supervisor"  # a ShortEmployee
COST_CENTERS = "cost_centers"  # a list of {type: CostCenter, attributes: {id, name, percentage}}
PICTURE = "picture"  # the profile picture's URL, derived from the id (null for those without one)


@dataclass(frozen=True)
class AttributeDef:
    key: str
    label: str
    type: str  # Personio's TypeEnum
    universal_id: str | None
    kind: str = PLAIN
    relation_type: str = ""  # Department, Office, Team, Subcompany
    options: list[str] = field(default_factory=list)

    def listing(self) -> dict[str, object]:
        return {
            "key": self.key,
            "label": self.label,
            "type": self.type,
            "universal_id": self.universal_id,
            "options": list(self.options),
        }


def _std(key: str, label: str, type_: str = "standard", kind: str = PLAIN) -> AttributeDef:
    return AttributeDef(key, label, type_, key, kind)


STANDARD: list[AttributeDef] = [
    _std("id", "ID", "integer"),
    _std("first_name", "First name"),
    _std("last_name", "Last name"),
    _std("preferred_name", "Name (preferred)"),
    _std("email", "Email"),
    _std("gender", "Gender", "list"),
    _std("status", "Status"),
    _std("position", "Position"),
    AttributeDef("supervisor", "Supervisor", "standard", "supervisor", SUPERVISOR),
    _std("employment_type", "Employment type"),
    _std("weekly_working_hours", "Weekly hours"),
    _std("hire_date", "Hire date", "date", DATE),
    _std("contract_end_date", "Contract ends", "date", DATE),
    _std("termination_date", "Termination date", "date", DATE),
    _std("termination_type", "Termination type"),
    _std("termination_reason", "Termination reason"),
    _std("last_working_day", "Last day of work", "date", DATE),
    _std("probation_period_end", "Probation period end", "date", DATE),
    _std("created_at", "created_at", "date", INSTANT),
    _std("last_modified_at", "Last modified", "date", INSTANT),
    AttributeDef("subcompany", "Subcompany", "standard", "subcompany", RELATION, "Subcompany"),
    AttributeDef("office", "Office", "standard", "office", RELATION, "Office"),
    AttributeDef("department", "Department", "standard", "department", RELATION, "Department"),
    AttributeDef("cost_centers", "Cost center", "standard", "cost_centers", COST_CENTERS),
    AttributeDef("team", "Team", "standard", "team", RELATION, "Team"),
    AttributeDef("profile_picture", "Profile Picture", "standard", "profile_picture", PICTURE),
]

LANGUAGES = ["English", "German", "French", "Spanish", "Polish", "Vietnamese", "Mandarin", "Danish"]

CUSTOM: list[AttributeDef] = [
    AttributeDef("dynamic_21827", "IBAN", "standard", "iban"),
    AttributeDef("dynamic_180883", "Birthday", "date", "date_of_birth", DATE),
    AttributeDef("dynamic_33400", "Anniversary Date", "date", None, DATE),
    AttributeDef("dynamic_24407", "Titel", "standard", None),
    AttributeDef("dynamic_40112", "Bonus factor", "decimal", None),
    AttributeDef("dynamic_40113", "Language Skills", "tags", None, options=LANGUAGES),
    AttributeDef("dynamic_40114", "T-shirt size", "list", None, options=["XS", "S", "M", "L", "XL", "XXL"]),
    AttributeDef("dynamic_40115", "Slack handle", "standard", None),
]

ALL: list[AttributeDef] = STANDARD + CUSTOM
BY_KEY: dict[str, AttributeDef] = {a.key: a for a in ALL}
# Keys an admin update may set directly (the rest are derived: id, created_at, last_modified_at, profile_picture).
SETTABLE: frozenset[str] = frozenset(a.key for a in ALL) - {"id", "created_at", "last_modified_at", "profile_picture"}


def profile_picture_url(employee_id: int) -> str | None:
    """The picture URL Personio's v1 sends (its own host, as in its spec); every fifth employee has none."""
    if employee_id % 5 == 0:
        return None
    return f"https://api.personio.de/v1/company/employees/{employee_id}/profile-picture"
