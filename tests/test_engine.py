"""The streaming engine reports exactly the (line, field) errors frictionless reports."""

from __future__ import annotations

import json
import re
from pathlib import Path

import parity  # bench/parity.py: bench/ is on the tests' path
import pytest

from opendata_jz import validate
from opendata_jz.package import open_package
from opendata_jz.validation import check_rows

#: Codes of our own stricter rules, which frictionless does not check.
OWN_CODES = parity.OWN_CODES


def frictionless_pairs(package: Path) -> set[tuple]:
    """frictionless's (resource, line, field) errors, each row number mapped to the physical
    line its row starts on, compared as bench/parity.py compares them."""
    return parity.frictionless_errors(package)[0]


def our_pairs(package: Path) -> set[tuple]:
    report = validate(package)
    return {(i.resource, i.line, i.field) for i in report.errors if i.code not in OWN_CODES}


def engine_read(package: Path) -> frozenset[str]:
    with open_package(package) as opened:
        return check_rows(opened)[2]


@pytest.mark.parametrize("seed", [7, 11, 2024])
def test_generated_invalid_package_matches_frictionless(tmp_path: Path, seed: int) -> None:
    """On a generated 10k-row package holding every kind of fault the engine reads, the
    engine finds frictionless's errors, no more and no fewer, each where truth.json puts it."""
    import workload  # bench/workload.py

    table, faults = workload.corrupt(workload.build(10_000, seed), seed)
    workload.write_package(tmp_path, table, faults)
    assert engine_read(tmp_path) == {"metrics", "sources"}
    ours, theirs = our_pairs(tmp_path), frictionless_pairs(tmp_path)
    assert ours == theirs
    truth = json.loads((tmp_path / "truth.json").read_text(encoding="utf-8"))["faults"]
    assert {f["kind"] for f in truth} == set(workload.DEFAULT_KINDS)
    expected = {("metrics", f["line"], f["field"]) for f in truth if f["expected"]}
    assert expected == ours  # each fault frictionless reports, and nothing else
    reported = {(i.line, i.field, i.code) for i in validate(tmp_path).errors}
    assert all((f["line"], f["field"], f["expected"]) in reported for f in truth if f["expected"])


def _package(tmp_path: Path, text: str | bytes, fields: list[dict], **schema) -> Path:
    data = text if isinstance(text, bytes) else text.encode("utf-8")
    (tmp_path / "t.csv").write_bytes(data)
    resource = {"name": "t", "path": "t.csv", "schema": {"fields": fields, **schema}}
    descriptor = {"name": "p", "resources": [resource]}
    (tmp_path / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    return tmp_path


ID = {"name": "id", "type": "integer", "constraints": {"unique": True}}
CASES = {
    "odd numbers go through frictionless's reader": (
        "id,v\n1, 5\n2,+5\n3,1e3\n4,abc\n5,-0\n",
        [ID, {"name": "v", "type": "number", "constraints": {"minimum": 0}}],
    ),
    "impossible dates": (
        "id,d\n1,2023-02-30\n2,2024-02-29\n3,0999-01-01\n4,2023-1-5\n",
        [ID, {"name": "d", "type": "date"}],
    ),
    "multi-line cells, CRLF and a BOM keep lines right": (
        b'\xef\xbb\xbfid,t\r\n1,"two\r\nlines"\r\nx,ok\r\n3,"a\nb\nc"\r\n1,dup\r\n',
        [ID, {"name": "t", "type": "string"}],
    ),
    "blank rows and an empty line": (
        "id,t\n1,a\n,\n\n2,b\nz,c\n",
        [ID, {"name": "t", "type": "string", "constraints": {"required": True}}],
    ),
    "duplicate keys compare cast values": (
        "id,v\n1,1.0\n01,1\n2,1.00\n,2\n",
        [ID, {"name": "v", "type": "number", "constraints": {"unique": True}}],
        {"primaryKey": ["id"]},
    ),
    "patterns, enums and lengths": (
        "id,c\n1,ab\n2,AB\n3,abc\n4,ab\n\n",
        [
            ID,
            {
                "name": "c",
                "type": "string",
                "constraints": {"pattern": "[a-z]+", "enum": ["ab", "abc"], "maxLength": 2},
            },
        ],
    ),
    "a pattern with alternatives, anchored as frictionless anchors it": (
        "id,c\nax,ok\nb,ok\nxb,no\nab,ok\nc,no\nba,no\n",
        [
            {"name": "id", "type": "string", "constraints": {"pattern": "a|b"}},
            {"name": "c", "type": "string", "constraints": {"pattern": "o[a-z]|(n)o"}},
        ],
    ),
    "a self-referencing foreign key": (
        "id,parent\n1,\n2,1\n3,9\n4,3\n",
        [ID, {"name": "parent", "type": "integer"}],
        {"foreignKeys": [{"fields": ["parent"], "reference": {"resource": "", "fields": ["id"]}}]},
    ),
    "numbers Arrow cannot hold, where no key compares them": (
        "id,v\n1,NaN\n2,12345678901234567890\n3,-inf\n4,1\n5,Infinity\n",
        [ID, {"name": "v", "type": "number", "constraints": {"minimum": 0}}],
    ),
    "booleans and years": (
        "id,b,y\n1,true,2020\n2,yes,20x0\n3,0,1999\n4,TRUE,+123\n5, true, 123\n"
        "6,False,0000\n7,1,12_3\n8,t,１２３４\n9,,99999\n",
        [ID, {"name": "b", "type": "boolean"}, {"name": "y", "type": "year"}],
    ),
    "datetimes, plain and otherwise": (
        # (frictionless itself fails comparing a bound with a datetime that has a zone)
        "id,t,u\n1,2024-01-01T10:00:00,2024-01-01T10:00:00\n2,2024-02-30T10:00:00,2024-01-01\n"
        "3,2024-01-01T24:00:00,2024-01-01T10:00:00.5\n4,2024-01-01 10:00:00,\n"
        "5,2024-01-01T10:00:60,2023-12-31T23:59:59\n6,0999-01-01T00:00:00Z,2024-06-01T00:00:00\n"
        "7,2024-01-01T10:00:00+08:00,2024-02-29T00:00:00\n",
        [
            ID,
            {"name": "t", "type": "datetime", "constraints": {"required": True}},
            {"name": "u", "type": "datetime", "constraints": {"minimum": "2024-01-01T00:00:00"}},
        ],
    ),
    "declared true and false values, a year key with bounds": (
        "id,b,y\n1,oui,2020\n2,non,2021\n3,both,2020\n4,true,1899\n5,non,2101\n",
        [
            ID,
            {
                "name": "b",
                "type": "boolean",
                "trueValues": ["oui", "both"],
                "falseValues": ["non", "both"],
                "constraints": {"required": True},
            },
            {
                "name": "y",
                "type": "year",
                "constraints": {"unique": True, "minimum": 1900, "maximum": 2100},
            },
        ],
    ),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_engine_matches_frictionless_on_edge_cases(tmp_path: Path, case: str) -> None:
    """Each edge case, read by the engine, gives frictionless's (line, field) errors at the
    physical lines frictionless's rows start on."""
    text, fields, *schema = CASES[case]
    package = _package(tmp_path, text, fields, **(schema[0] if schema else {}))
    assert engine_read(package) == {"t"}
    assert our_pairs(package) == frictionless_pairs(package)


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_frictionless_path_matches_frictionless_on_edge_cases(tmp_path: Path, case: str) -> None:
    """The same edge cases with a ragged row added go to frictionless and to the pandera
    layer on pandas, which must add no error of its own."""
    text, fields, *schema = CASES[case]
    ragged = "\n".join(["9"] * 2 + [",".join(["9"] * (len(fields) + 1))]) + "\n"
    text = text + (ragged.encode("utf-8") if isinstance(text, bytes) else ragged)
    package = _package(tmp_path, text, fields, **(schema[0] if schema else {}))
    assert engine_read(package) == frozenset()
    assert our_pairs(package) == frictionless_pairs(package)


def test_multiline_lines_are_physical(tmp_path: Path) -> None:
    """After multi-line cells, an error names the physical line where its row starts."""
    text, fields = CASES["multi-line cells, CRLF and a BOM keep lines right"]
    package = _package(tmp_path, text, fields)
    lines = {(i.line, i.field, i.code) for i in validate(package).errors}
    assert lines == {(4, "id", "type-error"), (8, "id", "unique-error")}


def test_a_key_holding_a_number_arrow_cannot_hold_falls_back(tmp_path: Path) -> None:
    """Two 20-digit numbers that differ only past the 15th digit are told apart only by
    frictionless's Decimals: a unique field holding one is left to frictionless."""
    text = "id,v\n1,12345678901234567890\n2,12345678901234567891\n3,12345678901234567890\n"
    unique = {"name": "v", "type": "number", "constraints": {"unique": True}}
    package = _package(tmp_path, text, [ID, unique])
    assert engine_read(package) == frozenset()
    assert our_pairs(package) == frictionless_pairs(package) == {("t", 4, "v")}


def test_numbers_a_float_cannot_tell_apart_off_the_engine(tmp_path: Path) -> None:
    """On frictionless's path (a ragged row), the pandera layer compares floats: numbers of
    more than 15 digits are left to frictionless there too, so no error is added."""
    text = (
        "id,v,w\n1,12345678901234567890,0.10000000000000000001\n"
        "2,12345678901234567891,0.2\n3,12345678901234567890,0.1\n4\n"
    )
    fields = [
        ID,
        {"name": "v", "type": "number", "constraints": {"unique": True}},
        {"name": "w", "type": "number", "constraints": {"exclusiveMinimum": 0.1}},
    ]
    package = _package(tmp_path, text, fields)
    descriptor = json.loads((package / "datapackage.json").read_text(encoding="utf-8"))
    descriptor["$schema"] = "https://datapackage.org/profiles/2.0/datapackage.json"
    (package / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    assert engine_read(package) == frozenset()
    pairs = {("t", 4, "v"), ("t", 4, "w"), ("t", 5, "v"), ("t", 5, "w")}  # line 5: 2 cells short
    assert our_pairs(package) == frictionless_pairs(package) == pairs


def test_ragged_rows_fall_back_to_frictionless(tmp_path: Path) -> None:
    """A row with a missing or extra cell is left to frictionless, which reports it."""
    package = _package(tmp_path, "id,t\n1,a\n2\n3,b,c\n", [ID, {"name": "t"}])
    assert engine_read(package) == frozenset()
    assert our_pairs(package) == frictionless_pairs(package)


ODD_CELLS = [
    "12", "3.5", "-5", "+5", "1e3", "", "x", "１２", "٣", "12٣", "=1+1", "+", "-", "-x", "@x",
    "\tx", "\rx", "N/A", "NA", "na", "n/a", "nan", "NaN", " nan ", "-inf", "+Infinity", "snan",
    "ınf", "ſnan", "\u00a0nan", "\u3000inf", "\x1cnan\x0b", "null", "NULL", "None", "Nx", "Nope!",
]  # fmt: skip


@pytest.mark.parametrize("kind", ["integer", "number", "year", "string", "date"])
@pytest.mark.parametrize("required", [False, True])
def test_stricter_rules_on_arrow_match_the_pandas_rules(kind: str, required: bool) -> None:
    """The engine's Arrow version of the stricter cell rules flags exactly what the pandas
    version flags, whether or not plain numbers are marked as settled."""
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    from opendata_jz.cell_rules import arrow_cell_issues, cell_issues

    field = {"name": "f", "type": kind, "constraints": {"required": required}}
    lines = list(range(2, len(ODD_CELLS) + 2))
    expected = cell_issues(pd.Series(ODD_CELLS, dtype="string"), field, [""], "r", "p", lines)
    raw = pa.array(ODD_CELLS, pa.string())
    missing = np.array([cell == "" for cell in ODD_CELLS])
    plain = pc.match_substring_regex(raw, r"^-?[0-9]{1,15}(\.[0-9]{1,15})?$")
    for settled in (None, np.asarray(plain.to_pylist())):
        found = arrow_cell_issues(raw, missing, field, "r", "p", np.array(lines), settled)
        assert set(found) == set(expected)
    assert kind == "date" or expected


def test_engine_checks_everything_the_derived_schema_states() -> None:
    """Each check the derived pandera schema states is one the engine makes itself, so the
    engine's path need not run pandera."""
    from opendata_jz.pandera_checks import ENGINE_CHECKED
    from opendata_jz.schema import pandera_schema

    constraints = {
        "required": True,
        "unique": True,
        "enum": ["a", "b"],
        "minLength": 1,
        "maxLength": 3,
        "pattern": "[a-z]+",
    }
    bounds = {"minimum": 0, "maximum": 9, "exclusiveMinimum": -1, "exclusiveMaximum": 10}
    fields = [
        {"name": "s", "type": "string", "constraints": constraints},
        {"name": "i", "type": "integer", "constraints": {**bounds, "enum": [1, 2]}},
        {"name": "n", "type": "number", "constraints": bounds},
        {"name": "d", "type": "date", "constraints": {"minimum": "2020-01-01"}},
    ]
    schema = pandera_schema({"name": "t", "schema": {"fields": fields}})
    stated = {"dtype"}
    for column in schema.columns.values():
        stated |= {check.name for check in column.checks}
        stated |= {"not_nullable"} if not column.nullable else set()
        stated |= {"field_uniqueness"} if column.unique else set()
    assert stated - {"dtype"} and stated <= set(ENGINE_CHECKED)


def test_plain_dates_match_python_dates() -> None:
    from datetime import date

    import numpy as np
    import pyarrow as pa

    from opendata_jz.calendar_cells import plain_dates

    cells = [
        "2024-02-29",
        "2023-02-29",
        "1900-02-29",
        "2000-02-29",
        "2023-02-30",
        "2024-04-31",
        "1000-01-01",
        "9999-12-31",
        "0999-12-31",
        "2024-13-01",
        "2024-00-10",
        "2024-01-00",
        "2024-01-32",
        "2024-1-01",
        " 2024-01-01",
        "2024/01/01",
        "２０２４-01-01",
        "1970-01-01",
        "",
    ]
    raw = pa.array(cells, pa.string())
    present = np.array([c != "" for c in cells])
    present[-2] = False  # a missing value is never plain
    plain, dates = plain_dates(raw, present)
    pattern = re.compile(r"^[1-9][0-9]{3}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")
    for index, cell in enumerate(cells):
        assert plain[index] == (bool(pattern.match(cell)) and present[index]), cell
        try:
            expected = date.fromisoformat(cell) if plain[index] else None
        except ValueError:
            expected = None
        assert dates[index].as_py() == expected, cell


def test_plain_dates_of_a_column_of_ten_byte_cells() -> None:
    """When every cell is ten bytes, the text is read as a table in place: each date, over
    the whole range of years, is the one Python reads, also in a slice of an array."""
    from datetime import date, timedelta

    import numpy as np
    import pyarrow as pa

    from opendata_jz.calendar_cells import plain_dates

    day, cells = date(1000, 1, 1), []
    while day.year < 9999:
        cells.append(day.isoformat())
        day += timedelta(days=97)
    cells += ["9999-12-31", "2023-02-29", "2024-02-29", "2024/01/01", "0999-12-31", "20x4-01-01"]
    raw = pa.array(["pad", *cells], pa.string()).slice(1)
    plain, dates = plain_dates(raw, np.ones(len(cells), dtype=bool))
    for index, cell in enumerate(cells):
        try:
            expected = date.fromisoformat(cell) if cell[0] != "0" else None
        except ValueError:
            expected = None
        assert dates[index].as_py() == expected, cell
        assert plain[index] == (cell[4] == cell[7] == "-" and cell[:4].isdigit() and cell[0] != "0")


def test_three_field_primary_key_repeats() -> None:
    """A primary key of three fields is repeated only when all three cells repeat, and the
    row whose cells are all empty is left to the blank-row and required checks."""
    import numpy as np
    import pyarrow as pa

    from opendata_jz.keys import _repeats

    columns = [
        pa.array(["a", "a", "a", "b", "a", None]),
        pa.array(["x", "x", "y", "x", "x", None]),
        pa.array([1, 1, 1, 1, 2, None]),
    ]
    lines = np.arange(2, 8)
    assert list(_repeats(columns, lines, partial=True)) == [(3, 2, 1)]


def test_three_field_key_of_millions_of_values_does_not_overflow() -> None:
    """A repeated three-field key is found even when the fields hold so many distinct values
    that combining their codes naively would overflow 64 bits."""
    import numpy as np
    import pyarrow as pa

    from opendata_jz.keys import _repeats

    count = 2_200_000  # count**3 is past 2**63
    values = np.arange(count, dtype=np.int64)
    values = np.append(values, count - 1)  # the last row again
    columns = [pa.array(values), pa.array(values + 7), pa.array(values * 3)]
    lines = np.arange(2, count + 3)
    assert list(_repeats(columns, lines, partial=True)) == [(count + 2, count + 1, count)]
