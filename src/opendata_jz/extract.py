"""Candidate figures from an article, as rows for CSV or JSON (stdlib only)."""

from __future__ import annotations

import csv
import io
import json

from opendata_jz.text import clause_bounds, find_figures, normalise

EXTRACT_COLUMNS = [
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


def extract(text: str) -> list[dict]:
    """One row per figure in ``text`` (raw or normalised); offsets refer to the normalised text."""
    norm = normalise(text)
    rows = []
    for f in find_figures(norm):
        quote_start, quote_end = clause_bounds(norm, f.start, f.end)
        value = f.value
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        rows.append(
            {
                "value": value,
                "unit": f.unit,
                "qualifier": f.qualifier,
                "token": f.token,
                "start": f.start,
                "end": f.end,
                "quote": norm[quote_start:quote_end],
                "quote_start": quote_start,
                "quote_end": quote_end,
            }
        )
    return rows


def to_csv(rows: list[dict]) -> str:
    """Rows as CSV text with the ``EXTRACT_COLUMNS`` header and ``\\n`` line ends."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=EXTRACT_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


def to_json(rows: list[dict]) -> str:
    """Rows as a JSON list of objects, UTF-8 characters kept, two-space indent."""
    return json.dumps(rows, ensure_ascii=False, indent=2) + "\n"
