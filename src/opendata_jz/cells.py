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

from .frictionless_checks import describe
from .report import Issue

_PLAIN = {
    "integer": r"^-?[0-9]{1,18}$",
    "number": r"^-?[0-9]{1,15}(\.[0-9]{1,15})?$",
    "date": r"^[1-9][0-9]{3}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$",
}
#: Arrow type of the cast values of each type the engine casts itself.
ARROW_TYPES = {"string": pa.string(), "integer": pa.int64(), "number": pa.float64()}
ARROW_TYPES["date"] = pa.date32()
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
    masks of the missing cells and of those that failed to cast."""

    values: pa.Array
    missing: np.ndarray
    invalid: np.ndarray


class FieldCheck:
    """Checks one field of a resource, batch after batch, as frictionless would."""

    def __init__(self, field: Any, resource: dict, path: str) -> None:
        self.field = field
        self.name = str(field.name)
        self.kind = str(field.type)
        self.resource = resource
        self.path = path
        missing = field.missing_values
        if not field.has_defined("missing_values") and field.schema:
            missing = field.schema.missing_values
        self.missing_values = pa.array([str(v) for v in missing], pa.string())
        self.read_cell = field.create_cell_reader()
        self.constraints = dict(field.constraints)
        self.arrow_type = ARROW_TYPES.get(self.kind)
        self.plain = self._plain_form()
        value = field.create_value_reader()
        self.bounds = {}
        for name in _BOUNDS:
            if name in self.constraints and self.plain is not None:
                self.bounds[name] = self._arrow_scalar(value(self.constraints[name]))
        self.enum = None
        if isinstance(self.constraints.get("enum"), list) and self.plain is not None:
            values = [value(v) for v in self.constraints["enum"]]
            self.enum = pa.array(
                [self._arrow_scalar(v) for v in values if v is not None], self.arrow_type
            )
        pattern = self.constraints.get("pattern")
        self.pattern = None
        if isinstance(pattern, str):
            self.pattern = f"^(?:{pattern})$"
            if not _RE2_SAFE.match(pattern) or _RE2_UNSAFE.search(pattern):
                self.plain = None  # let Python's re decide every cell

    def _plain_form(self) -> str | None:
        """The regex of cells Arrow may cast here, or None to read every cell in Python."""
        field = self.field
        if self.kind == "string":
            return "" if field.format == "default" else None
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

    def check(self, raw: pa.Array, lines: np.ndarray, blank: np.ndarray) -> tuple[Checked, list]:
        """Cast a batch's column and list its cell issues (none on blank rows)."""
        missing = self.missing(raw)
        present = ~missing
        issues: list[Issue] = []
        if self.plain is None:
            plain = np.zeros(len(raw), dtype=bool)
        elif self.plain == "":
            plain = present.copy()
            if self.pattern is not None:
                # Python's `$` also matches before a final newline: leave such cells to re.
                breaks = pc.match_substring(raw, "\n").to_numpy(zero_copy_only=False)
                plain &= ~breaks
        else:
            plain = pc.match_substring_regex(raw, self.plain).to_numpy(zero_copy_only=False)
            plain &= present
        values = self._cast(raw, plain)
        if self.kind != "string":
            plain &= ~values.is_null().to_numpy(zero_copy_only=False)  # e.g. 2023-02-30
        invalid = np.zeros(len(raw), dtype=bool)
        failed = {name: np.zeros(len(raw), dtype=bool) for name in self._constraint_names()}
        if plain.any():
            self._constrain(raw, values, plain, failed)
        slow = np.flatnonzero(present & ~plain & ~blank)
        if len(slow):
            values = self._read_slowly(raw, values, slow, invalid, issues, lines)
        if self.constraints.get("required"):
            failed["required"] = missing.copy()
        for name, mask in failed.items():
            for index in np.flatnonzero(mask & ~blank):
                issues.append(self._constraint_issue(name, raw[index].as_py(), lines[index]))
        return Checked(values, missing, invalid), issues

    def missing(self, raw: pa.Array) -> np.ndarray:
        """Cells holding one of the field's missing values (compared one by one: hashing
        long texts for `is_in` costs far more)."""
        found = np.zeros(len(raw), dtype=bool)
        for value in self.missing_values.to_pylist():
            found |= pc.equal(raw, value).to_numpy(zero_copy_only=False)
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
        if self.kind == "date":
            stamps = pc.strptime(kept, format="%Y-%m-%d", unit="s", error_is_null=True)
            dates = pc.cast(stamps, pa.date32())
            # Arrow rolls 2023-02-30 over to March 2: keep a date only if its day is as written.
            written = pc.cast(pc.utf8_slice_codeunits(kept, 8, 10), pa.int64())
            same = pc.equal(pc.day(dates), written)
            return pc.if_else(pc.fill_null(same, False), dates, pa.scalar(None, pa.date32()))
        values = pc.cast(kept, self.arrow_type)
        if self.kind == "number":
            values = pc.add(values, 0.0)  # -0 and 0 are the same number, as Decimals are
        return values

    def _constrain(
        self, raw: pa.Array, values: pa.Array, plain: np.ndarray, failed: dict[str, np.ndarray]
    ) -> None:
        def mark(name: str, holds: pa.Array) -> None:
            ok = pc.fill_null(holds, True).to_numpy(zero_copy_only=False)
            failed[name] |= plain & ~ok

        for name, bound in self.bounds.items():
            mark(name, _COMPARE[name](values, pa.scalar(bound, self.arrow_type)))
        if self.enum is not None:
            mark("enum", pc.is_in(values, value_set=self.enum))
        if self.kind == "string":
            length = pc.utf8_length(values)
            if "minLength" in self.constraints:
                mark("minLength", pc.greater_equal(length, self.constraints["minLength"]))
            if "maxLength" in self.constraints:
                mark("maxLength", pc.less_equal(length, self.constraints["maxLength"]))
            if self.pattern is not None:
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
        patched: list | None = None
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
            value = self._arrow_value(value)
            if value is not None:
                # Rare (a value Arrow would not cast, such as " 5"): patch it in.
                patched = values.to_pylist() if patched is None else patched
                patched[index] = value
        if patched is None:
            return values
        return pa.array(patched, self.arrow_type)

    def _arrow_value(self, value: Any) -> Any:
        if value is None or self.arrow_type is None:
            return None
        if self.kind == "number":
            if not value.is_finite() or len(value.normalize().as_tuple().digits) > 15:
                raise Unsupported(f"{self.name!r} holds a number Arrow cannot hold exactly")
            return float(value) + 0.0
        if self.kind == "integer" and not -(2**63) <= value < 2**63:
            raise Unsupported(f"{self.name!r} holds an integer beyond int64")
        return value

    def _constraint_issue(self, name: str, cell: Any, line: int) -> Issue:
        note = f'constraint "{name}" is "{self.constraints[name]}"'
        error = {"type": "constraint-error", "cell": cell, "note": note}
        return self._issue(line, "constraint-error", error)

    def _issue(self, line: Any, code: str, error: dict) -> Issue:
        error = {**error, "fieldName": self.name}
        message = describe(error, self.resource, None)
        return Issue(self.resource.get("name"), self.path, int(line), self.name, code, message)


def only(raw: pa.Array, keep: np.ndarray) -> pa.Array:
    """The strings where `keep` holds, null elsewhere, sharing `raw`'s buffers (no copy)."""
    if raw.null_count or raw.offset:
        return pc.if_else(pa.array(keep), raw, pa.scalar(None, pa.string()))
    if keep.all():
        return raw
    bitmap = pa.py_buffer(np.packbits(keep, bitorder="little"))
    buffers = raw.buffers()
    return pa.StringArray.from_buffers(len(raw), buffers[1], buffers[2], bitmap)
