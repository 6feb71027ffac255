"""Tests for opendata_jz.text: normalisation, reading figures, clause bounds."""

from __future__ import annotations

import ast
import json
import sys
from pathlib import Path

import pytest

from opendata_jz.text import Figure, clause_bounds, find_figures, normalise

from conftest import ARTICLES, ROOT, read

SOURCE = ROOT / "data" / "source"
CASES = sorted(ARTICLES.glob("*.json"))


def summary(figures: list[Figure]) -> list[tuple]:
    return [(f.token, f.value, f.unit, f.qualifier, f.multiplier) for f in figures]


def only(text: str) -> tuple:
    """The single figure in ``text`` as (token, value, unit, qualifier, multiplier)."""
    figures = summary(find_figures(text))
    assert len(figures) == 1, figures
    return figures[0]


# --- normalise ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("質(zhì)量", "質量"),
        ("建設(shè)", "建設"),
        ("產(chǎn)業", "產業"),
        ("綠色率(lǜ)", "綠色率"),
        ("女(nü)", "女"),
        ("服务（wù）", "服务"),
        ("我的(de)書", "我的書"),
    ],
)
def test_normalise_removes_pinyin_after_han(raw: str, expected: str) -> None:
    """A parenthesised pinyin syllable right after a Han character is removed."""
    assert normalise(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "系統(遼寧)依法",
        "方案(2021-2022年)》",
        "abc(zhì)",
        "質 (zhì)量",
        "條款(a)",
        "條款(ii)",
        "質(Zhì)量",
        "質(zhìliàng)量",
    ],
)
def test_normalise_keeps_other_parentheses(raw: str) -> None:
    """Parentheses holding anything but one lowercase pinyin syllable after a Han character stay."""
    assert normalise(raw) == raw


def test_normalise_changes_nothing_else() -> None:
    """Whitespace, punctuation and script are left exactly as they are."""
    raw = "□ 孫 淵 于海波\r\n近年來,遼寧\t质量 “加速度”\n"
    assert normalise(raw) == raw


def test_normalise_real_article_matches_published_text() -> None:
    """The flagship article's raw text normalises to the normalised text shipped with the data."""
    raw = read(SOURCE / "jinzhou-quality-article.raw.txt")
    assert normalise(raw) == read(SOURCE / "jinzhou-quality-article.txt")


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.stem)
def test_normalise_fixture_articles(case: Path) -> None:
    """Each fixture article's raw text normalises to its written-down normalised text."""
    spec = json.loads(read(case))
    assert normalise(read(ARTICLES / spec["raw"])) == read(ARTICLES / spec["text"])


# --- find_figures on whole articles --------------------------------------------------------

REAL_TOKENS = [
    "13個", "4個", "2838項", "92項", "1278張", "711家", "181項", "5家", "6家", "104家",
    "1000余家次", "15家", "26家", "55家", "116家", "12家", "60家", "48家", "16家", "2632臺件",
    "200余人次", "70余萬元", "500萬元", "350余萬元", "7件", "1件", "16158件", "1200余件",
    "11個", "2個", "5家", "15家", "6家",
]  # fmt: skip
REAL_NOT_FIGURES = [
    "2019年", "(2021-2022年)", "一站式", "雙隨機", "一公開", "一批", "一系列", "多類型",
    "多層次", "全方位",
]  # fmt: skip


def overlaps(figures: list[Figure], text: str, phrase: str) -> list[str]:
    """Tokens of figures that overlap any occurrence of ``phrase`` in ``text``."""
    assert phrase in text, phrase
    hits = []
    at = text.find(phrase)
    while at != -1:
        hits += [f.token for f in figures if f.start < at + len(phrase) and at < f.end]
        at = text.find(phrase, at + 1)
    return hits


def test_real_article_figures_exactly() -> None:
    """The flagship article states exactly the 33 curated figures, in order."""
    figures = find_figures(read(SOURCE / "jinzhou-quality-article.txt"))
    assert [f.token for f in figures] == REAL_TOKENS


def test_real_article_figure_details() -> None:
    """Figures of the flagship article carry value, unit, qualifier and multiplier as printed."""
    by_token = {f.token: f for f in find_figures(read(SOURCE / "jinzhou-quality-article.txt"))}
    assert summary([by_token["1000余家次"]]) == [("1000余家次", 1000, "家次", "more_than", 1)]
    assert summary([by_token["70余萬元"]]) == [("70余萬元", 70, "萬元", "more_than", 10_000)]
    assert summary([by_token["2632臺件"]]) == [("2632臺件", 2632, "臺件", "exact", 1)]
    assert summary([by_token["16158件"]]) == [("16158件", 16158, "件", "exact", 1)]


@pytest.mark.parametrize("phrase", REAL_NOT_FIGURES)
def test_real_article_non_figures(phrase: str) -> None:
    """Years, plan periods and set phrases in the flagship article yield no figure."""
    text = read(SOURCE / "jinzhou-quality-article.txt")
    assert overlaps(find_figures(text), text, phrase) == []


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.stem)
def test_fixture_article_figures(case: Path) -> None:
    """Each fixture article yields exactly its written-down figures, in order."""
    spec = json.loads(read(case))
    figures = find_figures(read(ARTICLES / spec["text"]))
    expected = [
        (e["token"], e["value"], e["unit"], e["qualifier"], e["multiplier"])
        for e in spec["figures"]
    ]
    assert summary(figures) == expected


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.stem)
def test_fixture_article_non_figures(case: Path) -> None:
    """No figure in a fixture article overlaps any of its written-down non-figures."""
    spec = json.loads(read(case))
    text = read(ARTICLES / spec["text"])
    figures = find_figures(text)
    assert {p: overlaps(figures, text, p) for p in spec["not_figures"]} == {
        p: [] for p in spec["not_figures"]
    }


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.stem)
def test_figure_offsets_point_at_tokens(case: Path) -> None:
    """Every figure's start and end cut its token out of the text it was read from."""
    text = read(ARTICLES / json.loads(read(case))["text"])
    figures = find_figures(text)
    assert figures
    assert all(text[f.start : f.end] == f.token for f in figures)
    assert [f.start for f in figures] == sorted(f.start for f in figures)


# --- find_figures: number forms --------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("商標16,158件", ("16,158件", 16158, "件", "exact", 1)),
        ("商標16，158件", ("16，158件", 16158, "件", "exact", 1)),
        ("共1,234,567元", ("1,234,567元", 1234567, "元", "exact", 1)),
        ("１２３家", ("１２３家", 123, "家", "exact", 1)),
        ("增長１２．５％", ("１２．５％", 12.5, "％", "exact", 1)),
        ("1.2萬件", ("1.2萬件", 1.2, "萬件", "exact", 10_000)),
        ("1.5億", ("1.5億", 1.5, "億", "exact", 100_000_000)),
        ("3.5亿元", ("3.5亿元", 3.5, "亿元", "exact", 100_000_000)),
        ("投資3千萬元", ("3千萬元", 3, "千萬元", "exact", 10_000_000)),
        ("長3千米", ("3千米", 3, "千米", "exact", 1)),
        ("5萬余元", ("5萬余元", 5, "萬元", "more_than", 10_000)),
        ("合格率12.3%", ("12.3%", 12.3, "%", "exact", 1)),
        ("提高2.5個百分點", ("2.5個百分點", 2.5, "個百分點", "exact", 1)),
        ("下降0.8个百分点", ("0.8个百分点", 0.8, "个百分点", "exact", 1)),
        ("提升百分之十二", ("百分之十二", 12, "%", "exact", 1)),
        ("達到百分之十二點五", ("百分之十二點五", 12.5, "%", "exact", 1)),
        ("總數為105,", ("105", 105, "", "exact", 1)),
        ("連續3年", ("3年", 3, "年", "exact", 1)),
        ("為期3個月", ("3個月", 3, "個月", "exact", 1)),
    ],
)
def test_number_forms(text: str, expected: tuple) -> None:
    """Arabic, full-width, grouped, decimal, multiplied and percentage figures read as printed."""
    assert only(text) == expected


def test_clause_comma_is_not_a_thousands_separator() -> None:
    """A comma between a longer digit run, or before other than three digits, splits clauses."""
    assert summary(find_figures("增長15,1234家")) == [
        ("15", 15, "", "exact", 1),
        ("1234家", 1234, "家", "exact", 1),
    ]
    assert [f.token for f in find_figures("共12345,678家")] == ["12345", "678家"]
    assert [f.token for f in find_figures("項目13個,15家")] == ["13個", "15家"]
    assert find_figures("近年來,遼寧省") == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("近300家", ("近300家", 300, "家", "nearly", 1)),
        ("約5萬元", ("約5萬元", 5, "萬元", "about", 10_000)),
        ("约5万元", ("约5万元", 5, "万元", "about", 10_000)),
        ("超過1億元", ("超過1億元", 1, "億元", "more_than", 100_000_000)),
        ("超过1亿元", ("超过1亿元", 1, "亿元", "more_than", 100_000_000)),
        ("超300人次", ("超300人次", 300, "人次", "more_than", 1)),
        ("逾1000人次", ("逾1000人次", 1000, "人次", "more_than", 1)),
        ("突破2萬件", ("突破2萬件", 2, "萬件", "more_than", 10_000)),
        ("1000余家次", ("1000余家次", 1000, "家次", "more_than", 1)),
        ("1000餘家", ("1000餘家", 1000, "家", "more_than", 1)),
        ("1000多家", ("1000多家", 1000, "家", "more_than", 1)),
        ("100家以上", ("100家以上", 100, "家", "at_least", 1)),
        ("50人左右", ("50人左右", 50, "人", "about", 1)),
        ("歷時近3年", ("近3年", 3, "年", "nearly", 1)),
    ],
)
def test_qualifiers(text: str, expected: tuple) -> None:
    """Qualifiers before and after the number are mapped and kept in the token."""
    assert only(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("新增三家企業", ("三家", 3, "家", "exact", 1)),
        ("建成百個服務點", ("百個", 100, "個", "exact", 1)),
        ("建成百个服务点", ("百个", 100, "个", "exact", 1)),
        ("培育兩百餘家", ("兩百餘家", 200, "家", "more_than", 1)),
        ("培育两百余家", ("两百余家", 200, "家", "more_than", 1)),
        ("制定二十三項標準", ("二十三項", 23, "項", "exact", 1)),
        ("制定二十三项标准", ("二十三项", 23, "项", "exact", 1)),
        ("受理一萬二千件", ("一萬二千件", 12000, "件", "exact", 1)),
        ("受理一万二千件", ("一万二千件", 12000, "件", "exact", 1)),
        ("一百零五家", ("一百零五家", 105, "家", "exact", 1)),
        ("三百五十家", ("三百五十家", 350, "家", "exact", 1)),
        ("三百五家", ("三百五家", 350, "家", "exact", 1)),
        ("兩成農戶", ("兩成", 2, "成", "exact", 1)),
        ("近三成", ("近三成", 3, "成", "nearly", 1)),
        ("三萬元", ("三萬元", 3, "萬元", "exact", 10_000)),
        ("三千萬元", ("三千萬元", 3000, "萬元", "exact", 10_000)),
        ("一萬家", ("一萬家", 1, "萬家", "exact", 10_000)),
        ("三點五億元", ("三點五億元", 3.5, "億元", "exact", 100_000_000)),
        ("超過十萬元", ("超過十萬元", 10, "萬元", "more_than", 10_000)),
    ],
)
def test_chinese_numerals(text: str, expected: tuple) -> None:
    """Chinese numerals with a unit are figures in both scripts; 萬/億 stay multipliers."""
    assert only(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "2023年11月8日",
        "截至9月底",
        "2019年以來",
        "2023年度",
        "方案(2021-2022年)",
        "2021—2025年",
        "2021年至2025年",
        "〔2023〕12號",
        "[2023]12号",
        "第12號",
        "第4季度",
        "第一",
        "第二批",
        "第 3 名",
        "1-9月",
        "2023.11.8",
        "8:30",
        "二〇二三年十一月八日",
        "近5年來",
        "近三年",
        "最近3年",
        "過去10個月",
        "近30天",
        "5年來",
    ],
)
def test_dates_periods_document_numbers_ordinals_are_not_figures(text: str) -> None:
    """Dates, years, plan periods, look-back periods, document numbers and ordinals yield
    no figure."""
    assert find_figures(text) == []


@pytest.mark.parametrize(
    "text",
    [
        "一站式服務",
        "雙隨機、一公開",
        "一批擁有自主知識產權",
        "一系列措施",
        "一家企業",
        "一个窗口",
        "二次開發",
        "多類型、多層次、全方位",
        "十分重視",
        "千萬不要",
        "零件",
        "七八家企業",
        "“十四五”規劃",
        "“兩個維護”",
        "走進千家萬戶",
        "百年老店",
        "十四屆人大",
        "12315熱線",
        "5G基站",
        "ISO 9001認證",
        "GB/T 19001-2016",
        "PM2.5",
        "“12315”",
    ],
)
def test_words_with_numerals_are_not_figures(text: str) -> None:
    """Set phrases, idioms, names and codes that contain numerals yield no figure."""
    assert find_figures(text) == []


def test_lone_one_counts_with_a_qualifier() -> None:
    """A lone 一 is a figure only with a qualifier before or after it (近一成, 一成以上) or a
    multiplier (一萬家)."""
    found = find_figures("近一成,一成不變,一萬家,增長一成以上,一家企業")
    assert [(f.token, f.qualifier) for f in found] == [
        ("近一成", "nearly"),
        ("一萬家", "exact"),
        ("一成以上", "at_least"),
    ]


def test_figures_after_an_excluded_date_are_still_read() -> None:
    """A date does not hide the figures that follow it in the same clause."""
    tokens = [f.token for f in find_figures("2023年底前完成50家,9月新增3家")]
    assert tokens == ["50家", "3家"]


def test_integer_values_stay_int() -> None:
    """Whole numbers are ints and decimals are floats, as printed."""
    a, b = find_figures("13個,1.5億")
    assert type(a.value) is int
    assert type(b.value) is float


# --- clause_bounds ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "token", "quote"),
    [
        ("目前,全市共建立項目13個、省級項目4個,其他", "13個", "全市共建立項目13個"),
        ("甲，為企業節約成本70余萬元，乙", "70余萬元", "為企業節約成本70余萬元"),
        ("甲;認定181項;乙", "181項", "認定181項"),
        ("甲；認定181項；乙", "181項", "認定181項"),
        ("甲。認定181項。乙", "181項", "認定181項"),
        ("第一行\n認定181項\n第三行", "181項", "認定181項"),
        ("第一行\r\n認定181項\r\n第三行", "181項", "認定181項"),
        ("認定181項", "181項", "認定181項"),
        ("甲,有效注冊商標16,158件,乙", "16,158件", "有效注冊商標16,158件"),
        ("甲,商標16,158件和專利1,200件,乙", "1,200件", "商標16,158件和專利1,200件"),
    ],
)
def test_clause_bounds(text: str, token: str, quote: str) -> None:
    """The clause runs to the nearest delimiter or line end on each side, delimiters excluded."""
    start = text.index(token)
    q_start, q_end = clause_bounds(text, start, start + len(token))
    assert text[q_start:q_end] == quote
    assert q_start == text.index(quote)


# --- imports ---------------------------------------------------------------------------------


def test_text_imports_only_the_standard_library() -> None:
    """text.py imports nothing but the standard library, so it imports fast."""
    tree = ast.parse(read(ROOT / "src" / "opendata_jz" / "text.py"))
    modules = {
        (node.module if isinstance(node, ast.ImportFrom) else alias.name).split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert modules <= set(sys.stdlib_module_names)
