"""Declared rules: each kind holds on good data and names the line and field on bad data."""

from __future__ import annotations

import json
from pathlib import Path

from opendata_jz import validate


def package(tmp_path: Path, rules: list[dict], rows: str) -> Path:
    (tmp_path / "m.csv").write_text("id,parent,lo,hi,unit,kind\n" + rows, encoding="utf-8")
    (tmp_path / "k.csv").write_text("id,unit\na,家\nb,件\n", encoding="utf-8")
    string = {"type": "string"}
    descriptor = {
        "name": "r",
        "opendata_jz": {"rules": rules},
        "resources": [
            {
                "name": "m",
                "path": "m.csv",
                "schema": {
                    "fields": [
                        {"name": "id", **string},
                        {"name": "parent", **string},
                        {"name": "lo", "type": "integer"},
                        {"name": "hi", "type": "integer"},
                        {"name": "unit", **string},
                        {"name": "kind", **string},
                    ]
                },
            },
            {
                "name": "k",
                "path": "k.csv",
                "schema": {"fields": [{"name": "id", **string}, {"name": "unit", **string}]},
            },
        ],
    }
    (tmp_path / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    return tmp_path


def found(tmp_path: Path, rules: list[dict], rows: str) -> set[tuple]:
    return {(i.line, i.field, i.code) for i in validate(package(tmp_path, rules, rows)).issues}


def test_ordered(tmp_path: Path) -> None:
    """`ordered` fails where the first field is not below the second."""
    rule = {
        "name": "lo-below-hi",
        "kind": "ordered",
        "resource": "m",
        "fields": ["lo", "hi"],
        "reason": "ranges run upwards.",
    }
    assert found(tmp_path, [rule], "1,,1,2,家,a\n2,,3,3,家,a\n3,,,3,家,a\n") == {
        (3, "lo", "lo-below-hi")
    }
    rule["orEqual"] = True
    assert found(tmp_path, [rule], "1,,1,2,家,a\n2,,3,3,家,a\n") == set()


def test_together(tmp_path: Path) -> None:
    """`together` fails where some but not all fields are filled."""
    rule = {
        "name": "both",
        "kind": "together",
        "resource": "m",
        "fields": ["lo", "hi"],
        "reason": "a range has two ends.",
    }
    assert found(tmp_path, [rule], "1,,1,2,家,a\n2,,,,家,a\n3,,1,,家,a\n") == {(4, "lo", "both")}


def test_matches_reference(tmp_path: Path) -> None:
    """`matches-reference` fails where a field differs from the referenced row's field."""
    rule = {
        "name": "unit-of-kind",
        "kind": "matches-reference",
        "resource": "m",
        "field": "unit",
        "via": "kind",
        "reference": "k",
        "referenceField": "unit",
        "reason": "each kind has one unit.",
    }
    assert found(tmp_path, [rule], "1,,1,2,家,a\n2,,1,2,家,b\n3,,1,2,件,b\n") == {
        (3, "unit", "unit-of-kind")
    }


def test_acyclic(tmp_path: Path) -> None:
    """`acyclic` fails on every row of a loop, not on rows that only lead into it."""
    rule = {
        "name": "no-loop",
        "kind": "acyclic",
        "resource": "m",
        "field": "parent",
        "reason": "a part cannot contain itself.",
    }
    rows = "1,,1,2,家,a\n2,1,1,2,家,a\n3,4,1,2,家,a\n4,3,1,2,家,a\n"
    assert found(tmp_path, [rule], rows) == {(4, "parent", "no-loop"), (5, "parent", "no-loop")}


def test_message_names_the_values(tmp_path: Path) -> None:
    """A failed rule's message shows the values and the declared reason."""
    rule = {
        "name": "lo-below-hi",
        "kind": "ordered",
        "resource": "m",
        "fields": ["lo", "hi"],
        "reason": "ranges run upwards.",
    }
    report = validate(package(tmp_path, [rule], "1,,5,2,家,a\n"))
    assert report.issues[0].message == "lo (5) must be less than hi (2): ranges run upwards."


def test_malformed_declaration_is_an_issue(tmp_path: Path) -> None:
    """A rule of an unknown kind makes the declaration invalid, reported on the descriptor."""
    rule = {"name": "x", "kind": "sorted", "resource": "m", "reason": "?"}
    report = validate(package(tmp_path, [rule], "1,,1,2,家,a\n"))
    assert [(i.path, i.code) for i in report.issues] == [("datapackage.json", "extension-invalid")]
