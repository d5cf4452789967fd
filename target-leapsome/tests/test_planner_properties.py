"""Property tests of the pure planner: its plan reaches the desired state, then planning again is empty.

Plans are applied by the real applier through the real `LeapsomeClient` to a real `LeapsomeSandbox`, in
process: one fresh sandbox per hypothesis example (from `leapsome_factory`, rate limit off; starting one
takes milliseconds, and the sandbox has no reset route), seeded by hand through its admin routes.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from target_leapsome.apply import apply_plan
from target_leapsome.client import LeapsomeClient
from target_leapsome.desired import Rules, build_desired
from target_leapsome.mapping import parse_mapping
from target_leapsome.planner import PlanOptions, plan_sync
from target_leapsome.reconcile import read_state
from target_leapsome.scope import parse_scope

from harness.admin import LeapsomeAdmin
from sandbox.leapsome import API_TOKEN

# the two ways an email that moves between employees in one run is deferred to the next run
EMAIL_MOVED = ("is the userName of Leapsome user", "that userName belongs to Leapsome user")
DEPARTMENT_NAMES = {1: "Engineering", 2: "Sales", 3: "People"}
# a hypothesis example is a handful of syncs against a fresh sandbox; these keep both tests within ~60 s
EXAMPLES, MAPPED_EXAMPLES = 60, 40
PROPERTY_SETTINGS = {
    "deadline": None,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
}


def sandbox(leapsome_factory) -> tuple[LeapsomeAdmin, LeapsomeClient]:
    """A fresh, empty Leapsome sandbox (rate limit off): its admin client and the target's own client."""
    server = leapsome_factory(empty=True, rate_limit=False, group_create_members="refused")
    client = LeapsomeClient(f"{server.url}/scim/v1", API_TOKEN, max_requests_per_second=0, max_retries=0)
    return LeapsomeAdmin(server.url), client


def record(eid, status, department, supervisor, email, first, position, preferred, level=None):  # noqa: PLR0917
    return {
        "custom_attributes": {"dynamic_10": level},  # null when empty in Personio
        "employment_type": "external" if eid % 3 == 0 else "internal",
        "id": eid,
        "email": email,
        "first_name": first,
        "last_name": f"L{eid}",
        "preferred_name": preferred,
        "status": status,
        "position": position,
        "hire_date": "2024-01-01",
        "termination_date": None,
        "department": {"id": department, "name": DEPARTMENT_NAMES[department]} if department else None,
        "office": {"id": 1, "name": "Berlin"},
        "supervisor": {"id": supervisor} if supervisor else None,
    }


def employees(max_id=12):
    return st.lists(
        st.builds(
            record,
            eid=st.integers(1, max_id),
            status=st.sampled_from(["active", "active", "leave", "inactive", "onboarding"]),
            department=st.sampled_from([1, 2, 3, None]),
            supervisor=st.one_of(st.none(), st.integers(1, max_id + 2)),
            email=st.sampled_from([None, "a@acme.example", "B@acme.example", "hand@acme.example"])
            | st.integers(1, 30).map(lambda n: f"p{n}@acme.example"),
            first=st.sampled_from(["Ann", "Bo", None]),
            position=st.sampled_from(["Eng", "Lead", None]),
            preferred=st.sampled_from([None, "Nick Name"]),
            level=st.sampled_from([None, "Senior", "Junior"]),
        ),
        max_size=14,
    )


steps = st.lists(st.tuples(employees(), st.booleans(), st.sampled_from([None, "Revenue"])), min_size=1, max_size=4)


def check(client, desired, options):
    state = read_state(client)
    replan = plan_sync(desired, state, options)
    assert replan.is_empty(), (replan.user_creates, replan.user_updates, replan.team_writes)
    names = [u.user_name.lower() for u in state.users]
    assert len(names) == len(set(names))
    by_ext = {u.external_id: u for u in state.users if u.managed}
    skipped = {s.subject for s in replan.skips}
    for employee in desired.employees.values():
        user = by_ext.get(employee.external_id)
        if employee.out_of_scope:
            if options.out_of_scope == "deactivate":  # with "leave", the user stays however it was
                assert user is None or not user.active
            continue
        if employee.status in options.statuses and not any(s.startswith(employee.label) for s in skipped):
            assert user is not None
            assert user.active
            assert user.user_name.lower() == employee.email
            assert user.title == (employee.title or user.title)
            for name, value in employee.attributes:
                if f"attr:{name}" not in employee.unknown and isinstance(value, str):
                    assert user.attribute(name) == value
            team_ids = {t.id for t in state.teams if t.department_id == employee.department_id}
            if employee.department_id is not None:
                assert user.group_ids & team_ids
        if employee.status == "inactive" and user is not None:
            assert not user.active
    if desired.complete:
        for ext, user in by_ext.items():
            if ext not in desired.employees and ext not in desired.unusable:
                assert not user.active
        for team in state.teams:
            if team.department_id is None:
                continue
            members = {u.id for u in state.users if team.id in u.group_ids}
            expected = {
                by_ext[e.external_id].id
                for e in desired.employees.values()
                if e.department_id == team.department_id
                and e.external_id in by_ext
                and by_ext[e.external_id].active
                and e.status in options.statuses
                and not e.out_of_scope
            }
            undecided = {by_ext[x].id for x in desired.unusable if x in by_ext}
            undecided |= {
                by_ext[e.external_id].id
                for e in desired.employees.values()
                if e.external_id in by_ext
                and (
                    e.status not in options.statuses | {"inactive"}
                    or (e.out_of_scope and options.out_of_scope == "leave")
                )
            }
            assert members - undecided == expected - undecided


@settings(max_examples=EXAMPLES, **PROPERTY_SETTINGS)
@given(steps)
def test_plan_reaches_desired_state_and_replanning_is_empty(leapsome_factory, sequence):
    admin, leapsome = sandbox(leapsome_factory)
    admin.create_user(userName="hand@acme.example", displayName="Hand Made")
    crm = admin.create_user(userName="other@acme.example", externalId="crm-9")
    admin.create_group(displayName="Sales")
    book_club = admin.create_group(displayName="Book Club", members=[crm["id"]])
    options = PlanOptions()
    for records, complete, rename in sequence:
        departments = [{"id": k, "name": v} for k, v in DEPARTMENT_NAMES.items()]
        if rename:
            departments[1] = {"id": 2, "name": rename}
        desired = build_desired(records, departments, options.statuses, complete=complete)
        plan = plan_sync(desired, read_state(leapsome), options)
        result = apply_plan(plan, leapsome, concurrency=2)  # the real applier, on the real sandbox
        assert result.failures == []
        if any(phrase in s.reason for s in plan.skips for phrase in EMAIL_MOVED):
            # an email that moves from one employee to another in the same run is only free after it
            # (the holder is renamed in the update phase); the next run completes it
            assert apply_plan(plan_sync(desired, read_state(leapsome), options), leapsome, 2).failures == []
        check(leapsome, desired, options)
    state = admin.state()
    users = {u["id"]: u for u in state["users"]}
    groups = {g["id"]: g for g in state["groups"]}
    assert set(groups[book_club["id"]]["members"]) == {crm["id"]}
    assert groups[book_club["id"]]["displayName"] == "Book Club"
    assert users[crm["id"]]["externalId"] == "crm-9"
    assert users[crm["id"]]["active"]


MAPPINGS = [
    None,
    {"level": {"source": "custom:dynamic_10", "values": {"Senior": "L3"}}, "employmentType": "employment_type"},
]
SCOPES = [
    None,
    {"include": [[{"field": "department.name", "equals": "Engineering"}], [{"field": "department", "present": False}]]},
    {"exclude": [[{"field": "custom:dynamic_10", "equals": "Junior"}]], "out_of_scope": "leave"},
]


@settings(max_examples=MAPPED_EXAMPLES, **PROPERTY_SETTINGS)
@given(steps, st.sampled_from(MAPPINGS), st.sampled_from(SCOPES))
def test_mapped_and_scoped_plans_reach_the_desired_state(leapsome_factory, sequence, mapping, scope):
    admin, leapsome = sandbox(leapsome_factory)
    admin.create_user(userName="hand@acme.example", displayName="Hand Made")
    rules = Rules(parse_mapping(mapping), parse_scope(scope))
    options = PlanOptions(out_of_scope=rules.scope.out_of_scope)
    for records, complete, _ in sequence:
        departments = [{"id": k, "name": v} for k, v in DEPARTMENT_NAMES.items()]
        desired = build_desired(records, departments, options.statuses, complete=complete, rules=rules)
        plan = plan_sync(desired, read_state(leapsome), options)
        assert apply_plan(plan, leapsome, concurrency=2).failures == []
        if any(phrase in s.reason for s in plan.skips for phrase in EMAIL_MOVED):
            assert apply_plan(plan_sync(desired, read_state(leapsome), options), leapsome, 2).failures == []
        check(leapsome, desired, options)
