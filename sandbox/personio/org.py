"""A deterministic fake company: departments, offices, teams, a supervisor tree and employees.

Everything derives from (size, seed) and a fixed epoch, never the wall clock, so two runs produce
byte-identical data. Employee ids are not handed out in tree order, so a supervisor can have a
higher id than their reports (as in a real company where managers are hired later).

The default company is clean: every employee has a unique email in `acme.example`, one supervisor
tree, names of ordinary length. `realistic=True` then plants what real companies contain, with its
own random stream (so everything else is the same company as without it) and records the ids in
`Org.planted`, kind -> ids, each list in planting order. For `n = max(1, round(size / 100))` (3 at
300 employees), each kind gets n cases, taken from active employees nobody reports to (so a planted
case disturbs nobody else), while such employees last (small companies get fewer):
- `no_email`: email null.
- `shared_email`: n pairs of active employees holding one email, listed pair by pair ([a1, b1, a2,
  b2, ...]); in every second pair the second holder's email differs in letter case only.
- `foreign_domain`: email in `contractor.example`, outside the Leapsome organisation's domain.
- `inactive_supervisor`: an active employee whose supervisor has status inactive (an existing
  inactive employee, else one made inactive); the ids are the active employees.
- `supervision_cycle`: n pairs of active employees supervising each other, pair by pair.
- `long_name`: a last name over 255 characters (Leapsome's plausible text limit).
- `rtl_name`: Arabic or Hebrew first and last names (ASCII email from their transliteration).
- `unnamed_department`: department ids (not employees): one department with members whose name and
  abbreviation are "" (a department without a name).
Planted values are part of the generated history: `last_modified_at` and change times are not moved.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

EPOCH = datetime(2025, 6, 30, 12, 0, 0, tzinfo=UTC)  # "now" for the generated history
DOMAIN = "acme.example"
MIN_EMPLOYEES, MAX_EMPLOYEES = 10, 50_000


@dataclass
class Department:
    id: int
    name: str
    parent_id: int | None
    abbreviation: str
    description: str


@dataclass
class Employee:
    id: int
    values: dict[str, Any]  # attribute key -> stored value (dates as date, relations as ids)
    created_at: datetime
    last_modified_at: datetime
    changed: dict[str, datetime] = field(default_factory=dict)  # attribute key -> last change


@dataclass
class Org:
    departments: dict[int, Department]
    offices: dict[int, str]
    teams: dict[int, str]
    subcompanies: dict[int, str]
    cost_centers: dict[int, str]
    employees: list[Employee]
    planted: dict[str, list[int]] = field(default_factory=dict)  # realistic only: kind -> ids (see above)


# (display, ascii) pairs; the ascii form builds the email address.
FIRST_NAMES = [
    ("Anna", "anna"),
    ("Jürgen", "juergen"),
    ("Łukasz", "lukasz"),
    ("Zoë", "zoe"),
    ("Søren", "soeren"),
    ("Chloé", "chloe"),
    ("Małgorzata", "malgorzata"),
    ("Björn", "bjoern"),
    ("José", "jose"),
    ("Renée", "renee"),
    ("Mehmet", "mehmet"),
    ("Ayşe", "ayse"),
    ("伟", "wei"),
    ("秀英", "xiuying"),
    ("Thị Minh Anh", "minhanh"),
    ("Quốc Bảo", "quocbao"),
    ("Olivia", "olivia"),
    ("Noah", "noah"),
    ("Fatima", "fatima"),
    ("Liam", "liam"),
    ("Emma", "emma"),
    ("Håkon", "haakon"),
    ("Paweł", "pawel"),
    ("Ingrid", "ingrid"),
    ("Matthäus", "matthaeus"),
    ("Élodie", "elodie"),
    ("Kateřina", "katerina"),
    ("Sven", "sven"),
    ("Priya", "priya"),
    ("Kenji", "kenji"),
    ("Amélie", "amelie"),
    ("Grzegorz", "grzegorz"),
]
LAST_NAMES = [
    ("Müller", "mueller"),
    ("Schäfer", "schaefer"),
    ("Wróblewski", "wroblewski"),
    ("Łęcka", "lecka"),
    ("Nguyễn", "nguyen"),
    ("Trần", "tran"),
    ("王", "wang"),
    ("李", "li"),
    ("Jørgensen", "joergensen"),
    ("Dubois", "dubois"),
    ("Lefèvre", "lefevre"),
    ("García", "garcia"),
    ("Öztürk", "oeztuerk"),
    ("Smith", "smith"),
    ("O'Brien", "obrien"),
    ("Bergmann", "bergmann"),
    ("Novák", "novak"),
    ("Kowalska", "kowalska"),
    ("Håland", "haaland"),
    ("Fischer", "fischer"),
    ("Weiß", "weiss"),
    ("Sørensen", "soerensen"),
    ("Martínez", "martinez"),
    ("Phạm", "pham"),
    ("Schmidt-Lüders", "schmidtlueders"),
    ("van der Berg", "vanderberg"),
    ("Tanaka", "tanaka"),
    ("Patel", "patel"),
    ("Zieliński", "zielinski"),
]
DEPARTMENT_NAMES = [
    "Engineering",
    "Sales & Marketing",
    "Operations",
    "People & Culture",
    "Finance",
    "Customer Support",
    "Product",
    "Platform",
    "Data & Analytics",
    "Legal",
    "Design",
    "Security",
    "Infrastructure",
    "Customer Success",
    "Partnerships",
    "Procurement",
    "Facilities",
    "Quality Assurance",
    "Research",
    "Growth",
    "Mobile",
    "Payments",
    "Internal Tools",
    "Field Sales",
    "Inside Sales",
    "Recruiting",
    "Learning & Development",
    "Controlling",
    "Accounting",
    "Communications",
]
REGIONS = ["DACH", "Nordics", "Poland", "France", "Iberia", "UK", "Benelux", "APAC", "Americas", "Vietnam"]
OFFICES = ["Berlin", "München", "Kraków", "København", "Lisboa", "Hà Nội", "Remote"]
SUBCOMPANIES = ["Acme GmbH", "Acme Sp. z o.o.", "Acme ApS"]
TEAM_WORDS = ["Falcon", "Otter", "Kestrel", "Lynx", "Heron", "Badger", "Orca", "Ibis", "Wolf", "Puma"]
POSITIONS = [
    "Software Engineer",
    "Senior Software Engineer",
    "Account Executive",
    "Customer Support Specialist",
    "Product Manager",
    "Data Analyst",
    "Designer",
    "Recruiter",
    "Accountant",
    "Office Manager",
    "Operations Associate",
    "Security Engineer",
    "Team Lead",
]
TITLES = [None, None, None, None, "Dr", "Prof. Dr", "Mag."]
TERMINATION_TYPES = ["resignation", "dismissal", "contract_expired", "mutual_agreement"]
TERMINATION_REASONS = ["Relocation", "New job", "Restructuring", "End of fixed term", None]
SHIRTS = ["XS", "S", "M", "L", "XL", "XXL"]
LANGUAGES = ["English", "German", "French", "Spanish", "Polish", "Vietnamese", "Mandarin", "Danish"]


def _department_names(count: int, rng: random.Random) -> list[str]:
    names = list(DEPARTMENT_NAMES)
    regional = [f"{base} {region}" for region in REGIONS for base in DEPARTMENT_NAMES]
    rng.shuffle(regional)
    names += regional
    number = 2
    while len(names) < count:
        names += [f"{base} {number}" for base in DEPARTMENT_NAMES]
        number += 1
    return names[:count]


def _abbreviation(name: str) -> str:
    letters = "".join(word[0] for word in name.replace("&", " ").split() if word[0].isalnum())
    return letters.upper()[:6]


def _make_email(first: str, last: str, used: dict[str, int], rng: random.Random) -> str:
    style = rng.random()
    if style < 0.55:
        local = f"{first}.{last}"
    elif style < 0.8:
        local = f"{first.capitalize()}.{last.capitalize()}"
    elif style < 0.9:
        local = f"{first[0]}{last}"
    else:
        local = f"{first.upper()}.{last.capitalize()}"
    # numbered suffixes never collide with a bare local part: no name ends in a digit
    number = used.get(local.lower(), 0) + 1
    used[local.lower()] = number
    candidate = local if number == 1 else f"{local}{number}"
    return f"{candidate}@{DOMAIN}"


def _status(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.84:
        return "active"
    if roll < 0.90:
        return "leave"
    if roll < 0.94:
        return "onboarding"
    return "inactive"


def generate(size: int, seed: int = 1, realistic: bool = False) -> Org:
    """Build the company; `size` is the number of employees (10..50,000); `realistic` plants awkward cases."""
    if not MIN_EMPLOYEES <= size <= MAX_EMPLOYEES:
        raise ValueError(f"size must be {MIN_EMPLOYEES}..{MAX_EMPLOYEES}, got {size}")
    rng = random.Random(f"personio-org-{size}-{seed}")

    dept_count = max(3, round(size / 25))
    dept_ids = sorted(rng.sample(range(100_000, 999_999), dept_count))
    departments: dict[int, Department] = {}
    top_level = max(1, min(8, dept_count // 6))
    for index, (dept_id, name) in enumerate(zip(dept_ids, _department_names(dept_count, rng), strict=True)):
        parent = None if index < top_level else dept_ids[rng.randrange(min(index, top_level * 4))]
        departments[dept_id] = Department(dept_id, name, parent, _abbreviation(name), f"The {name} department")

    offices = {10_000 + 7 * i: name for i, name in enumerate(OFFICES)}
    subcompanies = {40 + i: name for i, name in enumerate(SUBCOMPANIES)}
    team_count = max(2, size // 12)
    teams = {
        50_000 + 3 * i: f"T_{TEAM_WORDS[i % len(TEAM_WORDS)]}{'' if i < len(TEAM_WORDS) else i // len(TEAM_WORDS)}"
        for i in range(team_count)
    }
    cost_centers = {80_000 + i: f"CC {1000 + i * 10}" for i in range(max(4, dept_count // 4))}

    office_ids, team_ids, subcompany_ids = list(offices), list(teams), list(subcompanies)
    cost_center_ids = list(cost_centers)
    value_keys: list[str] = []
    ids = sorted(rng.sample(range(1_000, 1_000 + size * 20), size))
    slots = list(range(size))
    rng.shuffle(slots)  # slot order = tree order; id order differs
    used_emails: dict[str, int] = {}
    employees: list[Employee] = []
    dept_list = list(departments)
    heads: dict[int, int] = {}  # department -> head employee id
    leads: dict[int, list[int]] = {}  # department -> employees who may supervise
    members_by_dept: dict[int, int] = {}

    for order in range(size):
        emp_id = ids[slots[order]]
        # the first employees head the departments in order; the rest fill them at random
        dept_id = dept_list[order] if order < dept_count else rng.choice(dept_list)
        status = "active" if order < dept_count else _status(rng)
        if order == 0:
            supervisor = None
        elif dept_id not in heads:
            parent = departments[dept_id].parent_id
            supervisor = heads.get(parent, ids[slots[0]]) if parent else ids[slots[0]]
        elif rng.random() < 0.08:  # near the department: the head of the parent department
            parent = departments[dept_id].parent_id
            supervisor = heads.get(parent, heads[dept_id]) if parent else heads[dept_id]
        else:
            supervisor = rng.choice(leads[dept_id])
        if dept_id not in heads:
            heads[dept_id] = emp_id
            leads[dept_id] = [emp_id]
        elif status == "active" and len(leads[dept_id]) < 4 and members_by_dept.get(dept_id, 0) % 9 == 8:
            leads[dept_id].append(emp_id)
        members_by_dept[dept_id] = members_by_dept.get(dept_id, 0) + 1

        first, first_ascii = rng.choice(FIRST_NAMES)
        last, last_ascii = rng.choice(LAST_NAMES)
        hire = EPOCH.date() - timedelta(days=rng.randint(30, 3650))
        if status == "onboarding":
            hire = EPOCH.date() + timedelta(days=rng.randint(5, 90))
        created = datetime.combine(
            min(hire, EPOCH.date()) - timedelta(days=rng.randint(5, 60)), datetime.min.time(), UTC
        ) + timedelta(seconds=rng.randint(28_800, 64_800))
        span = int((EPOCH - created).total_seconds())
        modified = created + timedelta(seconds=rng.randint(span // 3, span))
        termination: date | None = None
        if status == "inactive":
            termination = min(EPOCH.date() - timedelta(days=rng.randint(1, 400)), EPOCH.date())
            termination = max(termination, hire + timedelta(days=30))
        values: dict[str, Any] = {
            "first_name": first,
            "last_name": last,
            "preferred_name": f"{first} {last}" if rng.random() < 0.7 else None,
            "email": _make_email(first_ascii, last_ascii, used_emails, rng),
            "gender": rng.choice(["male", "female", "diverse"]),
            "status": status,
            "position": rng.choice(POSITIONS) if order >= dept_count else "Head of " + departments[dept_id].name,
            "supervisor": supervisor,
            "employment_type": "internal" if rng.random() < 0.93 else "external",
            "weekly_working_hours": rng.choice(["40", "40", "40", "32", "20"]),
            "hire_date": hire,
            "contract_end_date": hire + timedelta(days=730) if rng.random() < 0.1 else None,
            "termination_date": termination,
            "termination_type": rng.choice(TERMINATION_TYPES) if termination else None,
            "termination_reason": rng.choice(TERMINATION_REASONS) if termination else None,
            "last_working_day": termination - timedelta(days=rng.randint(0, 14)) if termination else None,
            "probation_period_end": hire + timedelta(days=180),
            "subcompany": rng.choice(subcompany_ids),
            "office": rng.choice(office_ids),
            "department": dept_id,
            "cost_centers": _cost_centers(rng, cost_center_ids),
            "team": rng.choice(team_ids) if rng.random() < 0.75 else None,
            "dynamic_21827": f"DE{rng.randint(10, 99)} {rng.randint(1000, 9999)} {rng.randint(1000, 9999)} 00"
            if rng.random() < 0.8
            else None,
            "dynamic_180883": date(rng.randint(1960, 2003), rng.randint(1, 12), rng.randint(1, 28)),
            "dynamic_33400": hire + timedelta(days=365) if rng.random() < 0.5 else None,
            "dynamic_24407": rng.choice(TITLES),
            "dynamic_40112": round(rng.choice([0.5, 1.0, 1.0, 1.25, 1.5, 2.0]), 2),
            "dynamic_40113": json.dumps(sorted(rng.sample(LANGUAGES, rng.randint(1, 3)))),
            "dynamic_40114": rng.choice(SHIRTS),
            "dynamic_40115": f"@{first_ascii}.{last_ascii}" if rng.random() < 0.6 else None,
        }
        changed = dict.fromkeys(values, created)
        value_keys = value_keys or sorted(values)
        for key in rng.sample(value_keys, rng.randint(1, 2)):
            changed[key] = modified
        employees.append(Employee(emp_id, values, created, modified, changed))

    employees.sort(key=lambda e: e.id)
    org = Org(departments, offices, teams, subcompanies, cost_centers, employees)
    if realistic:
        org.planted = _plant(org, size, seed)
    return org


def _cost_centers(rng: random.Random, ids: list[int]) -> list[dict[str, Any]]:
    roll = rng.random()
    if roll < 0.15:
        return []
    if roll < 0.85:
        return [{"id": rng.choice(ids), "percentage": 100}]
    first, second = rng.sample(ids, 2)
    return [{"id": first, "percentage": 60}, {"id": second, "percentage": 40}]


# -- realistic data (see the module docstring) ----------------------------------------------------
FOREIGN_DOMAIN = "contractor.example"
# (first, first ascii, last, last ascii): Arabic and Hebrew names, written right to left
RTL_NAMES = [
    ("محمد", "mohammed", "العلي", "alali"),
    ("נועה", "noa", "כהן", "cohen"),
    ("فاطمة", "fatima", "حداد", "haddad"),
    ("יוסף", "yosef", "לוי", "levi"),
    ("ليلى", "layla", "منصور", "mansour"),
    ("אביגיל", "avigail", "מזרחי", "mizrahi"),
]
# Compound family names of this length do reach HR systems; 310 characters.
LONG_LAST_NAME = (
    "Wolfeschlegelsteinhausenbergerdorff-Welchevoralternwarengewissenhaftschaferswessenschafewaren"
    "wohlgepflegeundsorgfaltigkeitbeschutzenvonangreifendurchihrraubgierigfeindewelchevoralternzwolf"
    "tausendjahresvorandieerscheinenvanderersteerdemenschderraumschiffgebrauchlichtalsseinursprung"
    "vonkraftgestartseinlangefahrt"
)
PLANTED_KINDS = (
    "no_email",
    "shared_email",
    "foreign_domain",
    "inactive_supervisor",
    "supervision_cycle",
    "long_name",
    "rtl_name",
    "unnamed_department",
)


def _plant(org: Org, size: int, seed: int) -> dict[str, list[int]]:
    """Plant the realistic cases into a generated company; a separate stream keeps the rest unchanged."""
    rng = random.Random(f"personio-realistic-{size}-{seed}")
    per_kind = max(1, round(size / 100))
    bosses = {e.values["supervisor"] for e in org.employees if e.values["supervisor"] is not None}
    pool = [e for e in org.employees if e.values["status"] == "active" and e.id not in bosses]
    rng.shuffle(pool)
    inactive = [e for e in org.employees if e.values["status"] == "inactive"]
    emails = {str(e.values["email"]).lower() for e in org.employees}
    planted: dict[str, list[int]] = {kind: [] for kind in PLANTED_KINDS}

    def take(count: int = 1) -> list[Employee] | None:
        """The next `count` unplanted active leaves, or None when too few are left."""
        if len(pool) < count:
            return None
        return [pool.pop() for _ in range(count)]

    for _ in range(per_kind):
        if (picked := take()) is None:
            break
        picked[0].values["email"] = None
        planted["no_email"].append(picked[0].id)
    for index in range(per_kind):
        if (pair := take(2)) is None:
            break
        first, second = pair
        shared = str(first.values["email"])
        second.values["email"] = shared if index % 2 == 0 else shared.upper()
        planted["shared_email"] += [first.id, second.id]
    for _ in range(per_kind):
        if (picked := take()) is None:
            break
        local = str(picked[0].values["email"]).split("@", 1)[0]
        picked[0].values["email"] = f"{local}@{FOREIGN_DOMAIN}"
        planted["foreign_domain"].append(picked[0].id)
    for _ in range(per_kind):
        if (picked := take()) is None:
            break
        if inactive:
            boss = rng.choice(inactive)
        elif (spare := take()) is not None:
            boss = spare[0]
            _make_inactive(boss, rng)
            inactive.append(boss)
        else:
            pool.append(picked[0])
            break
        picked[0].values["supervisor"] = boss.id
        planted["inactive_supervisor"].append(picked[0].id)
    for _ in range(per_kind):
        if (pair := take(2)) is None:
            break
        first, second = pair
        first.values["supervisor"], second.values["supervisor"] = second.id, first.id
        planted["supervision_cycle"] += [first.id, second.id]
    for _ in range(per_kind):
        if (picked := take()) is None:
            break
        _rename(picked[0], str(picked[0].values["first_name"]), LONG_LAST_NAME)
        planted["long_name"].append(picked[0].id)
    for index in range(per_kind):
        if (picked := take()) is None:
            break
        given, given_ascii, family, family_ascii = RTL_NAMES[index % len(RTL_NAMES)]
        _rename(picked[0], given, family)
        local, number = f"{given_ascii}.{family_ascii}", 1
        while f"{local}{number if number > 1 else ''}@{DOMAIN}" in emails:
            number += 1
        email = f"{local}{number if number > 1 else ''}@{DOMAIN}"
        emails.add(email)
        picked[0].values["email"] = email
        planted["rtl_name"].append(picked[0].id)
    staffed = sorted({e.values["department"] for e in org.employees})
    nested = [d for d in staffed if org.departments[d].parent_id is not None] or staffed
    if nested:
        department = org.departments[rng.choice(nested)]
        department.name = department.abbreviation = department.description = ""
        planted["unnamed_department"].append(department.id)
    return planted


def _rename(person: Employee, first: str, last: str) -> None:
    person.values["first_name"], person.values["last_name"] = first, last
    if person.values["preferred_name"] is not None:
        person.values["preferred_name"] = f"{first} {last}"


def _make_inactive(person: Employee, rng: random.Random) -> None:
    """Terminate an employee the way the generator does for its inactive ones."""
    hire: date = person.values["hire_date"]
    termination = max(EPOCH.date() - timedelta(days=rng.randint(1, 400)), hire + timedelta(days=30))
    termination = min(termination, EPOCH.date())
    person.values.update(
        {
            "status": "inactive",
            "termination_date": termination,
            "termination_type": rng.choice(TERMINATION_TYPES),
            "termination_reason": rng.choice(TERMINATION_REASONS),
            "last_working_day": termination,
        }
    )
