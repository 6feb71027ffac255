"""Schemas derived from the descriptor fix what pandera's from_frictionless_schema gets wrong."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from opendata_jz import validate
from opendata_jz.package import open_package
from opendata_jz.schema import pandas_dtype, pandera_schema, read_typed


def make_package(tmp_path: Path, fields: list[dict], csv_text: str, **schema) -> Path:
    (tmp_path / "t.csv").write_text(csv_text, encoding="utf-8")
    descriptor = {
        "name": "t",
        "resources": [{"name": "t", "path": "t.csv", "schema": {"fields": fields, **schema}}],
    }
    (tmp_path / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    return tmp_path


def places(report) -> set[tuple]:
    return {(i.line, i.field, i.code) for i in report.issues}


def test_bad_date_fails_even_under_a_minimum(tmp_path: Path) -> None:
    """An impossible date is a type error, not a string that passes a date minimum."""
    fields = [{"name": "d", "type": "date", "constraints": {"minimum": "2020-01-01"}}]
    package = make_package(tmp_path, fields, "d\n2021-02-30\n2019-05-01\n2022-01-01\n")
    assert places(validate(package)) == {(2, "d", "type-error"), (3, "d", "constraint-error")}


def test_one_bad_number_does_not_mask_the_others(tmp_path: Path) -> None:
    """A cell that is not a number does not hide the negative numbers below it."""
    fields = [{"name": "v", "type": "number", "constraints": {"minimum": 0}}]
    package = make_package(tmp_path, fields, "v\nabc\n-1\n2\n-3\n")
    assert places(validate(package)) == {
        (2, "v", "type-error"),
        (3, "v", "constraint-error"),
        (5, "v", "constraint-error"),
    }


def test_na_is_a_string_and_missing_values_are_honoured(tmp_path: Path) -> None:
    """`NA` (Namibia) stays a value; only declared missing values count as empty."""
    fields = [
        {"name": "country", "type": "string", "constraints": {"required": True}},
        {"name": "n", "type": "integer"},
    ]
    package = make_package(tmp_path, fields, "country,n\nNA,1\nCN,-\n", missingValues=["", "-"])
    with open_package(package) as opened:
        frame = read_typed(opened, opened.resource("t"))
    assert frame["country"].tolist() == ["NA", "CN"]
    assert frame["n"].isna().tolist() == [False, True]
    assert frame["n"].dtype == "Int64"


def test_typed_columns_follow_the_schema(tmp_path: Path) -> None:
    """Dates are dates, integers nullable, enums categorical, strings strings."""
    fields = [
        {"name": "d", "type": "date"},
        {"name": "i", "type": "integer"},
        {"name": "k", "type": "string", "constraints": {"enum": ["a", "b"]}},
        {"name": "s", "type": "string"},
        {"name": "b", "type": "boolean"},
    ]
    package = make_package(tmp_path, fields, "d,i,k,s,b\n2023-01-02,,a,x,true\n")
    with open_package(package) as opened:
        frame = read_typed(opened, opened.resource("t"))
    assert str(frame["d"].dtype) == "date32[day][pyarrow]"
    assert frame["d"].iloc[0].isoformat() == "2023-01-02"
    assert frame["i"].dtype == "Int64" and frame["i"].isna().all()
    assert isinstance(frame["k"].dtype, pd.CategoricalDtype)
    assert list(frame["k"].dtype.categories) == ["a", "b"]
    assert frame["s"].dtype == "string" and frame["b"].dtype == "boolean"


def test_pandera_schema_states_every_constraint() -> None:
    """The derived pandera schema carries required, unique, enum, bounds, length and pattern."""
    resource = {
        "name": "r",
        "schema": {
            "fields": [
                {
                    "name": "id",
                    "type": "string",
                    "constraints": {
                        "required": True,
                        "unique": True,
                        "pattern": "m[0-9]+",
                        "maxLength": 4,
                    },
                },
                {"name": "v", "type": "number", "constraints": {"minimum": 0, "maximum": 9}},
            ]
        },
    }
    schema = pandera_schema(resource)
    identifier = schema.columns["id"]
    assert identifier.nullable is False and identifier.unique is True
    assert {c.name for c in identifier.checks} == {"pattern", "maxLength"}
    assert {c.name for c in schema.columns["v"].checks} == {"minimum", "maximum"}
    assert schema.columns["v"].nullable is True


def test_lines_are_physical_csv_lines(tmp_path: Path) -> None:
    """Rows after a multi-line cell and a blank line are reported at their real line."""
    fields = [{"name": "t", "type": "string"}, {"name": "n", "type": "integer"}]
    package = make_package(tmp_path, fields, 't,n\n"a\nb",1\n\nc,x\n')
    assert (5, "n", "type-error") in places(validate(package))


def test_pattern_is_anchored_like_frictionless(tmp_path: Path) -> None:
    """A pattern must match the whole cell, as frictionless anchors it."""
    fields = [{"name": "id", "type": "string", "constraints": {"pattern": "m[0-9]{3}"}}]
    package = make_package(tmp_path, fields, "id\nm001\nxm001\nm0012\n")
    assert places(validate(package)) == {
        (3, "id", "constraint-error"),
        (4, "id", "constraint-error"),
    }


def test_dtypes_of_every_type() -> None:
    """Each Table Schema type maps to one pandas dtype."""
    assert pandas_dtype({"type": "integer"}) == "Int64"
    assert pandas_dtype({"type": "year"}) == "Int64"
    assert pandas_dtype({"type": "number"}) == "Float64"
    assert pandas_dtype({"type": "boolean"}) == "boolean"
    assert pandas_dtype({"type": "string"}) == "string"
    assert pandas_dtype({"type": "geopoint"}) == "string"
