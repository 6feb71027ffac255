"""Stricter cell rules than a Table Schema states, each with its own issue code.

frictionless accepts these cells, but a curator almost never means them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from .report import Issue, Severity

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
    import pyarrow as pa


@dataclass(frozen=True)
class CellRule:
    code: str
    severity: Severity
    reason: str


FULL_WIDTH_DIGITS = CellRule(
    "non-ascii-digits",
    "error",
    "Digits other than ASCII 0-9 (such as full-width １２３) look like a number to people and"
    " to frictionless, but not to most other tools.",
)
NON_FINITE = CellRule(
    "non-finite-number",
    "error",
    "NaN and Infinity are not figures; leave the cell empty when a value is unknown.",
)
MISSING_LITERAL = CellRule(
    "missing-value-literal",
    "error",
    "A placeholder such as N/A in a required field hides a missing value.",
)
SPREADSHEET_FORMULA = CellRule(
    "spreadsheet-formula",
    "warning",
    "A cell starting with = + - @, tab or CR can run as a formula when the CSV is opened in"
    " a spreadsheet.",
)
RULES = (FULL_WIDTH_DIGITS, NON_FINITE, MISSING_LITERAL, SPREADSHEET_FORMULA)

_NON_ASCII_DIGIT = re.compile(r"[^\x00-\x7f]")
_NON_FINITE = re.compile(r"^\s*[+-]?(nan|snan|inf|infinity)\s*$", re.IGNORECASE)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
PLACEHOLDERS = frozenset({"NA", "N/A", "n/a", "na", "NaN", "nan", "null", "NULL", "None", "-"})

_ANY_DIGIT = re.compile(r"\d")
_SIGNED_DIGIT = re.compile(r"^[+-]?[0-9]")
_MESSAGES = {
    FULL_WIDTH_DIGITS: "{value!r} uses non-ASCII digits; write it with ASCII digits 0-9.",
    NON_FINITE: "{value!r} is not a finite number; leave the cell empty if the value is unknown.",
    MISSING_LITERAL: "{value!r} is a placeholder in a required field; give the real value.",
    SPREADSHEET_FORMULA: "{value!r} starts like a spreadsheet formula and may run as one when"
    " the CSV is opened in a spreadsheet; rephrase it if it is not meant as a formula.",
}


def cell_issues(
    column: pd.Series,
    field: dict,
    missing: list[str],
    resource: str,
    path: str,
    lines: list[int],
) -> list[Issue]:
    """Issues of the stricter rules for one column of raw strings."""
    kind = field.get("type", "string")
    name = str(field.get("name"))
    present = column[~column.isin(missing) & column.notna()]
    found: list[Issue] = []

    def add(rule: CellRule, mask: pd.Series, message: str) -> None:
        for index, value in present[mask.fillna(False).astype(bool)].items():
            found.append(
                Issue(
                    resource,
                    path,
                    lines[index],
                    name,
                    rule.code,
                    message.format(value=value),
                    rule.severity,
                )
            )

    if kind in ("integer", "number", "year"):
        digits = present.str.contains(r"\d", regex=True) & present.str.contains(
            _NON_ASCII_DIGIT, regex=True
        )
        add(FULL_WIDTH_DIGITS, digits, _MESSAGES[FULL_WIDTH_DIGITS])
    if kind == "number":
        add(NON_FINITE, present.str.match(_NON_FINITE), _MESSAGES[NON_FINITE])
    if kind == "string":
        required = bool((field.get("constraints") or {}).get("required"))
        if required:
            add(MISSING_LITERAL, present.isin(PLACEHOLDERS), _MESSAGES[MISSING_LITERAL])
        formula = present.str.startswith(FORMULA_START) & ~present.str.match(
            r"^[+-]?[0-9]", case=True
        )
        add(SPREADSHEET_FORMULA, formula, _MESSAGES[SPREADSHEET_FORMULA])
    return found


def broken_rules(value: str, kind: str, required: bool) -> list[CellRule]:
    """The rules one present cell breaks: `cell_issues`'s verdict, one cell at a time."""
    broken = []
    numeric = kind in ("integer", "number", "year")
    if numeric and _ANY_DIGIT.search(value) and _NON_ASCII_DIGIT.search(value):
        broken.append(FULL_WIDTH_DIGITS)
    if kind == "number" and _NON_FINITE.match(value):
        broken.append(NON_FINITE)
    if kind == "string":
        if required and value in PLACEHOLDERS:
            broken.append(MISSING_LITERAL)
        if value.startswith(FORMULA_START) and not _SIGNED_DIGIT.match(value):
            broken.append(SPREADSHEET_FORMULA)
    return broken


def arrow_cell_issues(
    raw: pa.Array,
    missing: np.ndarray,
    field: dict,
    resource: str,
    path: str,
    lines: np.ndarray,
    settled: np.ndarray | None = None,
) -> list[Issue]:
    """`cell_issues` over an Arrow column of raw strings (`missing` marks the cells holding a
    missing value, `settled` those known to hold only ASCII digits, sign, point and dashes).
    Arrow compute finds the few cells that could break a rule; only those are looked at one
    by one."""
    import numpy as np

    kind = field.get("type", "string")
    required = bool((field.get("constraints") or {}).get("required"))
    unsettled = ~missing if settled is None else ~missing & ~settled
    if not unsettled.any():
        return []
    if settled is None or not settled.any():
        suspects = _suspects(raw, kind, required)
    else:
        from .arrays import bools

        # Judge only the unsettled cells (in a number column, the few odd ones).
        indices = np.flatnonzero(unsettled)
        found = _suspects(raw.filter(bools(unsettled)), kind, required)
        suspects = None
        if found is not None:
            suspects = np.zeros(len(raw), dtype=bool)
            suspects[indices[found]] = True
    if suspects is None:
        return []
    found = []
    name = str(field.get("name"))
    for index in np.flatnonzero(suspects & ~missing):
        value = raw[int(index)].as_py()
        for rule in broken_rules(value, kind, required):
            message = _MESSAGES[rule].format(value=value)
            line = int(lines[index])
            found.append(Issue(resource, path, line, name, rule.code, message, rule.severity))
    return found


@cache
def _byte_table(characters: frozenset[str]) -> np.ndarray:
    """A lookup table: which bytes are one of these (ASCII) characters."""
    import numpy as np

    table = np.zeros(256, dtype=bool)
    table[[ord(c) for c in characters]] = True
    return table


_FORMULA_BYTES = frozenset(FORMULA_START)
_PLACEHOLDER_BYTES = frozenset(p[0] for p in PLACEHOLDERS)
_PLACEHOLDER_LENGTH = max(len(p) for p in PLACEHOLDERS)


def _suspects(raw: pa.Array, kind: str, required: bool) -> np.ndarray | None:
    """A mask of the cells that could break a rule (a superset), or None if none can."""
    import pyarrow.compute as pc

    from .arrays import true_mask

    if kind in ("integer", "number", "year"):
        # Every rule of a number needs a non-ASCII character or the letters of nan or inf.
        odd = pc.invert(pc.string_is_ascii(raw))
        if kind == "number":
            odd = pc.or_(odd, pc.match_substring(raw, "nan", ignore_case=True))
            odd = pc.or_(odd, pc.match_substring(raw, "inf", ignore_case=True))
        return true_mask(odd)
    if kind != "string":
        return None
    first, length = _leading_bytes(raw)
    starters = _FORMULA_BYTES | (_PLACEHOLDER_BYTES if required else frozenset())
    if not _byte_table(starters)[first].any():
        return None  # no cell starts like a formula or a placeholder: the common case
    second = _second_bytes(raw, length)
    suspects = _byte_table(_FORMULA_BYTES)[first] & (length > 0)
    # `+5` and `-5` start like a formula but are numbers.
    signed = ((first == ord("+")) | (first == ord("-"))) & (second >= 48) & (second <= 57)
    suspects &= ~(signed & (length > 1))
    if required:
        short = (length > 0) & (length <= _PLACEHOLDER_LENGTH)
        suspects |= short & _byte_table(_PLACEHOLDER_BYTES)[first]
    return suspects


def _leading_bytes(raw: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """The first byte of every cell (0 if it is empty) and its length in bytes."""
    import numpy as np

    starts, text = _cell_text(raw)
    length = np.diff(starts)
    first = text[np.minimum(starts[:-1], len(text) - 1)]
    first[length == 0] = 0
    return first, length


def _second_bytes(raw: pa.Array, length: np.ndarray) -> np.ndarray:
    """The second byte of every cell (0 where it has fewer than two)."""
    import numpy as np

    starts, text = _cell_text(raw)
    second = text[np.minimum(starts[:-1] + 1, len(text) - 1)]
    second[length < 2] = 0
    return second


def _cell_text(raw: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Where each cell starts (and the last ends) in the text, and the text as bytes."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    if not pa.types.is_string(raw.type):
        raw = raw.cast(pa.string())
    from .arrays import scalar

    if raw.null_count:
        raw = pc.fill_null(raw, scalar("", pa.string()))
    _, offsets, data = raw.buffers()
    starts = np.frombuffer(offsets, np.int32)[raw.offset : raw.offset + len(raw) + 1]
    text = np.zeros(1, np.uint8)
    if data is not None and data.size:
        text = np.frombuffer(data, np.uint8)
    return starts, text
