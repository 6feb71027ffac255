"""Map a CSV's record numbers to the physical lines where the records start.

frictionless numbers rows by record (header = 1); a quoted cell that spans lines makes the
record number drift from the line a curator sees in an editor.
"""

from __future__ import annotations

import codecs
import csv
from pathlib import Path

_TEXT_FORMATS = {"csv", "tsv", "txt", ""}


def is_plain_csv(resource: dict, path: Path) -> bool:
    """Whether the resource is an uncompressed delimited text file we can re-read by line."""
    fmt = str(resource.get("format") or path.suffix.lstrip(".")).lower()
    compression = resource.get("compression")
    return fmt in _TEXT_FORMATS and not compression and path.suffix.lower() not in (".gz", ".zip")


def csv_reader_options(resource: dict) -> dict:
    """Python csv options equivalent to the resource's CSV dialect."""
    dialect = resource.get("dialect")
    dialect = dialect if isinstance(dialect, dict) else {}
    csv_dialect = dialect.get("csv") if isinstance(dialect.get("csv"), dict) else dialect
    options: dict = {
        "delimiter": csv_dialect.get("delimiter", "\t" if resource.get("format") == "tsv" else ","),
        "quotechar": csv_dialect.get("quoteChar", '"'),
        "doublequote": csv_dialect.get("doubleQuote", True),
        "skipinitialspace": csv_dialect.get("skipInitialSpace", False),
    }
    if csv_dialect.get("escapeChar"):
        options["escapechar"] = csv_dialect["escapeChar"]
    return options


def has_header(resource: dict) -> bool:
    """Whether the resource has a header row (the default)."""
    dialect = resource.get("dialect")
    return not (isinstance(dialect, dict) and dialect.get("header") is False)


#: Records frictionless samples to find the header row.
SAMPLE_ROWS = 100


def header_record(resource: dict, sample: list[list[str]]) -> int | None:
    """1-based number of the header record, found as frictionless finds it; None if none.

    Unless the dialect says where the header is, frictionless takes the first record whose
    width is within 10% of the sample's average width, which skips leading notes.
    """
    dialect = resource.get("dialect")
    dialect = dialect if isinstance(dialect, dict) else {}
    if dialect.get("header") is False:
        return None
    declared = dialect.get("headerRows")
    if isinstance(declared, list) and declared and isinstance(declared[-1], int):
        return declared[-1]
    if "header" in dialect or not sample:
        return 1
    width = round(sum(len(cells) for cells in sample) / len(sample))
    drift = max(round(width * 0.1), 1)
    for number, cells in enumerate(sample, start=1):
        if width - drift <= len(cells) <= width + drift:
            return number
    return 1


def text_encoding(resource: dict) -> str:
    """The codec to read the resource with; a UTF-8 BOM is dropped as frictionless does."""
    encoding = str(resource.get("encoding") or "utf-8")
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        return "utf-8-sig"
    return "utf-8-sig" if name == "utf-8" else encoding


def record_start_lines(resource: dict, path: Path) -> list[int] | None:
    """Physical start line of each record (index 0 = record 1), or None if not line-mappable."""
    if not is_plain_csv(resource, path):
        return None
    starts: list[int] = []
    try:
        with open(path, encoding=text_encoding(resource), newline="", errors="replace") as handle:
            reader = csv.reader(handle, **csv_reader_options(resource))
            next_line = 1
            for _ in reader:
                starts.append(next_line)
                next_line = reader.line_num + 1
    except (OSError, csv.Error, TypeError, ValueError):
        return None
    return starts


def physical_line(starts: list[int] | None, row_number: int | None) -> int | None:
    """The physical line of frictionless's `rowNumber`, falling back to the number itself."""
    if row_number is None:
        return None
    if starts is None or not 1 <= row_number <= len(starts):
        return row_number
    return starts[row_number - 1]


def undecodable_line(resource: dict, path: Path) -> tuple[int, int] | None:
    """(line, byte offset) of the first byte the declared encoding cannot decode, if any."""
    data = path.read_bytes()
    encoding = text_encoding(resource)
    try:
        data.decode(encoding)
    except UnicodeDecodeError as error:
        return data.count(b"\n", 0, error.start) + 1, error.start
    except LookupError:
        return None
    return None
