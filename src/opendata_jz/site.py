"""The release's landing page: one self-contained, deterministic `index.html`.

No CDN, no script, no external fetch: inline CSS and inline SVG only, so the page works from
`file://` and from any static mirror. Everything shown is derived from the descriptor and the
data; every piece of text goes through `html.escape`. Headings are bilingual, Chinese text
carries `lang` attributes (zh-Hant, zh-Hans), and the sections have stable ids: `citation`,
`licences`, `downloads`, `charts`, `dictionary`, `tables` (with `table-<resource>` per table)
and `changelog`.

Charts need the flagship's layout (resources `metrics` with `indicator_id`, `value`, `unit`;
`indicators` with `id` and `category`; optionally `categories`); a package without them gets a
note instead. Bars are scaled within one category and one unit, since figures in different
units cannot share an axis.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from html import escape
from typing import TYPE_CHECKING, Any

from .package import OpenedPackage

if TYPE_CHECKING:
    import pandas as pd

_TABLE_ROW_LIMIT = 2000
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LINK = re.compile(r"\[([^\]]+)\]\((https?://[^)\s]+)\)")
_QUALIFIER_MARKS = {"more_than": ">", "at_least": "≥", "about": "≈", "nearly": "≲"}
_QUALIFIER_NAMES = {
    "more_than": ("多於", "more than"),
    "at_least": ("不少於", "at least"),
    "about": ("約", "about"),
    "nearly": ("近", "nearly"),
}

_CSS = """
:root { --ink: #1d232a; --muted: #5a6572; --line: #d7dde3; --accent: #1f6f8b;
  --bar: #2f8fb0; --bg: #ffffff; --soft: #f4f7f9; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: var(--bg); line-height: 1.5;
  font-family: system-ui, -apple-system, "Segoe UI", "Noto Sans", "Noto Sans CJK TC",
  "PingFang TC", "Microsoft JhengHei", sans-serif; }
header, main, footer { max-width: 72rem; margin: 0 auto; padding: 0 1rem; }
header { padding-top: 2rem; }
h1 { font-size: 1.7rem; margin: 0 0 .3rem; }
h2 { border-bottom: 2px solid var(--line); padding-bottom: .2rem; margin-top: 2.5rem; }
h2 .en, h3 .en { color: var(--muted); font-weight: normal; }
nav ul { list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: .4rem 1.2rem; }
a { color: var(--accent); }
code { font-size: .85em; word-break: break-all; }
.muted { color: var(--muted); }
.scroll { overflow-x: auto; margin: .5rem 0 1.5rem; }
table { border-collapse: collapse; font-size: .88rem; }
th, td { border: 1px solid var(--line); padding: .25rem .45rem; vertical-align: top;
  text-align: left; }
thead th { background: var(--soft); position: sticky; top: 0; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
figure { margin: 1rem 0 2rem; }
figcaption { font-weight: 600; margin-bottom: .3rem; }
svg { max-width: 100%; height: auto; }
svg text { font-size: 12px; fill: var(--ink); }
svg .en { fill: var(--muted); }
svg rect.bar { fill: var(--bar); }
blockquote { margin: .5rem 0; padding: .5rem 1rem; background: var(--soft);
  border-left: 4px solid var(--accent); }
footer { margin: 3rem auto 2rem; color: var(--muted); font-size: .85rem; }
@media print { nav, .scroll { overflow: visible; } thead th { position: static; } }
"""


def render_index(
    package: OpenedPackage | str | os.PathLike[str],
    assets: list[dict],
    version: str,
    changelog_md: str,
) -> str:
    """The landing page of one release.

    `assets` are dicts with `name`, `bytes` and `sha256`, listed in the order given (links are
    relative, so the page sits next to them). `changelog_md` is the cumulative changelog.
    """
    from .exports import ensure_opened

    with ensure_opened(package) as opened:
        return _Page(opened, assets, version, changelog_md).render()


class _Page:
    """Collects the sections of the page from one opened package."""

    def __init__(
        self, package: OpenedPackage, assets: list[dict], version: str, changelog_md: str
    ) -> None:
        from .exports import tabular_resources

        self.package = package
        self.descriptor = package.descriptor
        self.assets = assets
        self.version = version
        self.changelog_md = changelog_md
        self.tables = {str(r.get("name")): r for r in tabular_resources(package)}
        self.frames: dict[str, pd.DataFrame] = {}
        self.cjk_lang = self._cjk_language()

    def frame(self, name: str) -> pd.DataFrame | None:
        """The resource's rows as strings (None when it is not a local table)."""
        from .schema import read_strings

        if name not in self.tables:
            return None
        if name not in self.frames:
            resource = self.tables[name]
            self.frames[name] = read_strings(resource, self.package.local_path(resource)).frame
        return self.frames[name]

    def render(self) -> str:
        title = str(self.descriptor.get("title") or self.descriptor.get("name") or "Data package")
        parts = [
            "<!DOCTYPE html>",
            '<html lang="en">',
            "<head>",
            '<meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{self.text(title)} · {escape(self.version)}</title>",
            f"<style>{_CSS}</style>",
            "</head>",
            "<body>",
            self.header(title),
            "<main>",
            self.citation(),
            self.licences(),
            self.downloads(),
            self.charts(),
            self.dictionary(),
            self.data_tables(),
            self.changelog(),
            "</main>",
            self.footer(),
            "</body>",
            "</html>",
        ]
        return "\n".join(parts) + "\n"

    # -- sections -------------------------------------------------------------------------

    def header(self, title: str) -> str:
        description = self.descriptor.get("description")
        sections = [
            ("citation", "引用", "Citation"),
            ("licences", "許可", "Licences"),
            ("downloads", "下載", "Downloads"),
            ("charts", "圖表", "Charts"),
            ("dictionary", "數據字典", "Data dictionary"),
            ("tables", "數據表", "Tables"),
            ("changelog", "版本記錄", "Changelog"),
        ]
        links = "".join(
            f'<li><a href="#{ident}">{_zh(zh)} {escape(en)}</a></li>' for ident, zh, en in sections
        )
        return (
            '<header id="top">\n'
            f"<h1>{self.text(title)}</h1>\n"
            f'<p>{_zh("版本")} Version <strong id="version">{escape(self.version)}</strong>'
            f" · <code>{escape(str(self.descriptor.get('name', '')))}</code></p>\n"
            + (f"<p>{self.text(str(description))}</p>\n" if description else "")
            + f'<nav aria-label="Sections"><ul>{links}</ul></nav>\n</header>'
        )

    def citation(self) -> str:
        title = str(self.descriptor.get("title") or self.descriptor.get("name") or "")
        contributors = [c for c in self.descriptor.get("contributors") or [] if isinstance(c, dict)]
        creators = [c for c in contributors if "creator" in _roles(c)] or contributors
        names = "; ".join(str(c.get("title", "")) for c in creators if c.get("title"))
        homepage = self.descriptor.get("homepage")
        cite = (
            (f"{self.text(names)}. " if names else "")
            + f"<cite>{self.text(title)}</cite>, version {escape(self.version)} [data set]."
            + (f" {_link(str(homepage))}" if homepage else "")
        )
        parts = [
            '<section id="citation">',
            f'<h2>{_zh("引用")} <span class="en">Citation</span></h2>',
            f'<p>{_zh("引用本數據")} Cite this data set:</p>\n<blockquote id="cite-dataset">'
            f"{cite}</blockquote>",
        ]
        sources = self.source_citations()
        if sources:
            parts.append(f"<p>{_zh('數據來源')} The figures come from:</p>")
            parts.append(
                '<ul id="cite-sources">' + "".join(f"<li>{s}</li>" for s in sources) + "</ul>"
            )
        if contributors:
            items = "".join(
                f"<li>{self.text(str(c.get('title', '')))}"
                + (f" ({escape(', '.join(_roles(c)))})" if _roles(c) else "")
                + (f", {self.text(str(c['organization']))}" if c.get("organization") else "")
                + "</li>"
                for c in contributors
            )
            parts.append(f"<p>{_zh('貢獻者')} Contributors:</p>")
            parts.append(f'<ul id="contributors">{items}</ul>')
        parts.append("</section>")
        return "\n".join(parts)

    def source_citations(self) -> list[str]:
        """One citation per row of a `sources` resource, else per descriptor `sources` entry."""
        frame = self.frame("sources")
        citations = []
        if frame is not None and "title" in frame.columns:
            for row in frame.to_dict("records"):
                citations.append(self.source_citation(row))
        if citations:
            return citations
        for source in self.descriptor.get("sources") or []:
            if isinstance(source, dict) and source.get("title"):
                link = source.get("path")
                citations.append(
                    self.text(str(source["title"]))
                    + (f" {_link(str(link))}" if isinstance(link, str) else "")
                )
        return citations

    def source_citation(self, row: dict[str, Any]) -> str:
        def get(key: str) -> str:
            value = row.get(key)
            return "" if value is None or str(value) == "" else str(value)

        lang = get("language") or self.cjk_lang
        pieces = []
        if get("authors"):
            pieces.append(self.text(get("authors"), lang) + ".")
        headline = self.text(get("title"), lang)
        if get("subtitle"):
            headline += " — " + self.text(get("subtitle"), lang)
        pieces.append(f"「<cite>{headline}</cite>」.")
        publisher = self.text(get("publisher"), lang)
        if get("publisher_en"):
            publisher += f" ({escape(get('publisher_en'))})"
        if get("column"):
            publisher += ", " + self.text(get("column"), lang)
        if publisher:
            pieces.append(publisher + ".")
        if get("publication_date"):
            pieces.append(escape(get("publication_date")) + ".")
        elif get("publication_date_note"):
            pieces.append(f'<span class="muted">{escape(get("publication_date_note"))}</span>')
        if get("url"):
            pieces.append(_link(get("url")))
        if get("rights"):
            pieces.append(f'<br><span class="muted">{self.text(get("rights"))}</span>')
        return " ".join(pieces)

    def licences(self) -> str:
        package_licences = [x for x in self.descriptor.get("licenses") or [] if isinstance(x, dict)]
        parts = [
            '<section id="licences">',
            f'<h2>{_zh("許可")} <span class="en">Licences</span></h2>',
        ]
        if package_licences:
            parts.append(
                f"<p>{_zh('數據')} The data: "
                + "; ".join(_licence(x) for x in package_licences)
                + "</p>"
            )
        groups: dict[str, list[str]] = {}
        for resource in self.package.resources:
            own = [x for x in resource.get("licenses") or [] if isinstance(x, dict)]
            if own and own != package_licences:
                key = "; ".join(_licence(x) for x in own)
                groups.setdefault(key, []).append(str(resource.get("name")))
        if groups:
            items = "".join(
                f"<li>{', '.join(f'<code>{escape(n)}</code>' for n in names)}: {licence}</li>"
                for licence, names in groups.items()
            )
            parts.append(
                f"<p>{_zh('另有許可的資源')} Resources under their own terms:</p><ul>{items}</ul>"
            )
        if not package_licences and not groups:
            parts.append('<p class="muted">The descriptor declares no licence.</p>')
        parts.append("</section>")
        return "\n".join(parts)

    def downloads(self) -> str:
        rows = "".join(
            "<tr>"
            f'<td><a href="{escape(str(a["name"]))}">{escape(str(a["name"]))}</a></td>'
            f'<td class="num" data-bytes="{int(a["bytes"])}">{escape(_size(int(a["bytes"])))}</td>'
            f"<td><code>{escape(str(a['sha256']))}</code></td>"
            "</tr>"
            for a in self.assets
        )
        return (
            '<section id="downloads">\n'
            f'<h2>{_zh("下載")} <span class="en">Downloads</span></h2>\n'
            '<div class="scroll"><table id="assets"><thead><tr><th>File</th><th>Size</th>'
            f"<th>SHA-256</th></tr></thead><tbody>{rows}</tbody></table></div>\n"
            '<p>Check the files with <code>sha256sum -c SHA256SUMS</code> (<a href="SHA256SUMS">'
            "SHA256SUMS</a>).</p>\n</section>"
        )

    def charts(self) -> str:
        heading = f'<h2>{_zh("圖表")} <span class="en">Charts</span></h2>'
        groups = self.chart_groups()
        if not groups:
            return (
                f'<section id="charts">\n{heading}\n<p class="muted">No charts: this package has'
                " no <code>metrics</code> and <code>indicators</code> resources to draw"
                " them from.</p>\n</section>"
            )
        legend = ", ".join(
            f"{escape(mark)} {_zh(zh)} {escape(en)}"
            for key, mark in _QUALIFIER_MARKS.items()
            for zh, en in [_QUALIFIER_NAMES[key]]
        )
        figures = []
        for number, (category, names, unit, bars) in enumerate(groups, start=1):
            figures.append(self.chart(number, category, names, unit, bars))
        return (
            f'<section id="charts">\n{heading}\n'
            f"<p>{_zh('按類別列出的數字')} Figures by category, as printed. Bars are comparable"
            f" only within one chart (one category, one unit). Marks: {legend}.</p>\n"
            + "\n".join(figures)
            + "\n</section>"
        )

    def chart_groups(self) -> list[tuple[str, tuple[str, str, str], str, list[dict]]]:
        """(category id, (zh-Hant, zh-Hans, en) names, unit, bars) per chart, in stable order."""
        metrics, indicators = self.frame("metrics"), self.frame("indicators")
        needed = {"indicator_id", "value", "unit"}
        if metrics is None or indicators is None or not needed <= set(metrics.columns):
            return []
        if not {"id", "category"} <= set(indicators.columns):
            return []
        indicator_rows = {row["id"]: row for row in indicators.to_dict("records")}
        categories = self.frame("categories")
        category_rows = (
            {row["id"]: row for row in categories.to_dict("records")}
            if categories is not None and "id" in categories.columns
            else {}
        )
        order = list(category_rows)
        grouped: dict[tuple[str, str], list[dict]] = {}
        for row in metrics.to_dict("records"):
            indicator = indicator_rows.get(row["indicator_id"], {})
            category = str(indicator.get("category") or "")
            try:
                number = float(row["value"])
            except (TypeError, ValueError):
                continue
            if category not in order:
                order.append(category)
            grouped.setdefault((category, str(row["unit"])), []).append(
                {"metric": row, "indicator": indicator, "number": number}
            )
        result = []
        for category in order:
            names_row = category_rows.get(category, {})
            names = (
                str(names_row.get("name_zh_hant") or ""),
                str(names_row.get("name_zh_hans") or ""),
                str(names_row.get("name_en") or category or "Uncategorised"),
            )
            for (group_category, unit), bars in grouped.items():
                if group_category == category:
                    result.append((category, names, unit, bars))
        return result

    def chart(
        self, number: int, category: str, names: tuple[str, str, str], unit: str, bars: list[dict]
    ) -> str:
        width, label_height, bar_height, gap, left = 720, 16, 14, 12, 4
        row_height = label_height + bar_height + gap
        height = row_height * len(bars) + 8
        largest = max((bar["number"] for bar in bars), default=0.0) or 1.0
        unit_en = str(bars[0]["indicator"].get("unit_en") or "")
        ident = f"chart-{number}"
        caption = (
            (_zh(names[0]) + " " if names[0] else "")
            + escape(names[2])
            + f" · {_zh(unit)}"
            + (f" ({escape(unit_en)})" if unit_en else "")
        )
        title_text = f"{names[0]} {names[2]} ({unit})".strip()
        shapes = [f'<title id="{ident}-title">{escape(title_text)}</title>']
        for index, bar in enumerate(bars):
            metric, indicator = bar["metric"], bar["indicator"]
            top = index * row_height + 4
            length = max(1.0, (width - 160) * bar["number"] / largest)
            zh = str(indicator.get("name_zh_hant") or "")
            en = str(indicator.get("name_en") or metric.get("indicator_id") or "")
            mark = _QUALIFIER_MARKS.get(str(metric.get("qualifier") or ""), "")
            value = f"{mark}{metric['value']} {unit}"
            shapes.append(
                f'<g id="{escape(ident)}-{escape(str(metric.get("id", index)))}">'
                f'<text x="{left}" y="{top + 12}">'
                + (f'<tspan lang="{escape(self.cjk_lang)}">{escape(zh)}</tspan> ' if zh else "")
                + f'<tspan class="en" lang="en">{escape(en)}</tspan></text>'
                f'<rect class="bar" x="{left}" y="{top + label_height}" width="{length:.1f}"'
                f' height="{bar_height}"><title>{escape(value)}</title></rect>'
                f'<text x="{left + length + 6:.1f}" y="{top + label_height + 11}">'
                f"{escape(value)}</text></g>"
            )
        svg = (
            f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}"'
            f' width="{width}" height="{height}" role="img" aria-labelledby="{ident}-title">'
            + "".join(shapes)
            + "</svg>"
        )
        return (
            f'<figure id="{ident}" data-category="{escape(category)}" data-unit="{escape(unit)}">'
            f"<figcaption>{caption}</figcaption>{svg}</figure>"
        )

    def dictionary(self) -> str:
        from .schema import fields_of

        parts = [
            '<section id="dictionary">',
            f'<h2>{_zh("數據字典")} <span class="en">Data dictionary</span></h2>',
        ]
        for resource in self.package.resources:
            name = str(resource.get("name"))
            facts = []
            for label, key in (
                ("Path", "path"),
                ("Format", "format"),
                ("Encoding", "encoding"),
                ("Bytes", "bytes"),
                ("Hash", "hash"),
            ):
                if resource.get(key) is not None:
                    facts.append(f"{label}: <code>{escape(str(resource[key]))}</code>")
            frame = self.frame(name)
            if frame is not None:
                facts.append(f"Rows: {len(frame)}")
            parts.append(
                f'<section id="dict-{escape(name)}">'
                f"<h3><code>{escape(name)}</code>"
                + (f" {self.text(str(resource['title']))}" if resource.get("title") else "")
                + "</h3>"
                + (
                    f"<p>{self.text(str(resource['description']))}</p>"
                    if resource.get("description")
                    else ""
                )
                + (f'<p class="muted">{" · ".join(facts)}</p>' if facts else "")
            )
            fields = fields_of(resource)
            if fields:
                rows = "".join(
                    "<tr>"
                    f"<td><code>{escape(str(spec.get('name')))}</code></td>"
                    f"<td>{escape(_type_text(spec))}</td>"
                    f"<td>{self.text(str(spec.get('title') or ''))}</td>"
                    f"<td>{self.text(str(spec.get('description') or ''))}</td>"
                    f"<td>{self.text(_constraints_text(spec))}</td>"
                    "</tr>"
                    for spec in fields
                )
                parts.append(
                    f'<div class="scroll"><table id="fields-{escape(name)}"><thead><tr>'
                    "<th>Field</th><th>Type</th><th>Title</th><th>Description</th>"
                    f"<th>Constraints</th></tr></thead><tbody>{rows}</tbody></table></div>"
                )
                keys = _keys_text(resource)
                if keys:
                    parts.append("<ul>" + "".join(f"<li>{k}</li>" for k in keys) + "</ul>")
            parts.append("</section>")
        parts.append("</section>")
        return "\n".join(parts)

    def data_tables(self) -> str:
        from .schema import fields_of

        parts = [
            '<section id="tables">',
            f'<h2>{_zh("數據表")} <span class="en">Tables</span></h2>',
        ]
        for name, resource in self.tables.items():
            frame = self.frame(name)
            assert frame is not None
            fields = fields_of(resource)
            numeric = {
                str(f.get("name")) for f in fields if f.get("type") in ("integer", "number", "year")
            }
            columns = [str(f.get("name")) for f in fields]
            header = "".join(
                f'<th scope="col" title="{escape(str(f.get("title") or ""))}"'
                f"{_width_hint(frame[column])}>{escape(column)}</th>"
                for f, column in zip(fields, columns, strict=True)
            )
            body = []
            for record in frame.head(_TABLE_ROW_LIMIT).itertuples(index=False, name=None):
                cells = "".join(
                    self.cell(column, value, column in numeric)
                    for column, value in zip(columns, record, strict=True)
                )
                body.append(f"<tr>{cells}</tr>")
            note = '<p class="muted">No rows.</p>' if frame.empty else ""
            if len(frame) > _TABLE_ROW_LIMIT:
                note = (
                    f'<p class="muted">The first {_TABLE_ROW_LIMIT} of {len(frame)} rows;'
                    " the downloads hold them all.</p>"
                )
            parts.append(
                f"<h3><code>{escape(name)}</code>"
                + (f" {self.text(str(resource['title']))}" if resource.get("title") else "")
                + "</h3>"
                f'<div class="scroll"><table id="table-{escape(name)}"><thead><tr>{header}</tr>'
                f"</thead><tbody>{''.join(body)}</tbody></table></div>{note}"
            )
        if not self.tables:
            parts.append('<p class="muted">This package has no tabular resources.</p>')
        parts.append("</section>")
        return "\n".join(parts)

    def changelog(self) -> str:
        return (
            '<section id="changelog">\n'
            f'<h2>{_zh("版本記錄")} <span class="en">Changelog</span></h2>\n'
            + _markdown(self.changelog_md, self.text)
            + "\n</section>"
        )

    def footer(self) -> str:
        name = escape(str(self.descriptor.get("name", "")))
        return (
            f"<footer><p>{name} {escape(self.version)} · generated from "
            '<a href="datapackage.json">datapackage.json</a></p></footer>'
        )

    # -- text -----------------------------------------------------------------------------

    def text(self, value: str, lang: str | None = None) -> str:
        """Escaped text; a run that contains Han characters is marked with its language."""
        if not _HAN.search(value):
            return escape(value)
        return f'<span lang="{escape(lang or self.cjk_lang)}">{escape(value)}</span>'

    def cell(self, column: str, value: Any, numeric: bool) -> str:
        text = "" if value is None else str(value)
        lang = _column_language(column)
        if lang is None and _HAN.search(text):
            lang = self.cjk_lang
        attributes = (' class="num"' if numeric else "") + (
            f' lang="{escape(lang)}"' if lang else ""
        )
        return f"<td{attributes}>{escape(text)}</td>"

    def _cjk_language(self) -> str:
        """The language Chinese text in the data is written in: the first source's `language`
        when it names a Chinese script, else zh-Hant."""
        frame = self.frame("sources")
        if frame is not None and "language" in frame.columns and len(frame):
            language = str(frame["language"].iloc[0])
            if language.lower().startswith("zh"):
                return language
        return "zh-Hant"


def _zh(text: str) -> str:
    return f'<span lang="zh-Hant">{escape(text)}</span>'


def _link(url: str) -> str:
    """A link for http(s) URLs; anything else is shown as text, never as an href."""
    if url.startswith(("https://", "http://")):
        return f'<a href="{escape(url)}">{escape(url)}</a>'
    return f"<code>{escape(url)}</code>"


def _licence(licence: dict) -> str:
    name = str(licence.get("name") or "")
    title = str(licence.get("title") or "")
    path = licence.get("path")
    text = escape(name) + (f" — {escape(title)}" if title and title != name else "")
    if _HAN.search(title):
        text = escape(name) + f' — <span lang="zh-Hant">{escape(title)}</span>'
    if isinstance(path, str) and path.startswith(("https://", "http://")):
        text += f' (<a href="{escape(path)}">{escape(path)}</a>)'
    return text


def _roles(contributor: dict) -> list[str]:
    roles = contributor.get("roles")
    if isinstance(roles, list):
        return [str(r) for r in roles]
    return [str(contributor["role"])] if contributor.get("role") else []


def _size(count: int) -> str:
    if count < 1024:
        return f"{count} B"
    value = count / 1024
    for unit in ("KiB", "MiB"):
        if value < 1024:
            return f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GiB"


def _type_text(spec: dict) -> str:
    kind = str(spec.get("type", "string"))
    fmt = spec.get("format")
    return f"{kind} ({fmt})" if fmt and fmt != "default" else kind


def _constraints_text(spec: dict) -> str:
    constraints = spec.get("constraints")
    if not isinstance(constraints, dict):
        return ""
    parts = []
    for key, value in constraints.items():
        if value is True:
            parts.append(key)
        elif isinstance(value, list):
            parts.append(f"{key}: " + ", ".join(str(v) for v in value))
        else:
            parts.append(f"{key}: {value}")
    return "; ".join(parts)


def _keys_text(resource: dict) -> list[str]:
    schema = resource.get("schema") if isinstance(resource.get("schema"), dict) else {}
    lines = []
    primary = schema.get("primaryKey")
    if primary:
        primary = [primary] if isinstance(primary, str) else primary
        lines.append("Primary key: " + ", ".join(f"<code>{escape(str(k))}</code>" for k in primary))
    for key in schema.get("foreignKeys") or []:
        if not isinstance(key, dict):
            continue
        reference = key.get("reference") if isinstance(key.get("reference"), dict) else {}
        fields = key.get("fields")
        fields = [fields] if isinstance(fields, str) else fields or []
        target_fields = reference.get("fields")
        target_fields = [target_fields] if isinstance(target_fields, str) else target_fields or []
        target = reference.get("resource") or resource.get("name")
        lines.append(
            "Foreign key: "
            + ", ".join(f"<code>{escape(str(f))}</code>" for f in fields)
            + " → "
            + f'<a href="#dict-{escape(str(target))}"><code>{escape(str(target))}</code></a>.'
            + ", ".join(f"<code>{escape(str(f))}</code>" for f in target_fields)
        )
    return lines


def _width_hint(column: pd.Series) -> str:
    """A minimum width for a column of Chinese text, which browsers otherwise squeeze to one
    or two characters a line (Han text has no spaces to wrap at, so any point is allowed)."""
    longest = max((len(v) for v in column if isinstance(v, str) and _HAN.search(v)), default=0)
    if longest <= 4:
        return ""
    return f' style="min-width: {min(longest, 16)}em"'


def _column_language(column: str) -> str | None:
    if column.endswith("_zh_hant"):
        return "zh-Hant"
    if column.endswith("_zh_hans"):
        return "zh-Hans"
    if column.endswith("_en"):
        return "en"
    return None


def _markdown(source: str, text: Any) -> str:
    """The small Markdown subset a changelog uses: headings, bullet lists (with indented
    continuation lines), paragraphs and http(s) links."""
    html: list[str] = []
    items: list[str] = []
    paragraph: list[str] = []

    def flush() -> None:
        if items:
            html.append("<ul>" + "".join(f"<li>{_inline(i, text)}</li>" for i in items) + "</ul>")
            items.clear()
        if paragraph:
            html.append(f"<p>{_inline(' '.join(paragraph), text)}</p>")
            paragraph.clear()

    for line in source.splitlines():
        stripped = line.strip()
        level = len(stripped) - len(stripped.lstrip("#"))
        if not stripped:
            flush()
        elif stripped.startswith(("- ", "* ")):
            if paragraph:
                flush()
            items.append(stripped[2:])
        elif items and line[:1].isspace():
            items[-1] += " " + stripped
        elif level == 1 and stripped[1:2] == " ":
            flush()  # the document title: the page's own section heading stands for it
        elif 1 <= level <= 6 and stripped[level : level + 1] == " ":
            flush()
            # The page's own h1/h2 sit above: the changelog's headings start at h3.
            tag = f"h{min(level + 2, 6)}"
            html.append(f"<{tag}>{_inline(stripped[level + 1 :], text)}</{tag}>")
        else:
            if items:
                flush()
            paragraph.append(stripped)
    flush()
    return "\n".join(html)


def _inline(line: str, text: Any) -> str:
    pieces: list[str] = []
    position = 0
    for match in _LINK.finditer(line):
        pieces.append(text(line[position : match.start()]))
        pieces.append(f'<a href="{escape(match.group(2))}">{text(match.group(1))}</a>')
        position = match.end()
    pieces.append(text(line[position:]))
    return "".join(pieces)


def asset_entries(paths: Iterable[os.PathLike[str] | str]) -> list[dict]:
    """`name`, `bytes` and `sha256` of files, for `render_index`'s download list."""
    import hashlib
    from pathlib import Path

    entries = []
    for path in map(Path, paths):
        data = path.read_bytes()
        entries.append(
            {"name": path.name, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
        )
    return entries
