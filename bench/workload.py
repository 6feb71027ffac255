"""Generate large synthetic metrics packages, valid and with injected faults, for benchmarks.

    python bench/workload.py --rows 1000000 [--rows 5000000] [--seed 1] [--out DIR]
        [--faults all|KIND,KIND] [--fault-rate 0.001] [--hashes] [--list-faults]

For each size it writes DIR/<rows>/valid/ and DIR/<rows>/invalid/, each a package of
datapackage.json, metrics.csv (nine columns, about 240 bytes a row, Chinese text) and
sources.csv (20 rows); with --hashes the descriptor declares each file's size and SHA-256
(as ../shared/bench/gen_metrics.py's packages, it declares none by default). The invalid
variant's truth.json lists every fault in it: its kind, the physical CSV line its row starts
on (the header is line 1), frictionless's row number for it, the field, and the error type
frictionless reports (null where frictionless accepts the cell: a tricky but valid cell).
Where frictionless also reports a primary-key error on the row (a repeated or empty id, a
blank row), `expected` names the other error.

A row holds at most one fault, and the kinds take turns down the file. `--faults all`, the
default, is every kind that keeps the package on opendata-jz's fast path; ragged rows are
offered by name only (see --list-faults).

The same rows, seed, kinds and rate give the same bytes. A size already written with the
same parameters (recorded in DIR/<rows>/workload.json) is not written again. Import the
module to build tables in memory: `build`, `corrupt`, `write_package`, `generate`.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from datetime import date
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

ROOT = Path(__file__).resolve().parents[1]
#: Raised whenever the same parameters would give different bytes.
FORMAT = 2
#: Rows held in one record batch, and so in one block of CSV text built at a time.
BLOCK = 1 << 18
#: The id's seven digits bound the rows a package can have.
MAX_ROWS = 9_999_999
PATTERN = "^jz-[a-z]{3}-[0-9]{7}$"

#: Category code, then its indicators, each with the unit it is counted in.
CATEGORIES: dict[str, list[tuple[str, str]]] = {
    "std": [("標準化試點示範項目", "個"), ("主導制定的國家標準", "項")],
    "pat": [("發明專利授權", "件"), ("有效發明專利", "件")],
    "crt": [("質量管理體系認證證書", "張"), ("獲證企業", "家")],
    "lab": [("重點實驗室", "個"), ("工程技術研究中心", "個")],
    "brd": [("地理標誌證明商標", "件"), ("馳名商標", "件")],
    "ent": [("高新技術企業", "家"), ("專精特新中小企業", "家次")],
    "tst": [("檢驗檢測機構", "家"), ("計量器具檢定", "臺件")],
    "qlt": [("質量提升項目投資", "萬元"), ("質量技能培訓", "人次")],
}
LEVELS = ["國家級", "省級", "市級", "縣級", "行業", "重點", "示範", "新認定"]
UNITS = ["個", "項", "張", "家", "家次", "臺件", "人次", "萬元", "件"]
#: Qualifier, and the word the quote puts before the figure.
QUALIFIERS = {
    "exact": "共",
    "more_than": "超過",
    "at_least": "不少於",
    "about": "約",
    "nearly": "近",
}
ISSUERS = [
    "市場監督管理局",
    "科學技術局",
    "知識產權局",
    "統計局",
    "工業和信息化局",
    "發展和改革委員會",
]
REMARKS = ["近日發布的數據顯示", "在年度工作總結中介紹", "發布的統計公報顯示", "在新聞發布會上通報"]
ENDINGS = [
    "，較上年同期增長明顯，帶動作用增強。",
    "，覆蓋全市主要產業集群和重點園區。",
    "，相關工作已列入本年度質量強市重點任務。",
    "，總量在全省各市中排名前列。",
]
SOURCES = 20
FIRST_DAY, LAST_DAY = date(2015, 1, 1).toordinal(), date(2025, 12, 31).toordinal()
_EPOCH = date(1970, 1, 1).toordinal()

COLUMNS = [
    "metric_id",
    "source_id",
    "category",
    "indicator",
    "value",
    "unit",
    "qualifier",
    "as_of",
    "quote",
]
SCHEMA = pa.schema([(name, pa.string()) for name in COLUMNS])
_INDICATORS = [
    (code, level + noun, unit)
    for code, nouns in CATEGORIES.items()
    for noun, unit in nouns
    for level in LEVELS
]
_FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def _full_width_point(value: str) -> str:
    """The number in full-width digits around a full-width decimal point."""
    whole, _, fraction = value.partition(".")
    return f"{whole}．{fraction or '0'}".translate(_FULL_WIDTH)


def descriptor() -> dict:
    """The package's descriptor: `metrics`, keyed by metric_id, citing `sources`."""

    def field(name: str, kind: str = "string", **constraints) -> dict:
        return {"name": name, "type": kind, "constraints": {"required": True, **constraints}}

    metrics = [
        field("metric_id", unique=True, pattern=PATTERN),
        field("source_id"),
        field("category", enum=list(CATEGORIES)),
        field("indicator"),
        field("value", "number", minimum=0),
        field("unit", enum=UNITS),
        field("qualifier", enum=list(QUALIFIERS)),
        field("as_of", "date"),
        {"name": "quote", "type": "string"},
    ]
    sources = [
        field("source_id", unique=True),
        field("name"),
        {"name": "url", "type": "string", "format": "uri"},
    ]
    table = {"format": "csv", "mediatype": "text/csv", "encoding": "utf-8"}
    return {
        "name": "jz-metrics-workload",
        "title": "Synthetic figure-level metrics, for benchmarks",
        "resources": [
            {
                "name": "metrics",
                "path": "metrics.csv",
                **table,
                "schema": {
                    "fields": metrics,
                    "primaryKey": ["metric_id"],
                    "foreignKeys": [
                        {
                            "fields": ["source_id"],
                            "reference": {"resource": "sources", "fields": ["source_id"]},
                        }
                    ],
                },
            },
            {
                "name": "sources",
                "path": "sources.csv",
                **table,
                "schema": {"fields": sources, "primaryKey": ["source_id"]},
            },
        ],
    }


def sources_csv() -> str:
    """The text of sources.csv: the 20 bulletins metrics cite, src-000 to src-019."""
    lines = ["source_id,name,url"]
    for number in range(SOURCES):
        issuer = ISSUERS[number % len(ISSUERS)]
        year = 2015 + number % 11
        lines.append(
            f"src-{number:03d},錦州市{issuer}{year}年第{number + 1}號統計公報,"
            f"https://example.org/jinzhou/bulletins/src-{number:03d}"
        )
    return "\n".join(lines) + "\n"


def _strings(values: Sequence[str], index: np.ndarray) -> pa.Array:
    return pa.array(values, pa.string()).take(pa.array(index))


def _digits(numbers: np.ndarray, width: int) -> pa.Array:
    """Each number as text, zero-padded to `width` digits (numbers below 10**width)."""
    return pc.utf8_slice_codeunits(pc.cast(pa.array(numbers + 10**width), pa.string()), 1)


def build(rows: int, seed: int) -> pa.Table:
    """`rows` valid metric rows, every cell a string as it is written, none missing."""
    if not 1 <= rows <= MAX_ROWS:
        raise ValueError(f"rows must be from 1 to {MAX_ROWS}, not {rows}")
    rng = np.random.default_rng(seed)
    indicator = rng.integers(0, len(_INDICATORS), rows)
    serial = rng.choice(MAX_ROWS, rows, replace=False) + 1
    source = rng.integers(0, SOURCES, rows)
    cents = np.clip(np.rint(rng.lognormal(8.0, 1.8, rows)), 100, 10**13).astype(np.int64)
    whole = rng.random(rows) < 0.6
    qualifier = rng.integers(0, len(QUALIFIERS), rows)
    day = rng.integers(FIRST_DAY, LAST_DAY + 1, rows) - _EPOCH
    issuer = rng.integers(0, len(ISSUERS) * len(REMARKS), rows)
    ending = rng.integers(0, len(ENDINGS), rows)

    codes = [code for code, _, _ in _INDICATORS]
    prefixes = [f"jz-{code}-" for code in codes]
    names = [name for _, name, _ in _INDICATORS]
    units = [unit for _, _, unit in _INDICATORS]
    openings = [f"錦州市{i}{r}，全市" for i in ISSUERS for r in REMARKS]
    words = list(QUALIFIERS.values())
    batches = []
    for start in range(0, rows, BLOCK):
        part = slice(start, start + BLOCK)
        ind = indicator[part]
        integral = pc.cast(pa.array(cents[part] // 100), pa.string())
        fraction = _digits(cents[part] % 100, 2)
        value = pc.if_else(
            pa.array(whole[part]), integral, pc.binary_join_element_wise(integral, fraction, ".")
        )
        unit = _strings(units, ind)
        name = _strings(names, ind)
        quote = pc.binary_join_element_wise(
            _strings(openings, issuer[part]),
            name,
            _strings(words, qualifier[part]),
            value,
            unit,
            _strings(ENDINGS, ending[part]),
            "",
        )
        columns = [
            pc.binary_join_element_wise(_strings(prefixes, ind), _digits(serial[part], 7), ""),
            pc.binary_join_element_wise("src", _digits(source[part], 3), "-"),
            _strings(codes, ind),
            name,
            value,
            unit,
            _strings(list(QUALIFIERS), qualifier[part]),
            pc.cast(pa.array(day[part].astype(np.int32), pa.date32()), pa.string()),
            quote,
        ]
        batches.append(pa.RecordBatch.from_arrays(columns, schema=SCHEMA))
    return pa.Table.from_batches(batches, schema=SCHEMA)


class Row(dict):
    """A row's cells before its fault, as a kind of fault sees them."""

    def __init__(self, cells: dict, turn: int, earlier: Callable[[bool], str]) -> None:
        super().__init__(cells)
        self.turn = turn  # how many faults of this kind came before
        self._earlier = earlier

    def pick(self, *options: str | None) -> str | None:
        """One of the options, taken in turn so each appears in a large enough package."""
        return options[self.turn % len(options)]

    def earlier_id(self, far: bool = False) -> str:
        """The id of an earlier row without a fault: the nearest, or one far back."""
        return self._earlier(far)


class Fault(NamedTuple):
    """A kind of fault: the cells it writes into a row and what frictionless makes of it."""

    field: str | None  # the field frictionless names; None for a fault of the whole row
    expected: str | None  # frictionless's error type; None where it accepts the row
    cells: Callable[[Row], dict[str, str | None]]
    about: str
    fast: bool = True  # opendata-jz's engine reads the package on its fast path


def _lines(text: str, turn: int) -> str:
    """The quote over two lines, or over three with a line of its own left empty."""
    head, comma, tail = text.partition("，")
    return head + comma + ("\n" if turn % 2 else "\n\n") + tail


FAULTS: dict[str, Fault] = {
    "bad_number": Fault("value", "type-error", lambda r: {"value": "N/A"}, "value N/A"),
    "negative_number": Fault(
        "value", "constraint-error", lambda r: {"value": "-" + r["value"]}, "value below 0"
    ),
    "duplicate_id": Fault(
        "metric_id",
        "unique-error",
        lambda r: {"metric_id": r.earlier_id()},
        "the id of the nearest earlier row",
    ),
    "pattern_id": Fault(
        "metric_id",
        "constraint-error",
        lambda r: {"metric_id": r["metric_id"].upper()},
        "an id in capitals, against the pattern",
    ),
    "enum_category": Fault(
        "category",
        "constraint-error",
        lambda r: {"category": r.pick("misc", "other")},
        "a category outside the enum",
    ),
    "enum_unit": Fault(
        "unit",
        "constraint-error",
        lambda r: {"unit": r.pick("公斤", "噸")},
        "a unit outside the enum",
    ),
    "missing_required": Fault(
        "indicator", "constraint-error", lambda r: {"indicator": None}, "no indicator"
    ),
    "bad_date": Fault("as_of", "type-error", lambda r: {"as_of": "2023-13-45"}, "date 2023-13-45"),
    "fk_violation": Fault(
        "source_id", "foreign-key", lambda r: {"source_id": "src-999"}, "a source not in sources"
    ),
    "impossible_date": Fault(
        "as_of",
        "type-error",
        lambda r: {"as_of": r.pick("2023-02-30", "2023-02-29", "2022-04-31", "2100-02-29")},
        "a day the month does not have",
    ),
    "leap_day": Fault(
        "as_of", None, lambda r: {"as_of": r.pick("2024-02-29", "2000-02-29")}, "a real 29 February"
    ),
    "number_exponent": Fault(
        "value", None, lambda r: {"value": r.pick("1.5e3", "2E-2", "7e+1")}, "a number as 1.5e3"
    ),
    "number_padded": Fault(
        "value",
        None,
        lambda r: {"value": r.pick(f" {r['value']}", f"{r['value']} ", f"  {r['value']}  ")},
        "a number with spaces around it",
    ),
    "number_plus": Fault("value", None, lambda r: {"value": "+" + r["value"]}, "a number as +7"),
    "number_grouped": Fault(
        "value",
        "type-error",
        lambda r: {"value": r.pick("1,000", "12,345.6", "1,234,567")},
        "a number with thousands separators",
    ),
    "number_fullwidth": Fault(
        "value",
        None,
        lambda r: {"value": r["value"].translate(_FULL_WIDTH)},
        "a number in full-width digits",
    ),
    "number_fullwidth_point": Fault(
        "value",
        "type-error",
        lambda r: {"value": _full_width_point(r["value"])},
        "a number with a full-width decimal point",
    ),
    "quoted_empty": Fault(
        "indicator", "constraint-error", lambda r: {"indicator": ""}, 'an indicator written ""'
    ),
    "enum_padded": Fault(
        "category",
        "constraint-error",
        lambda r: {"category": r.pick(f" {r['category']}", f"{r['category']} ")},
        "a category with a space around it",
    ),
    "blank_row": Fault(None, "blank-row", lambda r: dict.fromkeys(r), "every cell empty"),
    "empty_line": Fault(None, "blank-row", lambda r: dict.fromkeys(r), "an empty line"),
    "multiline_quote": Fault(
        "quote", None, lambda r: {"quote": _lines(r["quote"], r.turn)}, "a quote over several lines"
    ),
    "quote_delimiters": Fault(
        "quote",
        None,
        lambda r: {"quote": r["quote"].replace("，", ', "', 1).replace("，", '", ', 1)},
        "a quote holding commas and double quotes",
    ),
    "empty_id": Fault(
        "metric_id", "constraint-error", lambda r: {"metric_id": r.pick(None, "")}, "no id"
    ),
    "early_duplicate": Fault(
        "metric_id",
        "unique-error",
        lambda r: {"metric_id": r.earlier_id(far=True)},
        "the id of a row far earlier",
    ),
    "placeholder_text": Fault(
        "indicator",
        None,
        lambda r: {"indicator": r.pick("N/A", "null", "NA", "-")},
        "a placeholder as the indicator",
    ),
    "formula_text": Fault(
        "quote", None, lambda r: {"quote": r.pick("=", "@", "+") + r["quote"]}, "a formula start"
    ),
    "fk_padded": Fault(
        "source_id",
        "foreign-key",
        lambda r: {"source_id": r.pick(f"{r['source_id']} ", f" {r['source_id']}")},
        "a source id with a space around it",
    ),
    # Numbers Arrow cannot hold: frictionless's verdict, taken cell by cell.
    "number_nan": Fault(
        "value", "constraint-error", lambda r: {"value": r.pick("NaN", "nan")}, "NaN"
    ),
    "number_infinite": Fault(
        "value", None, lambda r: {"value": r.pick("Infinity", "inf")}, "Infinity"
    ),
    "number_long": Fault(
        "value", None, lambda r: {"value": "12345678901234567890"}, "a 20-digit number"
    ),
    # Off the engine's fast path: opendata-jz leaves these packages to frictionless.
    "missing_cell": Fault(
        "quote", "missing-cell", lambda r: {"quote": None}, "a row one cell short", fast=False
    ),
    "extra_cell": Fault(None, "extra-cell", lambda r: {}, "a row one cell long", fast=False),
}
#: Every kind the engine reads on its fast path: what `--faults all` means.
DEFAULT_KINDS = tuple(name for name, fault in FAULTS.items() if fault.fast)
#: Faults written into the line rather than into a cell.
_LINE_FAULTS = {"empty_line", "missing_cell", "extra_cell"}


def corrupt(
    table: pa.Table, seed: int, kinds: Iterable[str] = DEFAULT_KINDS, rate: float = 0.001
) -> tuple[pa.Table, list[dict]]:
    """The table with faults in about `rate` of its rows (one of each kind at least), and
    the faults: kind, line (physical, header = 1), row (frictionless's), field, expected.

    A fault of a line rather than a cell (an empty line, a cell short or long) leaves its
    row's cells empty as needed; `write_package` writes the line itself.
    """
    kinds = list(kinds)
    unknown = sorted(set(kinds) - set(FAULTS))
    if unknown or not kinds:
        raise ValueError(f"unknown fault kinds: {unknown or 'none given'}")
    rows = table.num_rows
    count = max(len(kinds), round(rows * rate))
    if count > (rows - 1) // 2:
        raise ValueError(f"{count} faults need at least {2 * count + 1} rows, not {rows}")
    rng = np.random.default_rng([seed, 1])
    chosen = np.sort(rng.choice(rows - 1, count, replace=False) + 1)  # row 0 stays clean
    order = rng.permutation(len(kinds))
    faulted = set(chosen.tolist())
    ids = table.column("metric_id")

    def earlier(row: int) -> Callable[[bool], str]:
        def find(far: bool) -> str:
            target = int(rng.integers(0, max(1, row // 10))) if far else row - 1
            while target in faulted:
                target -= 1
            return ids[target].as_py()

        return find

    edits: dict[str, dict[int, str | None]] = {name: {} for name in table.column_names}
    turns: Counter[str] = Counter()
    placed = []
    for position, (row, cells) in enumerate(
        zip(chosen.tolist(), table.take(pa.array(chosen)).to_pylist(), strict=True)
    ):
        kind = kinds[order[position % len(kinds)]]
        fault = FAULTS[kind]
        for name, cell in fault.cells(Row(cells, turns[kind], earlier(row))).items():
            edits[name][row] = cell
        turns[kind] += 1
        placed.append((kind, row))

    batches, start = [], 0
    for batch in table.to_batches():
        end = start + batch.num_rows
        columns = [
            _replace(column, here) if (here := _within(edits[name], start, end)) else column
            for name, column in zip(table.column_names, batch.columns, strict=True)
        ]
        batches.append(pa.RecordBatch.from_arrays(columns, schema=table.schema))
        start = end
    corrupted = pa.Table.from_batches(batches, schema=table.schema)

    broken, breaks = _line_breaks(corrupted)
    faults = []
    for kind, row in placed:
        line = row + 2 + int(breaks[broken < row].sum())
        fault = FAULTS[kind]
        faults.append(
            {
                "kind": kind,
                "line": line,
                "row": row + 2,
                "field": fault.field,
                "expected": fault.expected,
            }
        )
    return corrupted, faults


def _within(cells: dict[int, str | None], start: int, end: int) -> dict[int, str | None]:
    """The cells of rows start to end, numbered from start."""
    return {row - start: cell for row, cell in cells.items() if start <= row < end}


def _replace(column: pa.Array, cells: dict[int, str | None]) -> pa.Array:
    mask = np.zeros(len(column), dtype=bool)
    mask[list(cells)] = True
    values = pa.array([cells[i] for i in sorted(cells)], pa.string())
    return pc.replace_with_mask(column, pa.array(mask), values)


def _offsets(column: pa.Array) -> np.ndarray:
    offsets = np.frombuffer(column.buffers()[1], dtype=np.int32)
    return offsets[column.offset : column.offset + len(column) + 1]


def _rows_holding(column: pa.Array, needle: bytes) -> np.ndarray:
    """The index of the cell each occurrence of `needle` in the column falls in."""
    data = column.buffers()[2]
    if data is None or not len(column):
        return np.empty(0, dtype=np.int64)
    offsets = _offsets(column)
    text = memoryview(data)[offsets[0] : offsets[-1]]
    found = [match.start() for match in re.finditer(re.escape(needle), text)]
    return np.searchsorted(offsets, np.array(found, dtype=np.int64) + offsets[0], "right") - 1


def _line_breaks(table: pa.Table) -> tuple[np.ndarray, np.ndarray]:
    """The rows whose cells hold line breaks, and how many each holds."""
    found, start = [], 0
    for batch in table.to_batches():
        found += [_rows_holding(column, b"\n") + start for column in batch.columns]
        start += batch.num_rows
    return np.unique(np.concatenate([np.empty(0, dtype=np.int64), *found]), return_counts=True)


def _quoted(column: pa.Array) -> pa.Array:
    """The column as CSV cells: quoted where a cell holds a delimiter, a quote or a line
    break, or is empty (so that it differs from a missing cell, written as nothing)."""
    rows = [_rows_holding(column, needle) for needle in (b'"', b",", b"\n", b"\r")]
    empty = np.diff(_offsets(column)) == 0
    if column.null_count:
        empty &= np.asarray(column.is_valid())
    rows = np.unique(np.concatenate([*rows, np.flatnonzero(empty)]))
    if not len(rows):
        return column
    cells = column.take(pa.array(rows)).to_pylist()
    quoted = ['"' + cell.replace('"', '""') + '"' for cell in cells]
    return _replace(column, dict(zip(rows.tolist(), quoted, strict=True)))


def _write_csv(path: Path, table: pa.Table, lines: dict[int, str]) -> None:
    """Write the table as CSV ("\\n" line ends), the faults of whole lines in `lines`."""
    with open(path, "wb") as out:
        out.write((",".join(table.column_names) + "\n").encode("utf-8"))
        start = 0
        for batch in table.to_batches():
            cells = [_quoted(column) for column in batch.columns]
            last = pc.binary_join_element_wise(cells[-1], "\n", "", null_handling="replace")
            text = pc.binary_join_element_wise(*cells[:-1], last, ",", null_handling="replace")
            edits = {}
            for row, kind in lines.items():
                if start <= row < start + batch.num_rows:
                    here = [cell[row - start].as_py() or "" for cell in cells]
                    if kind == "empty_line":
                        here = []
                    elif kind == "missing_cell":
                        here = here[:-1]
                    elif kind == "extra_cell":
                        here.append("extra")
                    edits[row - start] = ",".join(here) + "\n"
            if edits:
                text = _replace(text, edits)
            offsets = _offsets(text)
            out.write(memoryview(text.buffers()[2])[offsets[0] : offsets[-1]])
            start += batch.num_rows


def write_package(
    directory: Path | str,
    table: pa.Table,
    faults: list[dict] | None = None,
    hashes: bool = False,
) -> Path:
    """Write the table as the package's metrics.csv, with sources.csv, datapackage.json and,
    given the faults `corrupt` put in the table, truth.json; with `hashes`, the descriptor
    declares each file's size and SHA-256. Returns the directory."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    lines = {f["row"] - 2: f["kind"] for f in faults or [] if f["kind"] in _LINE_FAULTS}
    _write_csv(directory / "metrics.csv", table, lines)
    (directory / "sources.csv").write_text(sources_csv(), encoding="utf-8", newline="\n")
    package = descriptor()
    for resource in package["resources"] if hashes else []:
        resource["bytes"], resource["hash"] = _file_facts(directory / resource["path"])
    text = json.dumps(package, ensure_ascii=False, indent=2) + "\n"
    (directory / "datapackage.json").write_text(text, encoding="utf-8", newline="\n")
    truth = directory / "truth.json"
    if faults is None:
        truth.unlink(missing_ok=True)
    else:
        text = json.dumps({"faults": faults}, ensure_ascii=False, indent=1) + "\n"
        truth.write_text(text, encoding="utf-8", newline="\n")
    return directory


def _file_facts(path: Path) -> tuple[int, str]:
    """A file's size and its SHA-256, as a descriptor declares them."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 22):
            digest.update(chunk)
    return path.stat().st_size, f"sha256:{digest.hexdigest()}"


def generate(
    rows: int,
    out: Path | str,
    seed: int = 1,
    kinds: Iterable[str] = DEFAULT_KINDS,
    rate: float = 0.001,
    hashes: bool = False,
) -> Path:
    """Write out/<rows>/valid and out/<rows>/invalid, unless they are there already for
    these parameters; returns out/<rows>."""
    base = Path(out) / str(rows)
    stamp = {"rows": rows, "seed": seed, "kinds": list(kinds), "rate": rate, "format": FORMAT}
    stamp["hashes"] = hashes
    recorded = base / "workload.json"
    written = [base / v / f for v in ("valid", "invalid") for f in ("metrics.csv", "sources.csv")]
    if all(path.is_file() for path in [recorded, *written]) and stamp == json.loads(
        recorded.read_text(encoding="utf-8")
    ):
        return base
    recorded.unlink(missing_ok=True)
    table = build(rows, seed)
    write_package(base / "valid", table, hashes=hashes)
    corrupted, faults = corrupt(table, seed, stamp["kinds"], rate)
    del table
    write_package(base / "invalid", corrupted, faults, hashes=hashes)
    recorded.write_text(json.dumps(stamp, indent=2) + "\n", encoding="utf-8")
    return base


def parse_kinds(text: str) -> list[str]:
    """Comma-separated kinds, `all` standing for every kind on the fast path, as a list."""
    kinds: list[str] = []
    for name in text.split(","):
        name = name.strip()
        for kind in DEFAULT_KINDS if name == "all" else [name]:
            if kind and kind not in kinds:
                kinds.append(kind)
    unknown = [kind for kind in kinds if kind not in FAULTS]
    if unknown or not kinds:
        raise argparse.ArgumentTypeError(f"unknown fault kinds {unknown}; see --list-faults")
    return kinds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, action="append", help="rows (repeatable)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    parser.add_argument("--faults", type=parse_kinds, default=list(DEFAULT_KINDS))
    parser.add_argument("--fault-rate", type=float, default=0.001)
    parser.add_argument(
        "--hashes", action="store_true", help="declare each file's bytes and SHA-256"
    )
    parser.add_argument("--list-faults", action="store_true", help="list the kinds and exit")
    args = parser.parse_args()
    if args.list_faults:
        for name, fault in FAULTS.items():
            where = "" if fault.fast else "  (not in `all`: off the fast path)"
            print(
                f"{name:22} {fault.field or '-':10} {fault.expected or '-':17} {fault.about}{where}"
            )
        return
    for rows in args.rows or [1_000_000]:
        start = time.perf_counter()
        try:
            base = generate(rows, args.out, args.seed, args.faults, args.fault_rate, args.hashes)
        except ValueError as error:
            sys.exit(str(error))
        wall = time.perf_counter() - start
        size = (base / "valid" / "metrics.csv").stat().st_size
        truth = json.loads((base / "invalid" / "truth.json").read_text(encoding="utf-8"))
        print(
            f"{rows} rows in {base}: {size / 2**20:.1f} MiB ({size / rows:.0f} bytes a row), "
            f"{len(truth['faults'])} faults, {wall:.1f} s"
        )


if __name__ == "__main__":
    main()
