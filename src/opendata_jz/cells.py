"""frictionless's cell semantics over whole Arrow columns: missing values, casting, constraints.

Each column is split in two. Cells in a plain form (`-12`, `3.25`, `2024-05-01`, any text
without a pattern) are cast and checked with Arrow compute; the rest, rare in real files,
go one by one through frictionless's own cell reader, so the verdict on every cell is
frictionless's by construction. Plain forms are chosen so that Arrow's result cannot differ:
at most 15 significant digits for numbers (so float order equals decimal order), years from
1000 for dates, and no line break before a pattern's `$`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .arrays import (
    FALSE,
    ZERO,
    array,
    bools,
    byte_lengths,
    has_line_break,
    numpy,
    only,
    scalar,
    true_mask,
)
from .calendar_cells import plain_dates, plain_datetimes
from .frictionless_checks import describe
from .patterns import byte_classes, matches
from .report import Issue

_PLAIN = {
    "integer": r"^-?[0-9]{1,18}$",
    "number": r"^-?[0-9]{1,15}(\.[0-9]{1,15})?$",
    "date": r"^[1-9][0-9]{3}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$",
    "year": r"^[0-9]{4}$",
}
#: Arrow type of the cast values of each type the engine casts and keys on.
ARROW_TYPES = {"string": pa.string(), "integer": pa.int64(), "number": pa.float64()}
ARROW_TYPES.update({"date": pa.date32(), "year": pa.int64()})
#: ... and of each type it casts (booleans and datetimes are cast, but no key compares them).
CAST_TYPES = {**ARROW_TYPES, "boolean": pa.bool_(), "datetime": pa.timestamp("s")}
#: The plain form of a boolean: a cell that is one of the field's true or false values.
_BOOLEAN = "true or false values"
#: The plain form of a datetime: YYYY-MM-DDTHH:MM:SS.
_DATETIME = "YYYY-MM-DDTHH:MM:SS"
_BOUNDS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")
_COMPARE = {
    "minimum": pc.greater_equal,
    "maximum": pc.less_equal,
    "exclusiveMinimum": pc.greater,
    "exclusiveMaximum": pc.less,
}
# Pattern syntax whose meaning is the same in Python's re and in Arrow's RE2.
_RE2_SAFE = re.compile(r"^(?:[^\\]|\\[.\-\[\]{}()*+?^$|\\/])*$")
_RE2_UNSAFE = re.compile(r"\(\?|\\[0-9]")


class Unsupported(Exception):
    """The engine cannot give frictionless's verdict here; frictionless must read the file."""


@dataclass
class Checked:
    """One column of a batch after casting: typed values (null where missing or invalid) and
    masks of the missing cells, of those that failed to cast, and of those in a plain form
    (`-12`, `3.25`, `2024-05-01`: ASCII digits, sign, point and dashes only) cast by Arrow."""

    values: pa.Array
    missing: np.ndarray
    invalid: np.ndarray
    plain: np.ndarray


class FieldCheck:
    """Checks one field of a resource, batch after batch, as frictionless would."""

    def __init__(self, field: Any, resource: dict, path: str, keyed: bool = True) -> None:
        """`keyed`: whether the cast values are needed (by a key check) or only verdicts."""
        self.field = field
        self.keyed = keyed
        self.name = str(field.name)
        self.kind = str(field.type)
        self.resource = resource
        self.path = path
        missing = field.missing_values
        if not field.has_defined("missing_values") and field.schema:
            missing = field.schema.missing_values
        self.missing_values = [str(v) for v in missing]
        self.read_cell = field.create_cell_reader()
        self.constraints = dict(field.constraints)
        self.arrow_type = CAST_TYPES.get(self.kind)
        self.plain = self._plain_form()
        if self.kind == "boolean":
            # frictionless maps each written value to its boolean; a false value wins a tie.
            self.false_cells = array([str(v) for v in field.false_values], pa.string())
            truth = [str(v) for v in field.true_values + field.false_values]
            self.boolean_cells = array(truth, pa.string())
        value = field.create_value_reader()
        self.bounds = {}
        for name in _BOUNDS:
            if name in self.constraints and self.plain is not None:
                bound = self._arrow_scalar(value(self.constraints[name]))
                self.bounds[name] = scalar(bound, self.arrow_type)
        self.enum = None
        if isinstance(self.constraints.get("enum"), list) and self.plain is not None:
            values = [value(v) for v in self.constraints["enum"]]
            self.enum = array(
                [self._arrow_scalar(v) for v in values if v is not None], self.arrow_type
            )
        pattern = self.constraints.get("pattern")
        self.pattern = None
        if isinstance(pattern, str):
            # frictionless matches `^pattern$` from the start of the cell (so `a|b` means
            # `^a` or `b$`); Arrow searches, so the whole is anchored at the start once more.
            self.pattern = f"^(?:^{pattern}$)"
            if not _RE2_SAFE.match(pattern) or _RE2_UNSAFE.search(pattern):
                self.plain = None  # let Python's re decide every cell
        self.fixed_width = None
        if self.pattern is not None and self.plain == "":
            self.fixed_width = byte_classes(pattern)

    def _plain_form(self) -> str | None:
        """The regex of cells Arrow may cast here, or None to read every cell in Python."""
        field = self.field
        if self.kind == "string":
            return "" if field.format == "default" else None
        if self.kind == "boolean":
            return _BOOLEAN
        if self.kind == "datetime":
            # Only its validity is judged in bulk: a datetime compared with a bound, an enum
            # or a key is read by frictionless, whose values (with zones) Arrow would not keep.
            compared = set(self.constraints) & {*_BOUNDS, "enum"}
            plain_format = field.format in ("default", None)
            return _DATETIME if plain_format and not compared and not self.keyed else None
        if self.kind not in _PLAIN or field.format not in ("default", None):
            return None
        defined = set(field.list_defined())
        if defined & {"bare_number", "group_char", "decimal_char", "float_number"}:
            return None
        return _PLAIN[self.kind]

    def _arrow_scalar(self, value: Any) -> Any:
        """A constraint value as Arrow compares it; Unsupported where that could differ."""
        if value is None or isinstance(value, bool):
            raise Unsupported(f"constraint of {self.name!r} is not castable")
        if self.kind == "number":
            if isinstance(value, int):
                value = Decimal(value)
            if not isinstance(value, Decimal) or not value.is_finite():
                raise Unsupported(f"non-finite bound on {self.name!r}")
            digits = Decimal(value).normalize().as_tuple().digits
            if len(digits) > 15:
                raise Unsupported(f"a bound of {self.name!r} has more than 15 digits")
            return float(value)
        if self.kind == "integer" and not -(2**63) <= value < 2**63:
            raise Unsupported(f"a bound of {self.name!r} is out of the int64 range")
        return value

    def check(
        self, raw: pa.Array, lines: np.ndarray, blank: np.ndarray, missing: np.ndarray
    ) -> tuple[Checked, list]:
        """Cast a batch's column and list its cell issues (none on blank rows); `missing` is
        `self.missing(raw)`."""
        present = ~missing
        issues: list[Issue] = []
        values = None
        if self.plain is None:
            plain = np.zeros(len(raw), dtype=bool)
        elif self.plain == "":
            plain = present.copy()
            # Python's `$` also matches before a final newline: leave such cells to re.
            if self.pattern is not None and has_line_break(raw, newline_only=True):
                plain &= ~numpy(pc.match_substring(raw, "\n"))
        elif self.kind == "date" and not raw.null_count:
            plain, values = plain_dates(raw, present)
        elif self.plain == _DATETIME:
            plain, values = plain_datetimes(raw, present)
        elif self.plain == _BOOLEAN:
            plain = true_mask(pc.is_in(raw, value_set=self.boolean_cells)) & present
        else:
            plain = numpy(pc.match_substring_regex(raw, self.plain))
            plain &= present
        if values is None:
            values = self._cast(raw, plain)
        if self.kind != "string":
            plain &= ~numpy(values.is_null())  # e.g. 2023-02-30
        invalid = np.zeros(len(raw), dtype=bool)
        failed = {name: np.zeros(len(raw), dtype=bool) for name in self._constraint_names()}
        if plain.any():
            self._constrain(raw, values, plain, failed)
        unread = present & ~plain & ~blank  # cells neither missing nor cast by Arrow
        if unread.any():
            slow = np.flatnonzero(unread)
            values = self._read_slowly(raw, values, slow, invalid, issues, lines)
        if self.constraints.get("required"):
            failed["required"] = missing
        for name, mask in failed.items():
            broken = mask & ~blank
            if broken.any():
                for index in np.flatnonzero(broken):
                    cell = raw[index].as_py()
                    issues.append(self._constraint_issue(name, cell, lines[index]))
        settled = plain if self.kind != "string" else np.zeros(len(raw), dtype=bool)
        return Checked(values, missing, invalid, settled), issues

    def missing(self, raw: pa.Array) -> np.ndarray:
        """Cells holding one of the field's missing values: found by their length in bytes,
        then compared one value at a time (hashing long texts for `is_in` costs far more)."""
        found = np.zeros(len(raw), dtype=bool)
        lengths = byte_lengths(raw)
        for value in self.missing_values:
            same_length = lengths == len(value.encode("utf-8"))
            if not value:
                found |= same_length
            elif same_length.any():
                equal = pc.equal(only(raw, same_length), scalar(value, pa.string()))
                found |= true_mask(equal)
        return found

    def _constraint_names(self) -> list[str]:
        names = [n for n in _BOUNDS if n in self.bounds]
        if self.enum is not None:
            names.append("enum")
        if self.kind == "string":
            names += [n for n in ("minLength", "maxLength") if n in self.constraints]
            if self.pattern is not None:
                names.append("pattern")
        return names

    def _cast(self, raw: pa.Array, plain: np.ndarray) -> pa.Array:
        if self.plain is None or self.arrow_type is None:
            return pa.nulls(len(raw), self.arrow_type or pa.string())
        kept = only(raw, plain)
        if self.kind == "string":
            return kept
        if self.kind == "boolean":
            false = true_mask(pc.is_in(raw, value_set=self.false_cells))
            bits = [pa.py_buffer(np.packbits(m, bitorder="little")) for m in (plain, ~false)]
            return pa.Array.from_buffers(pa.bool_(), len(raw), bits)
        if self.kind == "date":
            stamps = pc.strptime(kept, format="%Y-%m-%d", unit="s", error_is_null=True)
            dates = pc.cast(stamps, pa.date32())
            # Arrow rolls 2023-02-30 over to March 2: keep a date only if its day is as written.
            written = pc.cast(pc.utf8_slice_codeunits(kept, 8, 10), pa.int64())
            same = pc.equal(pc.day(dates), written)
            return pc.if_else(pc.fill_null(same, FALSE), dates, pa.nulls(1, pa.date32())[0])
        values = pc.cast(kept, self.arrow_type)
        if self.kind == "number":
            values = pc.add(values, ZERO)  # -0 and 0 are the same number, as Decimals are
        return values

    def _constrain(
        self, raw: pa.Array, values: pa.Array, plain: np.ndarray, failed: dict[str, np.ndarray]
    ) -> None:
        def mark(name: str, holds: pa.Array) -> None:
            ok = ~numpy(pc.invert(holds))  # null holds
            failed[name] |= plain & ~ok

        for name, bound in self.bounds.items():
            mark(name, _COMPARE[name](values, bound))
        if self.enum is not None:
            mark("enum", pc.is_in(values, value_set=self.enum))
        if self.kind == "string":
            if "minLength" in self.constraints or "maxLength" in self.constraints:
                length = pc.utf8_length(values)
            if "minLength" in self.constraints:
                least = scalar(self.constraints["minLength"], pa.int64())
                mark("minLength", pc.greater_equal(length, least))
            if "maxLength" in self.constraints:
                most = scalar(self.constraints["maxLength"], pa.int64())
                mark("maxLength", pc.less_equal(length, most))
            if self.fixed_width is not None:
                failed["pattern"] |= plain & ~matches(raw, plain, self.fixed_width)
            elif self.pattern is not None:
                mark("pattern", pc.match_substring_regex(values, self.pattern))

    def _read_slowly(
        self,
        raw: pa.Array,
        values: pa.Array,
        slow: np.ndarray,
        invalid: np.ndarray,
        issues: list[Issue],
        lines: np.ndarray,
    ) -> pa.Array:
        """frictionless's own cell reader on the cells Arrow may not judge."""
        patched = np.zeros(len(raw), dtype=bool)
        patches = []
        for index in slow:
            cell = raw[index].as_py()
            value, notes = self.read_cell(cell)
            notes = dict(notes or {})
            type_note = notes.pop("type", None)
            if type_note:
                invalid[index] = True
                error = {"type": "type-error", "cell": cell, "note": type_note}
                issues.append(self._issue(lines[index], "type-error", error))
                value = None
            for name in notes:
                issues.append(self._constraint_issue(name, cell, lines[index]))
            # Only a key compares the values; other fields need the verdicts alone.
            value = self._arrow_value(value) if self.keyed else None
            if value is not None:
                # A value Arrow would not cast (such as " 5"): patched in below.
                patched[index] = True
                patches.append(value)
        if not patches:
            return values
        return pc.replace_with_mask(values, bools(patched), array(patches, self.arrow_type))

    def _arrow_value(self, value: Any) -> Any:
        """A value frictionless read, as Arrow holds it. One Arrow cannot hold exactly (NaN,
        a 20-digit number) is left out where no key compares it (the verdict on its cell is
        frictionless's already); a key must hand the resource back to frictionless."""
        if value is None or self.arrow_type is None:
            return None
        if self.kind == "number":
            if not value.is_finite() or len(value.normalize().as_tuple().digits) > 15:
                return self._inexact(f"{self.name!r} holds a number Arrow cannot hold exactly")
            return float(value) + 0.0
        if self.kind == "integer" and not -(2**63) <= value < 2**63:
            return self._inexact(f"{self.name!r} holds an integer beyond int64")
        return value

    def _inexact(self, reason: str) -> None:
        if self.keyed:
            raise Unsupported(reason)
        return None

    def _constraint_issue(self, name: str, cell: Any, line: int) -> Issue:
        note = f'constraint "{name}" is "{self.constraints[name]}"'
        error = {"type": "constraint-error", "cell": cell, "note": note}
        return self._issue(line, "constraint-error", error)

    def _issue(self, line: Any, code: str, error: dict) -> Issue:
        error = {**error, "fieldName": self.name}
        message = describe(error, self.resource, None)
        return Issue(self.resource.get("name"), self.path, int(line), self.name, code, message)
