"""Stricter cell rules than a Table Schema states, each with its own issue code.

frictionless accepts these cells, but a curator almost never means them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .report import Issue, Severity

if TYPE_CHECKING:
    import pandas as pd


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
        add(
            FULL_WIDTH_DIGITS,
            digits,
            "{value!r} uses non-ASCII digits; write it with ASCII digits 0-9.",
        )
    if kind == "number":
        add(
            NON_FINITE,
            present.str.match(_NON_FINITE),
            "{value!r} is not a finite number; leave the cell empty if the value is unknown.",
        )
    if kind == "string":
        required = bool((field.get("constraints") or {}).get("required"))
        if required:
            add(
                MISSING_LITERAL,
                present.isin(PLACEHOLDERS),
                "{value!r} is a placeholder in a required field; give the real value.",
            )
        formula = present.str.startswith(FORMULA_START) & ~present.str.match(
            r"^[+-]?[0-9]", case=True
        )
        add(
            SPREADSHEET_FORMULA,
            formula,
            "{value!r} starts like a spreadsheet formula and may run as one when the CSV is"
            " opened in a spreadsheet; rephrase it if it is not meant as a formula.",
        )
    return found
