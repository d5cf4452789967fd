"""Derive the committed contract files in `contracts/` from the official OpenAPI documents in `../shared`.

    python -m contracts.derive [--shared PATH] [--check]

Each contract is a minimal OpenAPI document that openapi-core loads unchanged. It keeps, from its source:

- the `openapi` version, the `servers` and the top-level `security`;
- only the operations listed in `CONTRACTS` (with their path-level parameters), plus the components
  those operations reach through `$ref` (references stay internal: `#/components/...`), plus any
  schema listed there because a test reads it directly, plus the security schemes named by `security`;
- every validating keyword: types, formats, enums, required lists, nullable, composition, defaults,
  patterns and limits, parameters, request bodies and responses.

It drops all prose and presentation: `description`, `summary`, `title`, `example`, `examples`,
`externalDocs`, `tags` and every `x-` extension, wherever they are keywords (a *property* named
`title` or `description` is kept). `info` is replaced by a generated title and the source's version;
a response's mandatory `description` becomes the empty string. Status codes are strings.

Output is JSON with sorted keys, two-space indentation and a final newline, so deriving twice gives
byte-identical files. `--check` writes nothing and exits 1 if a committed file differs from what the
sources give now (the same comparison `tests/sandbox/test_contracts_drift.py` makes).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

CONTRACTS_DIR = Path(__file__).resolve().parent
DEFAULT_SHARED = CONTRACTS_DIR.parents[1] / "shared"  # the folder beside the repository checkout

HTTP_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})
# Keywords with no effect on validation, dropped wherever they are keywords (x- extensions too).
PROSE = frozenset({"description", "summary", "title", "example", "examples", "externalDocs", "tags"})
# Keywords whose value is data, not OpenAPI structure: copied verbatim.
LITERAL = frozenset({"enum", "const", "default", "security", "mapping"})
# Keywords whose value maps free-form names (property names, paths, status codes, media types,
# component names) to objects: the names are kept whatever they are, the objects are cleaned.
NAME_MAPS = frozenset(
    {
        "paths",
        "properties",
        "patternProperties",
        "definitions",
        "$defs",
        "dependentSchemas",
        "responses",
        "content",
        "headers",
        "encoding",
        "links",
        "callbacks",
        "variables",
        "schemas",
        "parameters",
        "requestBodies",
        "securitySchemes",
        "pathItems",
    }
)


@dataclass(frozen=True)
class Contract:
    """One committed contract file and what it keeps from its source document."""

    file: str  # file name in contracts/
    source: str  # path of the official document, relative to the shared folder
    operations: tuple[tuple[str, str], ...]  # (path, method) pairs the tests validate against
    schemas: tuple[str, ...] = ()  # component schemas the tests read directly


CONTRACTS: tuple[Contract, ...] = (
    Contract(
        file="leapsome-scim.json",
        source="leapsome-openapi/leapsome-scim-api-openapi.yml",
        operations=(
            ("/Users", "get"),
            ("/Users", "post"),
            ("/Users/{userId}", "get"),
            ("/Users/{userId}", "put"),
            ("/Users/{userId}", "patch"),
            ("/Groups", "get"),
            ("/Groups", "post"),
            ("/Groups/{groupId}", "get"),
            ("/Groups/{groupId}", "patch"),
            ("/ServiceProviderConfig", "get"),
        ),
    ),
    Contract(
        file="leapsome-content.json",
        source="leapsome-openapi/leapsome-content-api-openapi.yml",
        operations=(
            ("/token", "get"),
            ("/employees", "get"),
        ),
    ),
    Contract(
        file="personio-v1-auth.json",
        source="personio-openapi/personio-api-docs/personio-auth-api.yaml",
        operations=(("/auth", "post"),),
    ),
    Contract(
        file="personio-v1-personnel-data.json",
        source="personio-openapi/personio-api-docs/personio-personnel-data-api-oa3.yaml",
        operations=(
            ("/company/employees", "get"),
            ("/company/employees/{employee_id}", "get"),
            ("/company/employees/attributes", "get"),
        ),
        schemas=("ErrorResponse", "Team", "TypeEnum"),
    ),
    Contract(
        file="personio-v2-auth.json",
        source="personio-openapi/unofficial-v2-planet-a-ventures/auth.yaml",
        operations=(("/auth/token", "post"),),
    ),
    Contract(
        file="personio-v2-common-components.json",
        source="personio-openapi/personio-api-docs/common-components-v2.json",
        operations=(),
        schemas=("ErrorResponse", "MetaObject"),
    ),
)


class _SpecLoader(yaml.SafeLoader):
    """Safe YAML loading that leaves date-like scalars as strings, as JSON (and openapi-core) would."""


_SpecLoader.yaml_implicit_resolvers = {
    first: [(tag, regex) for tag, regex in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load(path: Path) -> dict[str, Any]:
    """Read one official document (YAML or JSON)."""
    text = path.read_text(encoding="utf-8")
    document = json.loads(text) if path.suffix == ".json" else yaml.load(text, Loader=_SpecLoader)  # noqa: S506
    if not isinstance(document, dict):
        raise ValueError(f"{path} is not an OpenAPI document")
    return document


def strip(node: Any, names: bool = False) -> Any:
    """Drop prose keywords from `node`; with `names`, `node`'s keys are names, not keywords."""
    if isinstance(node, list):
        return [strip(item) for item in node]
    if not isinstance(node, dict):
        return node
    if names:
        return {str(key): strip(value) for key, value in node.items()}
    cleaned: dict[str, Any] = {}
    for raw_key, value in node.items():
        key = str(raw_key)
        if key in PROSE or key.startswith("x-"):
            continue
        if key in LITERAL:
            cleaned[key] = value
        elif key in NAME_MAPS and isinstance(value, dict):
            cleaned[key] = strip(value, names=True)
        else:
            cleaned[key] = strip(value)
    if isinstance(cleaned.get("responses"), dict):  # a Response Object must have a description
        for response in cleaned["responses"].values():
            if isinstance(response, dict) and "$ref" not in response:
                response["description"] = ""
    return cleaned


def references(node: Any) -> Iterator[tuple[str, str]]:
    """Every `(section, name)` of `#/components/<section>/<name>...` referenced inside `node`."""
    if isinstance(node, list):
        for item in node:
            yield from references(item)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                parts = [part.replace("~1", "/").replace("~0", "~") for part in value.split("/")]
                if len(parts) < 4 or parts[:2] != ["#", "components"]:
                    raise ValueError(f"unsupported reference {value!r}: only #/components/... is kept")
                yield parts[2], parts[3]
            else:
                yield from references(value)


def scheme_names(requirements: Any) -> Iterator[str]:
    """The security scheme names a `security` list names."""
    for requirement in requirements or []:
        yield from requirement


def check_json(node: Any, where: str = "") -> None:
    """Fail on any value JSON cannot carry unchanged (so the output is exactly the source's data)."""
    if isinstance(node, dict):
        for key, value in node.items():
            check_json(value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            check_json(value, f"{where}/{index}")
    elif node is not None and not isinstance(node, str | int | float | bool):
        raise TypeError(f"{type(node).__name__} at {where or '/'} has no JSON form")


def derive(contract: Contract, shared: Path) -> dict[str, Any]:
    """The contract document for `contract`, from its source under `shared`."""
    source = strip(load(shared / contract.source))
    paths: dict[str, dict[str, Any]] = {}
    for path, method in contract.operations:
        item = source["paths"][path]
        kept = paths.setdefault(path, {key: value for key, value in item.items() if key not in HTTP_METHODS})
        kept[method] = item[method]

    pending = [*references(paths), *(("schemas", name) for name in contract.schemas)]
    pending += [("securitySchemes", name) for name in scheme_names(source.get("security"))]
    for item in paths.values():
        for method in HTTP_METHODS & item.keys():
            pending += [("securitySchemes", name) for name in scheme_names(item[method].get("security"))]
    components: dict[str, dict[str, Any]] = {}
    while pending:
        section, name = pending.pop()
        if name in components.get(section, {}):
            continue
        component = source["components"][section][name]
        components.setdefault(section, {})[name] = component
        pending.extend(references(component))

    document: dict[str, Any] = {
        "openapi": source["openapi"],
        "info": {"title": f"{Path(contract.file).stem} contract", "version": str(source["info"]["version"])},
        "x-derived-from": contract.source,
        "paths": paths,
    }
    for key in ("servers", "security"):
        if key in source:
            document[key] = source[key]
    if components:
        document["components"] = components
    check_json(document)
    return document


def render(document: dict[str, Any]) -> str:
    """The canonical text of a contract: sorted keys, fixed indentation, final newline."""
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def derive_all(shared: Path) -> dict[str, str]:
    """File name -> canonical text, for every contract."""
    return {contract.file: render(derive(contract, shared)) for contract in CONTRACTS}


def main(argv: Sequence[str] | None = None) -> int:
    """Write the contracts, or with `--check` report the ones that differ from their sources."""
    parser = argparse.ArgumentParser(prog="python -m contracts.derive", description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED, help="folder holding the official specs")
    parser.add_argument("--check", action="store_true", help="compare with the committed files; write nothing")
    args = parser.parse_args(argv)
    shared: Path = args.shared
    if not shared.is_dir():
        parser.error(f"no shared folder at {shared}")
    derived = derive_all(shared)
    if args.check:
        stale = [
            name
            for name, text in derived.items()
            if not (CONTRACTS_DIR / name).exists() or (CONTRACTS_DIR / name).read_text(encoding="utf-8") != text
        ]
        for name in stale:
            print(f"contracts/{name} differs from {shared}: run python -m contracts.derive", file=sys.stderr)
        return 1 if stale else 0
    for name, text in derived.items():
        (CONTRACTS_DIR / name).write_text(text, encoding="utf-8")
        print(f"wrote contracts/{name} ({len(text)} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
