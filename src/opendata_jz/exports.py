"""SQLite and Parquet exports of a package, typed from its Table Schemas.

Cells are read as strings and cast by `opendata_jz.schema.cast_column` (the one set of casting
rules, `missingValues` honoured), then held as Arrow columns; both formats are written from
those columns, so they cannot disagree.

Type map (Table Schema → SQLite / Arrow):

    integer, year   INTEGER / int64 (nullable)
    number          REAL / float64
    boolean         INTEGER 0/1 / bool
    date            TEXT (ISO 8601) / date32
    datetime        TEXT (ISO 8601) / timestamp[us] (UTC when the values carry an offset)
    time            TEXT (ISO 8601) / time64[us]
    anything else   TEXT / string, exactly as written (yearmonth, duration, geopoint, object,
                    array, any: their text is kept, not parsed)

What a conversion drops: a `number` cell "NaN" becomes NULL (SQL has no NaN). Constraints other
than `required`, `unique` and the keys are not enforced by the SQLite tables; they are
documented in the `_fields` table instead.

Spreadsheet safety: SQLite and Parquet are typed database formats, not files a spreadsheet
evaluates, so cells are stored exactly as the data has them. Prefixing `'` to cells that start
with `=`, `+`, `-`, `@`, tab or CR would corrupt values (a negative number, a note beginning
with a dash) for every program that reads them correctly.

Both files are deterministic: the same package gives the same bytes (same library versions),
and each is written to a temporary file beside the target and renamed into place.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .package import OpenedPackage, open_package

if TYPE_CHECKING:
    import pyarrow as pa

#: Tables holding the descriptor's documentation inside the SQLite export.
METADATA_TABLES = ("_package", "_resources", "_fields")

_SQL_TYPES = {"integer": "INTEGER", "year": "INTEGER", "number": "REAL", "boolean": "INTEGER"}


class ExportError(ValueError):
    """A cell that its field's type cannot hold, or a package an export cannot represent."""


PackageLike = OpenedPackage | str | os.PathLike[str]


def tabular_resources(package: OpenedPackage) -> list[dict]:
    """The resources exported as tables: a local CSV file with schema fields."""
    from .lines import is_plain_csv
    from .schema import fields_of

    tables = []
    for resource in package.resources:
        path = package.local_path(resource)
        if path is not None and fields_of(resource) and is_plain_csv(resource, path):
            tables.append(resource)
    return tables


def typed_table(package: OpenedPackage, resource: dict) -> pa.Table:
    """A CSV resource cast to its schema's types, as an Arrow table with documented fields.

    Raises `ExportError` naming the line and field of the first cell that does not cast.
    """
    import pyarrow as pa

    from .schema import cast_column, fields_of, missing_values, read_strings

    path = package.local_path(resource)
    if path is None:
        raise ExportError(f"resource {resource.get('name')!r} is not a local file.")
    strings = read_strings(resource, path)
    arrays, fields = [], []
    for spec in fields_of(resource):
        name = str(spec.get("name"))
        cast = cast_column(strings.frame[name], spec, missing_values(resource, spec))
        if cast.invalid.any():
            row = int(cast.invalid.to_numpy().nonzero()[0][0])
            raise ExportError(
                f"{resource.get('name')}: line {strings.lines[row]}, field {name}:"
                f" {strings.frame[name].iloc[row]!r} is not a valid {spec.get('type')}."
            )
        array = _arrow_array(cast.values, spec, resource)
        arrays.append(array)
        fields.append(pa.field(name, array.type, metadata=_field_metadata(spec)))
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields))


def write_parquet(package: PackageLike, resource: dict | str, path: str | os.PathLike[str]) -> None:
    """Write one tabular resource as Parquet, typed from its schema, with field titles and
    descriptions in the Arrow field metadata and the resource descriptor in the schema's."""
    import pyarrow.parquet as pq

    with ensure_opened(package) as opened:
        spec = opened.resource(resource) if isinstance(resource, str) else resource
        table = typed_table(opened, spec)
        metadata = {
            b"datapackage.resource": _json(spec).encode(),
            b"datapackage.package": _json(_package_summary(opened.descriptor)).encode(),
        }
        table = table.replace_schema_metadata(metadata)
        with _replacing(Path(path)) as scratch:
            pq.write_table(table, scratch, compression="snappy")


def write_sqlite(package: PackageLike, path: str | os.PathLike[str]) -> None:
    """Write every tabular resource as a table of one SQLite database.

    Columns carry SQL types, NOT NULL, UNIQUE, PRIMARY KEY and FOREIGN KEY clauses from the
    schema, and each field's title and description as a comment in the table's SQL. The
    tables `_package` (the descriptor, and a Datasette metadata.json), `_resources` and
    `_fields` keep the documentation.
    """
    target = Path(path)
    with ensure_opened(package) as opened, _replacing(target) as scratch:
        resources = tabular_resources(opened)
        clashes = sorted({str(r.get("name")) for r in resources} & set(METADATA_TABLES))
        if clashes:
            raise ExportError(f"resource names {clashes} clash with the metadata tables.")
        tables = {str(r.get("name")): typed_table(opened, r) for r in resources}
        connection = sqlite3.connect(scratch, isolation_level=None)
        try:
            connection.execute("BEGIN")
            for resource in resources:
                name = str(resource.get("name"))
                connection.execute(create_table_sql(resource, tables[name]))
                _insert(connection, name, tables[name])
            _write_metadata(connection, opened.descriptor, resources, tables, target.stem)
            connection.execute("COMMIT")
        finally:
            connection.close()


def create_table_sql(resource: dict, table: pa.Table | None = None) -> str:
    """The CREATE TABLE statement of a resource, documented with SQL comments."""
    from .schema import fields_of

    name = str(resource.get("name"))
    schema = resource.get("schema") if isinstance(resource.get("schema"), dict) else {}
    primary_key = _names(schema.get("primaryKey"))
    items: list[tuple[str, str]] = []
    for spec in fields_of(resource):
        column = f"{_quote(str(spec.get('name')))} {_SQL_TYPES.get(spec.get('type'), 'TEXT')}"
        constraints = spec.get("constraints") if isinstance(spec.get("constraints"), dict) else {}
        if constraints.get("required") or spec.get("name") in primary_key:
            column += " NOT NULL"
        if constraints.get("unique") and [spec.get("name")] != primary_key:
            column += " UNIQUE"
        items.append((column, _comment(spec)))
    if primary_key:
        items.append((f"PRIMARY KEY ({', '.join(map(_quote, primary_key))})", ""))
    for key in schema.get("foreignKeys") or []:
        if not isinstance(key, dict):
            continue
        reference = key.get("reference") if isinstance(key.get("reference"), dict) else {}
        target = reference.get("resource") or name
        clause = (
            f"FOREIGN KEY ({', '.join(map(_quote, _names(key.get('fields'))))})"
            f" REFERENCES {_quote(str(target))}"
            f" ({', '.join(map(_quote, _names(reference.get('fields'))))})"
        )
        items.append((clause, ""))
    lines = []
    for index, (text, comment) in enumerate(items):
        separator = "," if index < len(items) - 1 else ""
        lines.append(f"  {text}{separator}" + (f" -- {comment}" if comment else ""))
    header = (
        f"CREATE TABLE {_quote(name)} ( -- {_comment(resource)}"
        if _comment(resource)
        else (f"CREATE TABLE {_quote(name)} (")
    )
    return header + "\n" + "\n".join(lines) + "\n)"


def datasette_metadata(descriptor: dict, resources: list[dict], database: str) -> dict:
    """A Datasette metadata.json for the export: titles, descriptions, licence and source."""
    from .schema import fields_of

    metadata: dict[str, Any] = {}
    for key in ("title", "description"):
        if descriptor.get(key):
            metadata[key] = descriptor[key]
    licenses = [x for x in descriptor.get("licenses") or [] if isinstance(x, dict)]
    if licenses:
        metadata["license"] = licenses[0].get("name") or licenses[0].get("title")
        if licenses[0].get("path"):
            metadata["license_url"] = licenses[0]["path"]
    if descriptor.get("homepage"):
        metadata["source"] = descriptor.get("title") or descriptor.get("name")
        metadata["source_url"] = descriptor["homepage"]
    tables: dict[str, Any] = {}
    for resource in resources:
        entry: dict[str, Any] = {}
        for key in ("title", "description"):
            if resource.get(key):
                entry[key] = resource[key]
        columns = {
            str(spec.get("name")): _comment(spec) for spec in fields_of(resource) if _comment(spec)
        }
        if columns:
            entry["columns"] = columns
        tables[str(resource.get("name"))] = entry
    for name in METADATA_TABLES:
        tables[name] = {"hidden": True}
    metadata["databases"] = {database: {"tables": tables}}
    return metadata


def _write_metadata(
    connection: sqlite3.Connection,
    descriptor: dict,
    resources: list[dict],
    tables: dict[str, pa.Table],
    database: str,
) -> None:
    from .schema import fields_of

    connection.execute(
        'CREATE TABLE "_package" ( -- The package descriptor and derived metadata\n'
        '  "key" TEXT NOT NULL PRIMARY KEY,\n  "value" TEXT NOT NULL\n)'
    )
    connection.executemany(
        'INSERT INTO "_package" VALUES (?, ?)',
        [
            ("datapackage.json", _json(descriptor)),
            ("datasette-metadata.json", _json(datasette_metadata(descriptor, resources, database))),
        ],
    )
    connection.execute(
        'CREATE TABLE "_resources" ( -- One row per table: what it holds\n'
        '  "name" TEXT NOT NULL PRIMARY KEY,\n  "title" TEXT,\n  "description" TEXT,\n'
        '  "path" TEXT,\n  "rows" INTEGER NOT NULL\n)'
    )
    connection.executemany(
        'INSERT INTO "_resources" VALUES (?, ?, ?, ?, ?)',
        [
            (
                r.get("name"),
                r.get("title"),
                r.get("description"),
                r.get("path"),
                tables[str(r.get("name"))].num_rows,
            )
            for r in resources
        ],
    )
    connection.execute(
        'CREATE TABLE "_fields" ( -- One row per column: its Table Schema definition\n'
        '  "resource" TEXT NOT NULL REFERENCES "_resources" ("name"),\n'
        '  "position" INTEGER NOT NULL,\n  "name" TEXT NOT NULL,\n  "type" TEXT NOT NULL,\n'
        '  "title" TEXT,\n  "description" TEXT,\n  "constraints" TEXT,\n'
        '  PRIMARY KEY ("resource", "name")\n)'
    )
    connection.executemany(
        'INSERT INTO "_fields" VALUES (?, ?, ?, ?, ?, ?, ?)',
        [
            (
                r.get("name"),
                position,
                spec.get("name"),
                spec.get("type", "string"),
                spec.get("title"),
                spec.get("description"),
                _json(spec["constraints"]) if spec.get("constraints") else None,
            )
            for r in resources
            for position, spec in enumerate(fields_of(r), start=1)
        ],
    )


def _insert(connection: sqlite3.Connection, name: str, table: pa.Table) -> None:
    columns = ", ".join(_quote(column) for column in table.column_names)
    marks = ", ".join("?" for _ in table.column_names)
    values = [[_sql_value(v) for v in column.to_pylist()] for column in table.columns]
    connection.executemany(
        f"INSERT INTO {_quote(name)} ({columns}) VALUES ({marks})", zip(*values, strict=True)
    )


def _sql_value(value: Any) -> Any:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (dt.date, dt.time)):  # datetime is a date too
        return value.isoformat()
    if isinstance(value, float) and value != value:  # NaN: SQLite would store NULL anyway
        return None
    return value


def _arrow_array(values: Any, spec: dict, resource: dict) -> pa.Array:
    import pyarrow as pa

    kind = spec.get("type", "string")
    if kind in ("integer", "year"):
        return pa.array(values, type=pa.int64(), from_pandas=True)
    if kind == "number":
        return pa.array(values, type=pa.float64(), from_pandas=True)
    if kind == "boolean":
        return pa.array(values, type=pa.bool_(), from_pandas=True)
    if kind == "date":
        return pa.array(values, type=pa.date32(), from_pandas=True)
    texts = [None if value is None else str(value) for value in _python_values(values)]
    if kind == "datetime":
        return _datetimes(texts, spec, resource)
    if kind == "time":
        return _times(texts, spec, resource)
    return pa.array(texts, type=pa.string())


def _python_values(values: Any) -> list:
    import pandas as pd

    return [None if pd.isna(value) else value for value in values.tolist()]


def _datetimes(texts: list[str | None], spec: dict, resource: dict) -> pa.Array:
    import pyarrow as pa

    fmt = spec.get("format", "default")
    parsed = [
        None if text is None else _parse(text, spec, resource, dt.datetime, fmt) for text in texts
    ]
    aware = {value.tzinfo is not None for value in parsed if value is not None}
    if aware == {True, False}:
        raise ExportError(
            f"{resource.get('name')}: field {spec.get('name')} mixes datetimes with and without"
            " a UTC offset."
        )
    if aware == {True}:
        utc = [None if v is None else v.astimezone(dt.UTC) for v in parsed]
        return pa.array(utc, type=pa.timestamp("us", tz="UTC"))
    return pa.array(parsed, type=pa.timestamp("us"))


def _times(texts: list[str | None], spec: dict, resource: dict) -> pa.Array:
    import pyarrow as pa

    fmt = spec.get("format", "default")
    parsed = [
        None if text is None else _parse(text, spec, resource, dt.time, fmt) for text in texts
    ]
    if any(value is not None and value.tzinfo is not None for value in parsed):
        return pa.array(texts, type=pa.string())  # Arrow times carry no offset: keep the text
    return pa.array(parsed, type=pa.time64("us"))


def _parse(text: str, spec: dict, resource: dict, kind: type, fmt: str) -> Any:
    try:
        if fmt in ("default", "any"):
            return kind.fromisoformat(text)  # type: ignore[attr-defined]
        parsed = dt.datetime.strptime(text, fmt)
        return parsed if kind is dt.datetime else parsed.timetz()
    except ValueError:
        raise ExportError(
            f"{resource.get('name')}: field {spec.get('name')}: {text!r} is not a valid"
            f" {spec.get('type')}."
        ) from None


def _field_metadata(spec: dict) -> dict[bytes, bytes]:
    metadata = {b"type": str(spec.get("type", "string")).encode()}
    for key in ("title", "description", "format"):
        if spec.get(key):
            metadata[key.encode()] = str(spec[key]).encode()
    if spec.get("constraints"):
        metadata[b"constraints"] = _json(spec["constraints"]).encode()
    return metadata


def _package_summary(descriptor: dict) -> dict:
    keys = ("name", "title", "version", "homepage", "licenses")
    return {key: descriptor[key] for key in keys if key in descriptor}


@contextmanager
def ensure_opened(package: PackageLike) -> Iterator[OpenedPackage]:
    """The package itself if already opened, else opened for the duration of the block."""
    if isinstance(package, OpenedPackage):
        yield package
    else:
        with open_package(package) as opened:
            yield opened


@contextmanager
def _replacing(target: Path) -> Iterator[Path]:
    """A scratch path beside `target`, renamed onto it when the block succeeds."""
    scratch = target.with_name(f".{target.name}.partial-{os.getpid()}")
    scratch.unlink(missing_ok=True)
    try:
        yield scratch
        os.replace(scratch, target)
    finally:
        scratch.unlink(missing_ok=True)
        Path(f"{scratch}-journal").unlink(missing_ok=True)


def _names(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value] if isinstance(value, list) else []


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _comment(spec: dict) -> str:
    """Title and description on one line, safe inside an SQL `--` comment."""
    parts = [str(spec[key]) for key in ("title", "description") if spec.get(key)]
    return " ".join(": ".join(parts).split())


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
