"""site: the self-contained, bilingual, deterministic landing page of a release."""

from __future__ import annotations

import csv
import json
import shutil
from html.parser import HTMLParser
from pathlib import Path

from opendata_jz.site import render_index

from conftest import FIXTURES, ROOT

ASSETS = [
    {"name": "jinzhou-quality-1.0.0.zip", "bytes": 17134, "sha256": "ab" * 32},
    {"name": "jinzhou-quality-1.0.0.sqlite", "bytes": 159744, "sha256": "cd" * 32},
]
CHANGELOG = (
    "# Changelog\n\nBased on [Keep a Changelog](https://keepachangelog.com/en/1.1.0/).\n\n"
    "## [1.0.0] - 2020-01-01\n\n### Added\n\n- metrics: new resource (33 rows)\n"
)


class Collector(HTMLParser):
    """Every start tag with its attributes, and the text of the document."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def ids(self) -> list[str]:
        return [attrs["id"] for _, attrs in self.tags if "id" in attrs]


def parse(page: str) -> Collector:
    collector = Collector()
    collector.feed(page)
    return collector


def csv_rows(name: str) -> list[dict]:
    with open(ROOT / "data" / f"{name}.csv", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def flagship_page() -> str:
    return render_index(ROOT, ASSETS, "1.0.0", CHANGELOG)


def test_page_has_the_stable_section_ids() -> None:
    """Sections and tables carry the ids tests and links rely on, each id once."""
    ids = parse(flagship_page()).ids()
    for ident in (
        "citation",
        "licences",
        "downloads",
        "charts",
        "dictionary",
        "tables",
        "changelog",
        "table-metrics",
        "table-indicators",
        "table-categories",
    ):
        assert ident in ids
    assert len(ids) == len(set(ids))


def test_page_is_self_contained() -> None:
    """No script, stylesheet link, image or frame is fetched; links are relative or http(s)."""
    page = parse(flagship_page())
    tags = {tag for tag, _ in page.tags}
    assert not tags & {"script", "link", "img", "iframe", "object", "embed"}
    for _tag, attrs in page.tags:
        assert "src" not in attrs
        href = attrs.get("href")
        if href is not None:
            assert href.startswith(("#", "https://", "http://")) or "/" not in href, href
    assert "@import" not in flagship_page() and "url(" not in flagship_page()


def test_downloads_list_names_sizes_and_checksums() -> None:
    """Each asset is a relative link with its size and SHA-256."""
    page = flagship_page()
    assert '<a href="jinzhou-quality-1.0.0.zip">jinzhou-quality-1.0.0.zip</a>' in page
    assert 'data-bytes="159744">156.0 KiB</td>' in page
    assert "ab" * 32 in page and "cd" * 32 in page
    assert 'href="SHA256SUMS"' in page


def test_dictionary_lists_every_resource_and_field() -> None:
    """Every resource and every field of the descriptor is documented, with its constraints."""
    page = flagship_page()
    descriptor = json.loads((ROOT / "datapackage.json").read_text(encoding="utf-8"))
    for resource in descriptor["resources"]:
        assert f'id="dict-{resource["name"]}"' in page
        for field in resource.get("schema", {}).get("fields", []):
            assert f"<td><code>{field['name']}</code></td>" in page
    assert "pattern: ^m[0-9]{3}$" in page
    assert "Foreign key: <code>indicator_id</code>" in page


def test_tables_show_every_row() -> None:
    """The metrics table has one body row per CSV row, with Chinese cells marked zh-Hant."""
    page = flagship_page()
    start = page.index('id="table-metrics"')
    table = page[start : page.index("</table>", start)]
    assert table.count("<tr>") == 34  # header + 33 rows
    assert '<td lang="zh-Hant">全市共建立國家級標準化示范試點項目13個</td>' in table


def test_charts_group_figures_by_category_in_both_languages() -> None:
    """One inline SVG per category and unit, labelled in Chinese and English."""
    page = flagship_page()
    charts = page[page.index('id="charts"') : page.index('id="dictionary"')]
    categories = {row["id"]: row["category"] for row in csv_rows("indicators")}
    groups = {(categories[row["indicator_id"]], row["unit"]) for row in csv_rows("metrics")}
    assert charts.count("<svg") == len(groups)
    assert "標準化" in charts and "Standardisation" in charts
    assert '<tspan lang="zh-Hant">國家級標準化示范試點項目</tspan>' in charts
    assert ">1000 家次</text>" in charts.replace("&gt;", ">")  # 「1000余家次」: more than


def test_citation_and_licences_come_from_the_package() -> None:
    """The citation names the authors and publisher; licences separate data and article."""
    page = flagship_page()
    citation = page[page.index('id="citation"') : page.index('id="licences"')]
    assert "孫淵; 于海波" in citation and "中國質量報" in citation
    assert "opendata_jz contributors" in citation
    licences = page[page.index('id="licences"') : page.index('id="downloads"')]
    assert "CC-BY-4.0" in licences
    assert "<code>article_raw</code>, <code>article_text</code>" in licences
    assert "© 中國質量報" in licences


def test_languages_are_marked() -> None:
    """The page is English with Chinese runs marked zh-Hant or zh-Hans."""
    page = parse(flagship_page())
    assert page.tags[0] == ("html", {"lang": "en"})
    langs = {attrs.get("lang") for _, attrs in page.tags if "lang" in attrs}
    assert {"en", "zh-Hant", "zh-Hans"} <= langs


def test_changelog_is_rendered() -> None:
    """The changelog's headings and entries become HTML, links kept as http(s) links."""
    page = flagship_page()
    log = page[page.index('id="changelog"') :]
    assert "<h4>[1.0.0] - 2020-01-01</h4>" in log
    assert "<li>metrics: new resource (33 rows)</li>" in log
    assert '<a href="https://keepachangelog.com/en/1.1.0/">Keep a Changelog</a>' in log


def test_rendering_is_deterministic() -> None:
    """The same inputs give the same page."""
    assert flagship_page() == flagship_page()


def test_everything_is_escaped(tmp_path: Path) -> None:
    """Markup in the descriptor, the data and the changelog is shown as text, never run."""
    package = tmp_path / "pkg"
    shutil.copytree(FIXTURES / "packages" / "valid", package)
    descriptor = json.loads((package / "datapackage.json").read_text(encoding="utf-8"))
    descriptor["title"] = "<script>alert('title')</script>"
    descriptor["licenses"] = [{"name": "X", "path": "javascript:alert(1)"}]
    (package / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    figures = (package / "figures.csv").read_text(encoding="utf-8")
    (package / "figures.csv").write_text(figures.replace("report", "<img src=x>"), "utf-8")
    assets = [{"name": '"><b>x', "bytes": 1, "sha256": "00"}]
    page = render_index(package, assets, "1.0.0", "- <i>changed</i> [x](javascript:alert(1))")
    tags = {tag for tag, _ in parse(page).tags}
    assert not tags & {"script", "img", "i", "b"}
    assert "&lt;script&gt;alert(&#x27;title&#x27;)&lt;/script&gt;" in page
    assert "&lt;img src=x&gt;" in page
    assert 'href="javascript:' not in page


def test_package_without_figures_gets_a_note_instead_of_charts(tmp_path: Path) -> None:
    """A package lacking metrics and indicators still renders, with a note in place of charts."""
    page = render_index(FIXTURES / "packages" / "valid", [], "0.1.0", "")
    charts = page[page.index('id="charts"') : page.index('id="dictionary"')]
    assert "<svg" not in charts
    assert "No charts" in charts
    assert 'id="table-figures"' in page and 'id="table-regions"' in page
