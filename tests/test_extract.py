"""Tests for opendata_jz.extract: candidate figures as rows, CSV and JSON."""

from __future__ import annotations

import ast
import csv
import io
import json
import sys
from pathlib import Path

import pytest

from opendata_jz.extract import EXTRACT_COLUMNS, extract, to_csv, to_json
from opendata_jz.text import normalise

from conftest import ARTICLES, ROOT, read

SOURCE = ROOT / "data" / "source"
CASES = sorted(ARTICLES.glob("*.json"))


@pytest.fixture(scope="module")
def real_rows() -> list[dict]:
    return extract(read(SOURCE / "jinzhou-quality-article.raw.txt"))


def test_columns_are_the_contract() -> None:
    """The extract columns are the documented ones, in the documented order."""
    assert EXTRACT_COLUMNS == [
        "value",
        "unit",
        "qualifier",
        "token",
        "start",
        "end",
        "quote",
        "quote_start",
        "quote_end",
    ]


def test_rows_have_exactly_the_columns(real_rows: list[dict]) -> None:
    """Every row has the extract columns as keys, in order, and nothing else."""
    assert real_rows
    assert all(list(row) == EXTRACT_COLUMNS for row in real_rows)


def test_real_article_rows(real_rows: list[dict]) -> None:
    """The raw flagship article yields its 33 figures with values, units, qualifiers, quotes."""
    text = read(SOURCE / "jinzhou-quality-article.txt")
    quote = "目前已累計服務市場主體1000余家次"
    q_start = text.index(quote)
    assert len(real_rows) == 33
    assert real_rows[10] == {
        "value": 1000,
        "unit": "家次",
        "qualifier": "more_than",
        "token": "1000余家次",
        "start": q_start + len(quote) - len("1000余家次"),
        "end": q_start + len(quote),
        "quote": quote,
        "quote_start": q_start,
        "quote_end": q_start + len(quote),
    }
    row = next(r for r in real_rows if r["token"] == "70余萬元")
    assert (row["value"], row["unit"], row["qualifier"]) == (70, "萬元", "more_than")
    assert row["quote"] == "為企業節約成本70余萬元"


def test_offsets_refer_to_the_normalised_text(real_rows: list[dict]) -> None:
    """Token and quote offsets cut the token and quote out of the normalised text."""
    text = read(SOURCE / "jinzhou-quality-article.txt")
    for row in real_rows:
        assert text[row["start"] : row["end"]] == row["token"]
        assert text[row["quote_start"] : row["quote_end"]] == row["quote"]
        assert row["quote_start"] <= row["start"] < row["end"] <= row["quote_end"]


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.stem)
def test_raw_and_normalised_input_give_the_same_rows(case: Path) -> None:
    """Extracting from the raw text and from its normalised text gives identical rows."""
    spec = json.loads(read(case))
    raw = read(ARTICLES / spec["raw"])
    assert raw != normalise(raw)
    assert extract(raw) == extract(read(ARTICLES / spec["text"]))


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.stem)
def test_fixture_article_tokens(case: Path) -> None:
    """Each fixture article yields one row per written-down figure, in order."""
    spec = json.loads(read(case))
    rows = extract(read(ARTICLES / spec["raw"]))
    assert [(r["token"], r["value"], r["unit"], r["qualifier"]) for r in rows] == [
        (e["token"], e["value"], e["unit"], e["qualifier"]) for e in spec["figures"]
    ]


def test_integral_values_are_ints() -> None:
    """A value with no fractional part is an int even if printed with a decimal point."""
    rows = extract("合格率12.0%,增長1.5億元")
    assert [(r["value"], type(r["value"])) for r in rows] == [(12, int), (1.5, float)]


def test_quote_holds_the_clause() -> None:
    """The quote is the clause around the figure, cut at the nearest delimiters."""
    (row,) = extract("甲,擁有中國馳名商標7件、乙")
    assert row["quote"] == "擁有中國馳名商標7件"
    assert (row["quote_start"], row["quote_end"]) == (2, 12)


def test_no_figures_gives_no_rows() -> None:
    """A text without figures gives no rows, and CSV with just the header."""
    assert extract("一站式服務,雙隨機、一公開") == []
    assert to_csv([]) == ",".join(EXTRACT_COLUMNS) + "\n"
    assert to_json([]) == "[]\n"


def test_to_csv_round_trips(real_rows: list[dict]) -> None:
    """CSV has the header, \\n line ends, and reads back to the same rows as text."""
    text = to_csv(real_rows)
    assert text.splitlines()[0] == ",".join(EXTRACT_COLUMNS)
    assert "\r" not in text
    assert text.endswith("\n")
    back = list(csv.DictReader(io.StringIO(text)))
    assert back == [{k: str(v) for k, v in row.items()} for row in real_rows]


def test_to_csv_quotes_commas_in_fields() -> None:
    """A token or quote holding a comma is quoted so the CSV stays rectangular."""
    rows = extract("甲,商標16,158件,乙")
    back = list(csv.reader(io.StringIO(to_csv(rows))))
    assert back[1][3] == "16,158件"
    assert all(len(r) == len(EXTRACT_COLUMNS) for r in back)


def test_to_json_round_trips(real_rows: list[dict]) -> None:
    """JSON is a list of objects, Chinese kept as characters, two-space indent, final newline."""
    text = to_json(real_rows)
    assert json.loads(text) == real_rows
    assert "萬元" in text
    assert text.endswith("]\n")
    assert text.splitlines()[1] == "  {"


def test_extract_imports_only_the_standard_library() -> None:
    """extract.py imports nothing but the standard library and opendata_jz."""
    tree = ast.parse(read(ROOT / "src" / "opendata_jz" / "extract.py"))
    modules = {
        (node.module if isinstance(node, ast.ImportFrom) else alias.name).split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert modules <= set(sys.stdlib_module_names) | {"opendata_jz"}
