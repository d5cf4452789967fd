"""Who the sync is for: the `scope` setting, Entra-style include and exclude rules on any employee field.

A rule is a list of clauses that must all hold (AND); an employee is in scope when no include rule is
given or one of them holds (OR), and no exclude rule holds. A clause names a field like a mapping source
(`department.name`, `subcompany.name`, `employment_type`, `custom:Contract type`) and one test: `equals`
a value, is `in` a list, or is `present` (true or false). Values compare as text, exactly.

An employee out of scope gets no user; a synced user whose employee left the scope is deactivated (or,
with `out_of_scope: leave`, left as it is). Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from target_leapsome.mapping import as_text, is_source, resolve

OUT_OF_SCOPE = ("deactivate", "leave")


@dataclass(frozen=True)
class Clause:
    field: str
    equals: str | None = None
    one_of: tuple[str, ...] | None = None
    present: bool | None = None

    def holds(self, record: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
        known, raw = resolve(record, self.field, labels)
        value = as_text(raw) if known else None
        if self.present is not None:
            return (value is not None) == self.present
        if self.one_of is not None:
            return value in self.one_of
        return value == self.equals

    def __str__(self) -> str:
        if self.present is not None:
            return f"{self.field} {'is present' if self.present else 'is empty'}"
        if self.one_of is not None:
            return f"{self.field} in {list(self.one_of)}"
        return f"{self.field} = {self.equals!r}"


Rule = tuple[Clause, ...]


@dataclass(frozen=True)
class Scope:
    include: tuple[Rule, ...] = ()
    exclude: tuple[Rule, ...] = ()
    out_of_scope: str = "deactivate"

    @property
    def record_keys(self) -> frozenset[str]:
        """The `employees` fields the rules read (they must reach the target and be allowed in Personio)."""
        clauses = [c for rule in (*self.include, *self.exclude) for c in rule]
        return frozenset(
            "custom_attributes" if c.field.startswith("custom:") else c.field.split(".")[0] for c in clauses
        )

    def unknown_field(self, record: Mapping[str, Any], labels: Mapping[str, str]) -> str | None:
        """A field the rules read that the record does not carry (the credential may not read it): no decision."""
        for rule in (*self.include, *self.exclude):
            for clause in rule:
                if not resolve(record, clause.field, labels)[0]:
                    return clause.field
        return None

    def why_out(self, record: Mapping[str, Any], labels: Mapping[str, str]) -> str | None:
        """None when the employee is in scope, else the reason, in words a person can check."""
        for rule in self.exclude:
            if all(clause.holds(record, labels) for clause in rule):
                return f"out of scope: matches the exclude rule {_words(rule)}"
        if self.include and not any(all(c.holds(record, labels) for c in rule) for rule in self.include):
            return "out of scope: matches no include rule (" + "; or ".join(_words(r) for r in self.include) + ")"
        return None


def _words(rule: Rule) -> str:
    return " and ".join(str(clause) for clause in rule)


def parse_scope(raw: Any) -> Scope:
    """The setting's value, checked; raises ValueError naming what is wrong."""
    if raw is None:
        return Scope()
    if not isinstance(raw, Mapping):
        raise ValueError("must be an object with include, exclude and out_of_scope")
    unknown = set(raw) - {"include", "exclude", "out_of_scope"}
    if unknown:
        raise ValueError(f"unknown keys {sorted(unknown)} (known: include, exclude, out_of_scope)")
    out = raw.get("out_of_scope") or "deactivate"
    if out not in OUT_OF_SCOPE:
        raise ValueError(f"out_of_scope must be one of {list(OUT_OF_SCOPE)}")
    return Scope(_rules(raw.get("include"), "include"), _rules(raw.get("exclude"), "exclude"), str(out))


def _rules(raw: Any, name: str) -> tuple[Rule, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, Sequence) or isinstance(raw, str):
        raise ValueError(f"{name} must be a list of rules, each a list of clauses")
    rules = []
    for number, rule in enumerate(raw, 1):
        clauses = rule if isinstance(rule, Sequence) and not isinstance(rule, str | Mapping) else [rule]
        rules.append(tuple(_clause(c, f"{name} rule {number}") for c in clauses))
    return tuple(rules)


def _clause(raw: Any, where: str) -> Clause:
    if not isinstance(raw, Mapping) or not isinstance(raw.get("field"), str) or not is_source(raw["field"]):
        raise ValueError(f"{where}: each clause needs a field of the employees stream, e.g. 'department.name'")
    tests = [key for key in ("equals", "in", "present") if key in raw]
    if len(tests) != 1 or set(raw) - {"field", "equals", "in", "present"}:
        raise ValueError(f"{where}: a clause has a field and exactly one of equals, in, present")
    if "in" in raw:
        if not isinstance(raw["in"], list):
            raise ValueError(f"{where}: 'in' takes a list of values")
        return Clause(raw["field"], one_of=tuple(str(v) for v in raw["in"]))
    if "present" in raw:
        return Clause(raw["field"], present=bool(raw["present"]))
    return Clause(raw["field"], equals=str(raw["equals"]))
