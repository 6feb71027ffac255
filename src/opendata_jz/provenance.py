"""Provenance checks: each quote is its source text at its offsets, each figure is what its
quote states, and each figure in a source is claimed by a row or declared not a figure.

A package opts in with the descriptor extension `opendata_jz.provenance` (see
docs/provenance.md; JSON Schema in `provenance.schema.json`): which resource lists the
sources and where their texts live, which resources quote those texts and through which
fields, which of them state figures, and which resource declares numbers that are not
figures.
"""

from __future__ import annotations

import hashlib
import math
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .package import OpenedPackage, path_problem
from .report import Issue
from .text import Figure, clause_bounds, find_figures, normalise

if TYPE_CHECKING:
    import pandas as pd

Span = tuple[str, int, int]  # source id, start, end


@dataclass
class Source:
    """A declared source text, read and checked; `text` is None when it cannot be read."""

    id: str
    text: str | None
    figures: list[Figure] = field(default_factory=list)


@dataclass
class Coverage:
    """Which reader-found figures rows claim, and which spans are declared not figures."""

    claimed: dict[Span, str] = field(default_factory=dict)
    declared: dict[Span, str] = field(default_factory=dict)

    def status(self, source_id: str, figure: Figure) -> tuple[str, str]:
        """("curated", row id) | ("declared", reason) | ("missing", "")."""
        key = (source_id, figure.start, figure.end)
        if key in self.claimed:
            return "curated", self.claimed[key]
        for (sid, start, end), reason in self.declared.items():
            if sid == source_id and start < figure.end and figure.start < end:
                return "declared", reason
        return "missing", ""


@dataclass
class _Table:
    name: str
    path: str
    frame: pd.DataFrame
    lines: list[int]

    def issue(self, index: int, column: str | None, code: str, message: str, **kw) -> Issue:
        return Issue(self.name, self.path, self.lines[index], column, code, message, **kw)


def declaration(descriptor: dict) -> dict | None:
    """The package's provenance declaration, or None when it declares none."""
    extension = descriptor.get("opendata_jz")
    found = extension.get("provenance") if isinstance(extension, dict) else None
    return found if isinstance(found, dict) else None


def check_provenance(package: OpenedPackage) -> list[Issue]:
    """Every provenance issue of a package that declares provenance."""
    spec = declaration(package.descriptor)
    if spec is None or not isinstance(spec.get("sources"), dict):
        return []
    sources, issues = load_sources(package, spec["sources"])
    coverage = Coverage()
    quote_specs = [q for q in spec.get("quotes") or [] if isinstance(q, dict)]
    for quote_spec in quote_specs:
        issues += check_quotes(package, quote_spec, sources, coverage)
    if isinstance(spec.get("nonFigures"), dict):
        issues += check_non_figures(package, spec["nonFigures"], sources, coverage)
    figures_spec = next((q for q in quote_specs if q.get("figure")), None)
    if figures_spec is not None:
        issues += check_coverage(package, figures_spec["resource"], sources, coverage)
    return issues


def _read(package: OpenedPackage, name: str) -> _Table | None:
    from .schema import read_strings

    try:
        resource = package.resource(name)
    except KeyError:
        return None
    path = package.local_path(resource)
    if path is None or not path.is_file():
        return None
    try:
        table = read_strings(resource, path)
    except (OSError, UnicodeDecodeError, ValueError):
        return None  # frictionless reports unreadable files
    return _Table(name, str(resource["path"]), table.frame, table.lines)


def _integer(value: object) -> int | None:
    try:
        return int(str(value).strip()) if value is not None else None
    except ValueError:
        return None


def _number(value: object) -> float | None:
    try:
        number = float(str(value).strip()) if value is not None else None
    except ValueError:
        return None
    return number if number is not None and math.isfinite(number) else None


def _cell(row: pd.Series, column: str | None) -> str | None:
    if not column or column not in row.index:
        return None
    value = row[column]
    return None if value is None or value != value or value == "" else str(value)


def load_sources(package: OpenedPackage, spec: dict) -> tuple[dict[str, Source], list[Issue]]:
    """Read each declared source text, checking its hashes and its normalisation."""
    table = _read(package, spec.get("resource", "sources"))
    if table is None:
        return {}, []
    sources: dict[str, Source] = {}
    issues: list[Issue] = []
    for index, row in table.frame.iterrows():
        source_id = _cell(row, spec.get("id", "id"))
        if source_id is None:
            continue
        read: dict[str, str | None] = {}
        for role in ("raw", "text"):
            path_field, hash_field = spec.get(f"{role}Path"), spec.get(f"{role}Sha256")
            data, problem = _read_source_file(package, _cell(row, path_field))
            if problem:
                issues.append(table.issue(index, path_field, problem[0], problem[1]))
            if data is None:
                continue
            digest, declared = hashlib.sha256(data).hexdigest(), _cell(row, hash_field)
            if declared is not None and declared.lower() != digest:
                issues.append(
                    table.issue(
                        index,
                        hash_field,
                        "source-hash-mismatch",
                        f"The SHA-256 of {_cell(row, path_field)!r} is {digest}, not {declared}.",
                    )
                )
            try:
                read[role] = data.decode("utf-8")
            except UnicodeDecodeError:
                issues.append(
                    table.issue(
                        index,
                        path_field,
                        "source-encoding",
                        f"{_cell(row, path_field)!r} is not valid UTF-8 text.",
                    )
                )
        raw, text = read.get("raw"), read.get("text")
        if raw is not None and text is not None and normalise(raw) != text:
            at = _first_difference(normalise(raw), text)
            issues.append(
                table.issue(
                    index,
                    spec.get("textPath"),
                    "source-not-normalised",
                    f"The normalised text differs from the normalised raw text at offset {at}.",
                )
            )
        if text is None and raw is not None:
            text = normalise(raw)
        sources[source_id] = Source(source_id, text, find_figures(text) if text else [])
    return sources, issues


def _read_source_file(
    package: OpenedPackage, relative: str | None
) -> tuple[bytes | None, tuple[str, str] | None]:
    if relative is None:
        return None, None
    problem = path_problem(relative)
    target = package.root / relative
    if problem is None and not target.resolve().is_relative_to(package.root.resolve()):
        problem = "is a symbolic link leading out of the package"
    if problem is not None:
        return None, ("unsafe-path", f"Source path {relative!r} {problem}.")
    try:
        return target.read_bytes(), None
    except OSError:
        return None, ("source-missing", f"The source file {relative!r} cannot be read.")


def _first_difference(a: str, b: str) -> int:
    pairs = zip(a, b, strict=False)
    return next((i for i, (x, y) in enumerate(pairs) if x != y), min(len(a), len(b)))


def _spans(table: _Table, spec: dict, sources: dict[str, Source], text_field: str):
    """Rows that quote a readable source: (index, row, source, start, end, quoted text).

    Rows with missing cells or dangling keys are skipped: the other layers report those.
    """
    for index, row in table.frame.iterrows():
        source = sources.get(_cell(row, spec.get("source", "source_id")) or "")
        start, end = _integer(_cell(row, spec["start"])), _integer(_cell(row, spec["end"]))
        quoted = _cell(row, text_field)
        if source is not None and source.text is not None and None not in (start, end, quoted):
            yield index, row, source, start, end, quoted


def check_quotes(
    package: OpenedPackage, spec: dict, sources: dict[str, Source], coverage: Coverage
) -> list[Issue]:
    """Quotes equal their source at their offsets; figures equal what their quote states."""
    table = _read(package, spec.get("resource", ""))
    if table is None:
        return []
    issues: list[Issue] = []
    for index, row, source, start, end, quote in _spans(table, spec, sources, spec["quote"]):
        actual = source.text[start:end]
        if actual != quote:
            where = source.text.find(quote)
            hint = (
                f"; the quote stands at {where}-{where + len(quote)}"
                if where >= 0
                else "; the quote is nowhere in the source text"
            )
            issues.append(
                table.issue(
                    index,
                    spec["start"],
                    "quote-mismatch",
                    f"The source text at {start}-{end} is {actual!r}, not the quote{hint}.",
                )
            )
            continue
        if spec.get("figure"):
            row_id = _cell(row, spec.get("id", "id")) or f"line {table.lines[index]}"
            issues += _check_figure(table, index, row, spec, source, (start, end), row_id, coverage)
    return issues


def _check_figure(
    table: _Table,
    index: int,
    row: pd.Series,
    spec: dict,
    source: Source,
    span: tuple[int, int],
    row_id: str,
    coverage: Coverage,
) -> list[Issue]:
    fields = spec["figure"]
    inside = [f for f in source.figures if span[0] <= f.start and f.end <= span[1]]
    if not inside:
        return [
            table.issue(
                index,
                spec["quote"],
                "quote-without-figure",
                "The quote states no figure that the number reader can find.",
            )
        ]
    if len(inside) > 1:
        tokens = ", ".join(f.token for f in inside)
        return [
            table.issue(
                index,
                spec["quote"],
                "quote-several-figures",
                f"The quote holds {len(inside)} figures ({tokens}); quote only the clause of"
                " this row's figure.",
            )
        ]
    figure = inside[0]
    key = (source.id, figure.start, figure.end)
    if key in coverage.claimed:
        return [
            table.issue(
                index,
                spec["quote"],
                "figure-claimed-twice",
                f"{figure.token!r} is already claimed by {coverage.claimed[key]}.",
            )
        ]
    coverage.claimed[key] = row_id
    issues = []
    value = _number(_cell(row, fields.get("value")))
    if value is not None and not math.isclose(value, figure.value, rel_tol=1e-12):
        issues.append(
            table.issue(
                index,
                fields["value"],
                "figure-value-mismatch",
                f"The quote states {_plain(figure.value)} ({figure.token!r}), not {_plain(value)}.",
            )
        )
    unit = _cell(row, fields.get("unit"))
    if fields.get("unit") and (unit or "") != figure.unit:
        issues.append(
            table.issue(
                index,
                fields["unit"],
                "figure-unit-mismatch",
                f"The quote states the unit {figure.unit!r} ({figure.token!r}), not {unit!r}.",
            )
        )
    qualifier = _cell(row, fields.get("qualifier"))
    if qualifier is not None and qualifier != figure.qualifier:
        issues.append(
            table.issue(
                index,
                fields["qualifier"],
                "figure-qualifier-mismatch",
                f"{figure.token!r} reads as {figure.qualifier}, not {qualifier}.",
            )
        )
    base = _number(_cell(row, fields.get("valueBase")))
    if base is not None and value is not None and not issues:
        expected = value * figure.multiplier
        if not math.isclose(base, expected, rel_tol=1e-9):
            issues.append(
                table.issue(
                    index,
                    fields["valueBase"],
                    "value-base-mismatch",
                    f"{fields['valueBase']} must be {_plain(value)} × {_plain(figure.multiplier)}"
                    f" = {_plain(expected)} for the unit {figure.unit!r}, not {_plain(base)}.",
                )
            )
    clause = clause_bounds(source.text or "", figure.start, figure.end)
    if clause != span:
        issues.append(
            table.issue(
                index,
                spec["start"],
                "quote-not-clause",
                f"The quote should be the whole clause {source.text[clause[0] : clause[1]]!r}"
                f" at {clause[0]}-{clause[1]}.",
            )
        )
    return issues


def _plain(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else repr(float(number))


def check_non_figures(
    package: OpenedPackage, spec: dict, sources: dict[str, Source], coverage: Coverage
) -> list[Issue]:
    """Declared non-figures stand in their source and are numbers the reader finds."""
    table = _read(package, spec.get("resource", ""))
    if table is None:
        return []
    issues = []
    for index, row, source, start, end, token in _spans(table, spec, sources, spec["token"]):
        if source.text[start:end] != token:
            issues.append(
                table.issue(
                    index,
                    spec["start"],
                    "quote-mismatch",
                    f"The source text at {start}-{end} is {source.text[start:end]!r},"
                    f" not {token!r}.",
                )
            )
            continue
        reason = _cell(row, spec.get("reason", "reason")) or ""
        coverage.declared[(source.id, start, end)] = reason
        if not any(start < f.end and f.start < end for f in source.figures):
            issues.append(
                table.issue(
                    index,
                    spec["start"],
                    "non-figure-unused",
                    f"The number reader finds no figure at {start}-{end}; the row can go.",
                    severity="warning",
                )
            )
    return issues


def check_coverage(
    package: OpenedPackage, figures_resource: str, sources: dict[str, Source], coverage: Coverage
) -> list[Issue]:
    """Every figure the reader finds in a source is claimed or declared."""
    try:
        path = str(package.resource(figures_resource).get("path"))
    except KeyError:
        return []
    issues = []
    for source in sources.values():
        for figure in source.figures:
            if coverage.status(source.id, figure)[0] != "missing":
                continue
            qs, qe = clause_bounds(source.text or "", figure.start, figure.end)
            issues.append(
                Issue(
                    figures_resource,
                    path,
                    None,
                    None,
                    "figure-not-curated",
                    f"Source {source.id} states {figure.token!r} at {figure.start}-{figure.end}"
                    f" ({(source.text or '')[qs:qe]!r}), which no row claims: curate it or declare"
                    " it not a figure.",
                )
            )
    return issues


def coverage_of(package: OpenedPackage) -> tuple[dict[str, Source], Coverage]:
    """The package's sources and which of their figures are claimed or declared."""
    spec = declaration(package.descriptor) or {}
    if not isinstance(spec.get("sources"), dict):
        return {}, Coverage()
    sources, _ = load_sources(package, spec["sources"])
    coverage = Coverage()
    for quote_spec in spec.get("quotes") or []:
        check_quotes(package, quote_spec, sources, coverage)
    if isinstance(spec.get("nonFigures"), dict):
        check_non_figures(package, spec["nonFigures"], sources, coverage)
    return sources, coverage


def curator_view(article: str, package_path: str | os.PathLike[str], colour: bool = False) -> str:
    """For an article, each figure the reader finds: curated (by which row), declared not a
    figure (why), or missing; matched to the package's source with the same normalised text."""
    from .package import open_package

    text = normalise(article)
    with open_package(package_path) as package:
        sources, coverage = coverage_of(package)
    source = next((s for s in sources.values() if s.text == text), None)
    marks = {
        "curated": ("✓", "\033[32m"),
        "declared": ("·", "\033[2m"),
        "missing": ("✗", "\033[31m"),
    }
    out = [
        f"source {source.id}"
        if source
        else "no source in the package has this text: every figure is missing"
    ]
    counts = {"curated": 0, "declared": 0, "missing": 0}
    for figure in find_figures(text):
        status, detail = coverage.status(source.id, figure) if source else ("missing", "")
        counts[status] += 1
        qs, qe = clause_bounds(text, figure.start, figure.end)
        symbol, tint = marks[status]
        label = f"{symbol} {status:<8}"
        if colour:
            label = f"{tint}{label}\033[0m"
        note = f" [{detail}]" if detail else ""
        out.append(
            f"{label} {figure.token:<12} {figure.start:>5}-{figure.end:<5} {text[qs:qe]}{note}"
        )
    out.append(", ".join(f"{n} {status}" for status, n in counts.items()))
    return "\n".join(out) + "\n"
