"""The bundled Jinzhou package: valid, complete, and every broken copy named at its line."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from opendata_jz import validate
from opendata_jz.text import find_figures, normalise

from conftest import ROOT, drop_row, edit_csv

DATA = ROOT / "data"


def rows(name: str) -> list[dict]:
    with open(DATA / f"{name}.csv", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_bundled_package_is_valid() -> None:
    """The bundled package passes every check with no issue at all."""
    report = validate(ROOT / "datapackage.json")
    assert report.issues == []


def test_frictionless_accepts_the_descriptor() -> None:
    """frictionless itself finds the bundled package valid."""
    from frictionless import validate as frictionless_validate

    assert frictionless_validate(str(ROOT / "datapackage.json")).valid


def test_every_figure_of_the_article_is_a_metric() -> None:
    """Each figure the reader finds in the article is the figure of exactly one metrics row."""
    text = (DATA / "source" / "jinzhou-quality-article.txt").read_text(encoding="utf-8")
    found = [(f.start, f.end) for f in find_figures(text)]
    claimed = []
    for row in rows("metrics"):
        start, end = int(row["quote_start"]), int(row["quote_end"])
        claimed += [span for span in found if start <= span[0] and span[1] <= end]
    assert sorted(claimed) == sorted(found)
    assert len(found) == 33


def test_stored_text_is_the_normalised_raw_text() -> None:
    """The normalised text is the raw text less its pinyin annotations, and nothing else."""
    raw = (DATA / "source" / "jinzhou-quality-article.raw.txt").read_text(encoding="utf-8")
    text = (DATA / "source" / "jinzhou-quality-article.txt").read_text(encoding="utf-8")
    assert normalise(raw) == text
    assert "(zhì)" in raw and "(zhì)" not in text
    assert len(raw) - len(text) == sum(
        len(m) for m in __import__("re").findall(r"\([a-zà-ǜ]+\)", raw)
    )


def test_simplified_names_are_the_traditional_names_converted() -> None:
    """Every zh-Hans name is OpenCC's traditional-to-simplified conversion of the zh-Hant name."""
    import opencc

    convert = opencc.OpenCC("t2s").convert
    for resource, pairs in {
        "indicators": [("name_zh_hant", "name_zh_hans")],
        "categories": [("name_zh_hant", "name_zh_hans")],
        "marks": [("name_zh_hant", "name_zh_hans")],
        "policies": [("title_zh_hant", "title_zh_hans")],
    }.items():
        for row in rows(resource):
            for hant, hans in pairs:
                assert row[hans] == convert(row[hant]), (resource, row["id"])


def test_indicator_names_are_printed_in_the_article() -> None:
    """Each indicator's traditional name stands in the article exactly as printed."""
    text = (DATA / "source" / "jinzhou-quality-article.txt").read_text(encoding="utf-8")
    for row in rows("indicators"):
        assert row["name_zh_hant"] in text, row["id"]


def test_article_is_attributed_and_not_under_the_data_licence() -> None:
    """The article's resources carry the publisher's rights, not the open data licence."""
    descriptor = json.loads((ROOT / "datapackage.json").read_text(encoding="utf-8"))
    by_name = {r["name"]: r for r in descriptor["resources"]}
    for name in ("article_raw", "article_text"):
        licence = by_name[name]["licenses"][0]
        assert "CC" not in licence["name"] and "中國質量報" in licence["title"]
    assert by_name["metrics"]["licenses"][0]["name"] == "CC-BY-4.0"


BREAKS = {
    "misread value": (
        "m003",
        {"value": "2883", "value_base": "2883"},
        4,
        "value",
        "figure-value-mismatch",
    ),
    "shifted offsets": (
        "m027",
        {"quote_start": "1157", "quote_end": "1170"},
        28,
        "quote_start",
        "quote-mismatch",
    ),
    "wrong qualifier": (
        "m011",
        {"qualifier": "exact"},
        12,
        "qualifier",
        "figure-qualifier-mismatch",
    ),
    "wrong base value": ("m022", {"value_base": "70000"}, 23, "value_base", "value-base-mismatch"),
    "quote cut short": (
        "m025",
        {"quote": "擁有“道光”“溝幫子”等中國馳名商標7件", "quote_start": "1118"},
        26,
        "quote_start",
        "quote-not-clause",
    ),
    "two figures in a quote": (
        "m009",
        {"quote": "省級檢驗檢測機構6家、市級檢驗檢測機構104家", "quote_end": "552"},
        10,
        "quote",
        "quote-several-figures",
    ),
    "unit not the codebook's": ("m001", {"unit": "項"}, 2, "unit", "unit-matches-indicator"),
}


@pytest.mark.parametrize("case", BREAKS, ids=list(BREAKS))
def test_broken_copy_names_line_and_field(flagship: Path, case: str) -> None:
    """A curated figure broken one way fails with the metrics line and field named."""
    row_id, changes, line, field, code = BREAKS[case]
    edit_csv(flagship / "data" / "metrics.csv", row_id, **changes)
    report = validate(flagship)
    assert not report.valid
    assert ("data/metrics.csv", line, field, code) in {
        (i.path, i.line, i.field, i.code) for i in report.errors
    }


def test_wrong_unit_is_reported_once(flagship: Path) -> None:
    """A unit that is not the printed one fails once at its cell, even where the codebook was
    changed to match it."""
    edit_csv(flagship / "data" / "metrics.csv", "m020", unit="件")
    report = validate(flagship)
    assert [(i.line, i.field) for i in report.errors] == [(21, "unit")]
    edit_csv(flagship / "data" / "indicators.csv", "svc_items_tested", unit="件")
    report = validate(flagship)
    assert [(i.line, i.field, i.code) for i in report.errors] == [
        (21, "unit", "figure-unit-mismatch")
    ]


def test_dropped_figure_is_reported_as_not_curated(flagship: Path) -> None:
    """Deleting a metrics row leaves its figure unclaimed, and validate says which."""
    drop_row(flagship / "data" / "metrics.csv", "m027")
    report = validate(flagship)
    codes = {(i.code, i.path) for i in report.errors}
    assert ("figure-not-curated", "data/metrics.csv") in codes
    assert any("16158件" in i.message for i in report.errors)


def test_declared_non_figure_covers_a_figure(flagship: Path) -> None:
    """A figure declared in non_figures instead of curated counts as covered."""
    drop_row(flagship / "data" / "metrics.csv", "m027")
    with open(flagship / "data" / "non_figures.csv", "a", encoding="utf-8") as handle:
        handle.write("nf1,zgzlb-jinzhou,16158件,1163,1169,kept out for this test\n")
    assert [i.code for i in validate(flagship).errors] == []


def test_tampered_source_text_fails_its_hash(flagship: Path) -> None:
    """Changing one character of the stored text breaks its hash and its normalisation."""
    text = flagship / "data" / "source" / "jinzhou-quality-article.txt"
    text.write_text(text.read_text(encoding="utf-8").replace("1278張", "1279張"), encoding="utf-8")
    codes = {i.code for i in validate(flagship).errors}
    assert {"source-hash-mismatch", "source-not-normalised"} <= codes
