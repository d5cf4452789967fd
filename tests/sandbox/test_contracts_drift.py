"""The committed contracts in `contracts/` are exactly what `python -m contracts.derive` gives today.

The spec tests validate against those contracts, so a fresh clone needs nothing outside the repository.
Where the official specs sit beside the checkout (`../shared`), this re-derives every contract and
compares it byte for byte with the committed file; elsewhere that comparison is skipped, saying why.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from contracts.derive import CONTRACTS, CONTRACTS_DIR, LITERAL, NAME_MAPS, PROSE, derive_all, render

SHARED = Path(__file__).resolve().parents[3] / "shared"


def test_contracts_match_the_official_specs():
    if not SHARED.is_dir():
        pytest.skip(f"no ../shared beside the repository ({SHARED}): cannot re-derive the contracts to compare")
    derived = derive_all(SHARED)
    committed = {path.name for path in CONTRACTS_DIR.glob("*.json")}
    assert committed == set(derived), "contracts/ holds files derive.py does not produce, or lacks some"
    stale = [name for name, text in derived.items() if (CONTRACTS_DIR / name).read_text(encoding="utf-8") != text]
    assert stale == [], f"{stale} differ from ../shared: run `.venv/bin/python -m contracts.derive` and commit"


def test_committed_contracts_are_canonical_and_carry_no_prose():
    """Runs everywhere: the files are in derive.py's own format, and no prose keyword slipped through."""

    def keywords(node, names=False):
        if isinstance(node, list):
            for item in node:
                yield from keywords(item)
        elif isinstance(node, dict):
            for key, value in node.items():
                if names:  # a property, path, status code or component name: never a keyword
                    yield from keywords(value)
                    continue
                yield key, value
                if key not in LITERAL:
                    yield from keywords(value, names=key in NAME_MAPS and isinstance(value, dict))

    for contract in CONTRACTS:
        text = (CONTRACTS_DIR / contract.file).read_text(encoding="utf-8")
        document = json.loads(text)
        assert render(document) == text, contract.file
        assert document.pop("x-derived-from") == contract.source
        assert set(document.pop("info")) == {"title", "version"}
        for key, value in keywords(document):
            assert key not in PROSE - {"description"}, (contract.file, key)
            assert not key.startswith("x-"), (contract.file, key)
            if key == "description":
                assert value == "", (contract.file, value)  # only the empty one a Response Object requires
