"""Table Schema → pandas: one type map, the casting rules, and the derived pandera schema.

Everything here is derived from the descriptor, never written a second time. It fixes what
`pandera.io.from_frictionless_schema` gets wrong: dates are parsed as dates, `missingValues`
are honoured, a literal "NA" stays a string, optional integers are nullable, bad cells are
reported by themselves instead of masking every later check of their column, and row numbers
are the CSV's physical lines.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .lines import SAMPLE_ROWS, csv_reader_options, header_record, text_encoding

if TYPE_CHECKING:
    import pandas as pd
    import pandera.pandas as pa

    from .package import OpenedPackage

# Mirrors Python's int()/Decimal() as frictionless uses them: surrounding whitespace, a sign,
# underscores between digits, and any Unicode decimal digit are accepted.
_INTEGER = re.compile(r"^\s*[+-]?\d+(?:_\d+)*\s*$")
_NUMBER = re.compile(
    r"^\s*[+-]?(?:(?:\d+(?:_\d+)*)?\.?\d+(?:_\d+)*(?:[eE][+-]?\d+(?:_\d+)*)?"
    r"|\d+(?:_\d+)*\.(?:[eE][+-]?\d+)?|nan|snan|inf|infinity)\s*$",
    re.IGNORECASE,
)
DEFAULT_TRUE = ("true", "True", "TRUE", "1")
DEFAULT_FALSE = ("false", "False", "FALSE", "0")

#: Types whose values are checked here; other types stay strings and are left to frictionless.
CAST_TYPES = frozenset({"string", "integer", "number", "boolean", "date", "year"})


def fields_of(resource: dict) -> list[dict]:
    schema = resource.get("schema")
    fields = schema.get("fields") if isinstance(schema, dict) else None
    return [f for f in fields if isinstance(f, dict)] if isinstance(fields, list) else []


def missing_values(resource: dict, field: dict | None = None) -> list[str]:
    """The strings that mean "no value" for a field (field-level overrides schema-level)."""
    if field is not None and isinstance(field.get("missingValues"), list):
        return [str(v) for v in field["missingValues"]]
    schema = resource.get("schema")
    values = schema.get("missingValues") if isinstance(schema, dict) else None
    return [str(v) for v in values] if isinstance(values, list) else [""]


def pandas_dtype(field: dict) -> Any:
    """The pandas dtype that holds a field's values without loss."""
    import pandas as pd

    kind = field.get("type", "string")
    enum = (field.get("constraints") or {}).get("enum")
    if kind == "string" and isinstance(enum, list):
        return pd.CategoricalDtype([str(v) for v in enum])
    if kind in ("integer", "year"):
        return "Int64"
    if kind == "number":
        return "Float64"
    if kind == "boolean":
        return "boolean"
    if kind == "date":
        import pyarrow as pa

        return pd.ArrowDtype(pa.date32())
    if kind == "datetime":
        return "datetime64[us]"
    return "string"


@dataclass
class StringTable:
    """A CSV resource read as text: one column per schema field, plus the physical line of
    each row. Blank rows are dropped (frictionless reports them); short rows are padded."""

    frame: pd.DataFrame
    lines: list[int]


def read_strings(resource: dict, path: Path) -> StringTable:
    """Read a CSV resource as strings, exactly as written."""
    import pandas as pd

    names = [str(f.get("name")) for f in fields_of(resource)]
    records: list[list[str]] = []
    starts: list[int] = []
    with open(path, encoding=text_encoding(resource), newline="") as handle:
        reader = csv.reader(handle, **csv_reader_options(resource))
        next_line = 1
        for record in reader:
            records.append(record)
            starts.append(next_line)
            next_line = reader.line_num + 1
    header = header_record(resource, records[:SAMPLE_ROWS]) or 0
    rows: list[list[str]] = []
    lines: list[int] = []
    for record, start in zip(records[header:], starts[header:], strict=True):
        if any(cell != "" for cell in record):
            rows.append((record + [""] * len(names))[: len(names)])
            lines.append(start)
    frame = pd.DataFrame(rows, columns=names, dtype="string") if names else pd.DataFrame()
    frame.index = pd.RangeIndex(len(rows))
    return StringTable(frame, lines)


@dataclass
class Cast:
    """A column cast to its type: the values (missing where absent or invalid) and a mask of
    the cells that were present but could not be cast."""

    values: pd.Series
    invalid: pd.Series
    missing: pd.Series
    #: Cells whose value the cast type holds only approximately (a number of more than 15
    #: significant digits, NaN): comparing them is left to frictionless's Decimals.
    inexact: pd.Series | None = None


def cast_column(raw: pd.Series, field: dict, missing: list[str]) -> Cast:
    """Cast a column of strings as frictionless would, vectorised."""
    import pandas as pd

    kind = field.get("type", "string")
    is_missing = raw.isin(missing) | raw.isna()
    present = raw.where(~is_missing)
    if kind == "integer" or kind == "year":
        ok = present.str.match(_INTEGER).fillna(False).astype(bool)
        if kind == "year":  # four characters that int() reads, from 0 to 9999
            ok &= (present.str.len() == 4).fillna(False).astype(bool)
        text = present.where(ok).str.strip().str.replace("_", "", regex=False)
        values = pd.to_numeric(_ascii_digits(text), errors="coerce").astype("Int64")
        if kind == "year":
            ok &= (values >= 0).fillna(False).astype(bool)
            values = values.where(ok)
    elif kind == "number":
        text = _number_text(present, field)
        ok = text.str.match(_NUMBER).fillna(False).astype(bool)
        cleaned = text.where(ok).str.strip().str.replace("_", "", regex=False)
        values = _floats_keeping_nan(_ascii_digits(cleaned))
        ok &= values.notna()
        inexact = _inexact_numbers(_ascii_digits(cleaned)) & ok
    elif kind == "boolean":
        true = [str(v) for v in field.get("trueValues", DEFAULT_TRUE)]
        false = [str(v) for v in field.get("falseValues", DEFAULT_FALSE)]
        ok = present.isin(true + false).fillna(False).astype(bool)
        values = (~present.isin(false)).where(ok).astype("boolean")  # a false value wins a tie
    elif kind == "date":
        fmt = field.get("format", "default")
        if fmt == "any":
            return _uncast(raw, is_missing)
        pattern = "%Y-%m-%d" if fmt == "default" else fmt
        parsed = pd.to_datetime(present, format=pattern, errors="coerce")
        ok = parsed.notna()
        import pyarrow as pa

        values = parsed.dt.date.astype(pd.ArrowDtype(pa.date32()))
    else:
        return _uncast(raw, is_missing)
    invalid = ~is_missing & ~ok
    return Cast(values.where(~invalid), invalid, is_missing, inexact if kind == "number" else None)


def _inexact_numbers(text: pd.Series) -> pd.Series:
    """Numbers a float may not tell apart, nor order, as frictionless's Decimals do: more
    than 15 significant digits, or NaN."""
    mantissa = text.str.replace(r"[eE].*$", "", regex=True).str.replace(r"[^0-9]", "", regex=True)
    digits = mantissa.str.lstrip("0").str.rstrip("0").str.len()
    not_a_number = text.str.lower().str.contains("nan", regex=False)
    return ((digits > 15) | not_a_number).fillna(False).astype(bool)


def _floats_keeping_nan(text: pd.Series) -> pd.Series:
    """Float64 values where a written NaN stays a (non-missing) NaN, as in frictionless:
    NaN is a value there, so a required cell holding it is not empty."""
    import numpy as np
    import pandas as pd

    floats = pd.to_numeric(text, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    written_nan = text.str.strip().str.lower().isin(["nan", "+nan", "-nan", "snan"])
    mask = np.isnan(floats) & ~written_nan.fillna(False).to_numpy(dtype=bool)
    return pd.Series(pd.arrays.FloatingArray(floats, mask), index=text.index)


def _uncast(raw: pd.Series, is_missing: pd.Series) -> Cast:
    return Cast(raw.where(~is_missing), is_missing & False, is_missing)


def _number_text(present: pd.Series, field: dict) -> pd.Series:
    if field.get("bareNumber") is False:
        present = present.str.replace(r"((^[^-\d]*)|(\D*$))", "", regex=True)
    group = field.get("groupChar")
    if group:
        present = present.str.replace(str(group), "", regex=False)
    decimal = field.get("decimalChar")
    if decimal and decimal != ".":
        present = present.where(~present.str.contains(".", regex=False).fillna(False))
        present = present.str.replace(str(decimal), ".", regex=False)
    return present


def _ascii_digits(text: pd.Series) -> pd.Series:
    """Map any Unicode decimal digit to ASCII, as int() and Decimal() do."""
    import unicodedata

    def to_ascii(value: str) -> str:
        if value.isascii():
            return value
        return "".join(str(unicodedata.digit(c)) if c.isdigit() else c for c in value)

    return text.map(to_ascii, na_action="ignore")


def read_typed(package: OpenedPackage, resource: dict) -> pd.DataFrame:
    """A CSV resource as a DataFrame with the schema's dtypes (dates as dates, integers as
    nullable integers, enums as categoricals, strings as strings)."""
    path = package.local_path(resource)
    if path is None:
        raise ValueError(f"resource {resource.get('name')!r} is not a local file")
    table = read_strings(resource, path)
    frame = table.frame
    for field in fields_of(resource):
        name = str(field.get("name"))
        cast = cast_column(frame[name], field, missing_values(resource, field))
        frame[name] = cast.values.astype(pandas_dtype(field))
    return frame


def pandera_schema(resource: dict, extra_checks: list | None = None) -> pa.DataFrameSchema:
    """The pandera schema a resource's Table Schema implies, for already-cast columns.

    Type errors are found by casting (see `cast_column`), so columns are declared with
    `coerce=False`; every constraint becomes a named check.
    """
    import pandera.pandas as pa

    columns = {}
    for field in fields_of(resource):
        constraints = field.get("constraints") or {}
        kind = field.get("type", "string")
        checks = []
        if isinstance(constraints.get("enum"), list):
            checks.append(pa.Check.isin(_enum_values(constraints["enum"], field, kind)))
        for key, check in (
            ("minimum", pa.Check.ge),
            ("maximum", pa.Check.le),
            ("exclusiveMinimum", pa.Check.gt),
            ("exclusiveMaximum", pa.Check.lt),
        ):
            bound = _bound(constraints.get(key), kind)
            if bound is not None:
                checks.append(check(bound, name=key))
        if kind == "string":
            if isinstance(constraints.get("minLength"), int):
                checks.append(
                    pa.Check.str_length(min_value=constraints["minLength"], name="minLength")
                )
            if isinstance(constraints.get("maxLength"), int):
                checks.append(
                    pa.Check.str_length(max_value=constraints["maxLength"], name="maxLength")
                )
            if isinstance(constraints.get("pattern"), str):
                # Anchored exactly as frictionless anchors it, `^...$` matched from the start
                # (so `a|b` means `^a` or `b$`, and a trailing newline passes).
                pattern = f"^{constraints['pattern']}$"
                checks.append(pa.Check.str_matches(pattern, name="pattern"))
        columns[str(field.get("name"))] = pa.Column(
            nullable=not constraints.get("required", False),
            unique=bool(constraints.get("unique", False)),
            checks=checks,
            required=False,
            coerce=False,
            title=field.get("title"),
            description=field.get("description"),
        )
    return pa.DataFrameSchema(
        columns, checks=extra_checks or [], name=resource.get("name"), strict=False
    )


def _enum_values(values: list, field: dict, kind: str) -> list:
    if kind in ("integer", "year"):
        return [int(v) for v in values if _castable(v, int)]
    if kind == "number":
        return [float(v) for v in values if _castable(v, float)]
    return [str(v) for v in values]


def _bound(value: Any, kind: str) -> Any:
    if value is None:
        return None
    if kind in ("integer", "year") and _castable(value, int):
        return int(value)
    if kind == "number" and _castable(value, float):
        return float(value)
    if kind == "date" and isinstance(value, str):
        import datetime

        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            return None
    return None


def _castable(value: Any, kind: type) -> bool:
    try:
        kind(value)
    except (TypeError, ValueError):
        return False
    return True
