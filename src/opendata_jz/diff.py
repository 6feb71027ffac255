"""Schema and row changes between two versions of a data package, and the version bump they need.

Rows are compared as the strings the CSV holds (after CSV parsing), matched by primary key.

The bump is the highest level any single change requires:

major (existing queries or code may break)
    a resource or a field removed (a rename is a removal plus an addition); a field's type,
    `format` or parsing instructions (missingValues, trueValues, falseValues, decimalChar,
    groupChar, bareNumber) changed; fields reordered (positional readers break); the primary
    key, the foreign keys or the unique keys changed; a constraint tightened: `required` or
    `unique` added, `minimum`/`exclusiveMinimum`/`minLength` raised or added,
    `maximum`/`exclusiveMaximum`/`maxLength` lowered or added, `enum` values dropped or an
    `enum` added, a `pattern` added or changed (a changed pattern cannot be proven looser).
minor (something new, nothing that existed goes away)
    a resource, a field or rows added; a constraint loosened (the reverse of the above).
patch (corrections)
    cell values changed or rows removed, without a schema change; descriptor properties
    edited (titles, descriptions, licences, sources...); a file's bytes changed while its
    rows did not (row order, quoting, line endings) or a non-tabular file's content changed.
None
    nothing changed. `version`, `created`, `hash` and `bytes` are not compared as properties
    (they change with every release or follow the content, which is compared directly).

Row removal is a patch: in a package curated from a published text, a row goes away because
it was curated wrongly (the text does not state it), which is a correction of the data, not a
change of its shape. Consumers that refer to row keys from outside should pin a release.

In the changelog, changed cells are listed under "Fixed" (a curated value was corrected),
schema and descriptor edits under "Changed".
"""

from __future__ import annotations

import csv
import hashlib
import os
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from .lines import csv_reader_options, text_encoding
from .package import OpenedPackage, PackageError, open_package

Bump = Literal["major", "minor", "patch"]
_LEVELS: dict[str, int] = {"patch": 1, "minor": 2, "major": 3}

#: The level each kind of schema or descriptor change requires.
KIND_LEVELS: dict[str, Bump] = {
    "resource-added": "minor",
    "resource-removed": "major",
    "field-added": "minor",
    "field-removed": "major",
    "field-retyped": "major",
    "parsing-changed": "major",
    "fields-reordered": "major",
    "primary-key-changed": "major",
    "foreign-keys-changed": "major",
    "unique-keys-changed": "major",
    "constraint-tightened": "major",
    "constraint-loosened": "minor",
    "metadata-changed": "patch",
    "file-changed": "patch",
}

_IGNORED_PACKAGE_KEYS = frozenset({"resources", "version", "created"})
_IGNORED_RESOURCE_KEYS = frozenset({"name", "schema", "hash", "bytes"})
_STRUCTURAL_SCHEMA_KEYS = frozenset(
    {"fields", "primaryKey", "foreignKeys", "uniqueKeys", "missingValues"}
)
_TYPE_KEYS = ("type", "format")
_PARSING_KEYS = (
    "missingValues",
    "trueValues",
    "falseValues",
    "decimalChar",
    "groupChar",
    "bareNumber",
)
_LOWER_BOUNDS = ("minimum", "exclusiveMinimum", "minLength")
_UPPER_BOUNDS = ("maximum", "exclusiveMaximum", "maxLength")
_CHANGELOG_ROW_LIMIT = 50


@dataclass(frozen=True)
class SchemaChange:
    """One change to the descriptor: a resource, a field, a key, a constraint or a property.

    `attribute` names the constraint or descriptor property concerned, where there is one.
    """

    kind: str
    resource: str | None = None
    field: str | None = None
    attribute: str | None = None
    old: Any = None
    new: Any = None

    @property
    def level(self) -> Bump:
        return KIND_LEVELS[self.kind]

    def place(self) -> str:
        if self.resource is None:
            return "descriptor"
        return f"{self.resource}.{self.field}" if self.field else self.resource

    def describe(self) -> str:
        """One line saying what changed, old → new where that is short enough to read."""
        what = {
            "resource-added": "new resource",
            "resource-removed": "resource removed",
            "field-added": "new field",
            "field-removed": "field removed",
            "field-retyped": f"{self.attribute} {_show(self.old)} → {_show(self.new)}",
            "parsing-changed": f"{self.attribute} {_show(self.old)} → {_show(self.new)}",
            "fields-reordered": "fields reordered",
            "primary-key-changed": f"primary key {_show(self.old)} → {_show(self.new)}",
            "foreign-keys-changed": f"foreign keys {_show(self.old)} → {_show(self.new)}",
            "unique-keys-changed": f"unique keys {_show(self.old)} → {_show(self.new)}",
            "constraint-tightened": f"constraint {self.attribute} tightened"
            f" ({_show(self.old)} → {_show(self.new)})",
            "constraint-loosened": f"constraint {self.attribute} loosened"
            f" ({_show(self.old)} → {_show(self.new)})",
            "metadata-changed": _property_change(self.attribute, self.old, self.new),
            "file-changed": f"file {self.attribute} changed"
            + (" (rows unchanged)" if self.new == "rows unchanged" else ""),
        }[self.kind]
        return f"{self.place()}: {what}"

    def to_dict(self) -> dict:
        return {
            "kind": self.kind,
            "level": self.level,
            "resource": self.resource,
            "field": self.field,
            "attribute": self.attribute,
            "old": self.old,
            "new": self.new,
        }


@dataclass(frozen=True)
class RowChange:
    """A row added, removed or changed, identified by its primary key (or, in a resource without
    one, by its values). `cells` holds (field, old, new) for each changed cell."""

    resource: str
    kind: Literal["added", "removed", "changed"]
    key: tuple[str, ...]
    cells: tuple[tuple[str, str | None, str | None], ...] = ()

    def key_text(self) -> str:
        return self.key[0] if len(self.key) == 1 else "(" + ", ".join(self.key) + ")"

    def describe(self) -> str:
        if self.kind != "changed":
            return f"{self.resource}: row {self.key_text()} {self.kind}"
        cells = "; ".join(f"{name} {_show(old)} → {_show(new)}" for name, old, new in self.cells)
        return f"{self.resource}: row {self.key_text()} {cells}"

    def to_dict(self) -> dict:
        return {
            "resource": self.resource,
            "kind": self.kind,
            "key": list(self.key),
            "cells": [{"field": n, "old": o, "new": v} for n, o, v in self.cells],
        }


@dataclass
class PackageDiff:
    """Everything that changed from one package version to the next."""

    name: str | None
    old_version: str | None
    new_version: str | None
    schema: list[SchemaChange] = field(default_factory=list)
    rows: list[RowChange] = field(default_factory=list)
    row_counts: dict[str, tuple[int | None, int | None]] = field(default_factory=dict)
    initial: bool = False

    @property
    def bump(self) -> Bump | None:
        """The smallest semver bump these changes allow (None when nothing changed)."""
        levels = [_LEVELS[c.level] for c in self.schema]
        levels += [_LEVELS["minor" if r.kind == "added" else "patch"] for r in self.rows]
        if not levels:
            return None
        top = max(levels)
        return next(name for name, level in _LEVELS.items() if level == top)  # type: ignore[return-value]

    @property
    def changed(self) -> bool:
        return bool(self.schema or self.rows)

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "old_version": self.old_version,
            "new_version": self.new_version,
            "bump": self.bump,
            "schema": [change.to_dict() for change in self.schema],
            "rows": [change.to_dict() for change in self.rows],
            "initial": self.initial,
            "row_counts": {
                name: {"old": old, "new": new} for name, (old, new) in self.row_counts.items()
            },
        }

    def row_summary(self) -> dict[str, Counter]:
        """How many rows were added, changed and removed, per resource."""
        summary: dict[str, Counter] = {}
        for change in self.rows:
            summary.setdefault(change.resource, Counter())[change.kind] += 1
        return summary

    def render_text(self) -> str:
        """A plain-text report: the bump, then schema changes, then row changes."""
        old = self.old_version or "(none)"
        new = self.new_version or "(none)"
        lines = [f"{self.name or 'package'} {old} → {new}: bump {self.bump or 'none'}"]
        if not self.changed:
            lines.append("No changes.")
            return "\n".join(lines) + "\n"
        if self.schema:
            lines.append("")
            lines.append("Schema and descriptor:")
            lines += [f"  {c.level:<5}  {c.describe()}" for c in self.schema]
        if self.rows:
            lines.append("")
            lines.append("Rows:")
            for resource, counts in self.row_summary().items():
                parts = ", ".join(f"{counts[k]} {k}" for k in ("added", "changed", "removed"))
                lines.append(f"  {resource}: {parts}")
                for change in self.rows:
                    if change.resource == resource:
                        lines.append(f"    {_row_line(change)}")
        return "\n".join(lines) + "\n"

    def changelog_entry(self, version: str, date: str) -> str:
        """A Keep a Changelog section for `version`, written from the changes themselves."""
        sections: dict[str, list[str]] = {"Added": [], "Changed": [], "Removed": [], "Fixed": []}
        if self.initial:
            sections["Added"].append(f"First release of {self.name or 'the package'}.")
        for change in self.schema:
            if change.kind == "resource-added":
                sections["Added"].append(_added_resource_line(change, self.row_counts))
            elif change.kind == "field-added":
                sections["Added"].append(change.describe())
            elif change.kind in ("resource-removed", "field-removed"):
                sections["Removed"].append(change.describe())
            else:
                sections["Changed"].append(change.describe())
        for kind, section in (("added", "Added"), ("removed", "Removed"), ("changed", "Fixed")):
            sections[section] += _limited_row_lines(self.rows, kind)
        lines = [f"## [{version}] - {date}", ""]
        if not any(sections.values()):
            lines += ["### Changed", "", "- No changes to the data or the descriptor.", ""]
        for title, entries in sections.items():
            if entries:
                lines += [f"### {title}", ""] + [f"- {_one_line(e)}" for e in entries] + [""]
        return "\n".join(lines)


def diff_packages(old: str | os.PathLike[str] | None, new: str | os.PathLike[str]) -> PackageDiff:
    """Compare two packages (directories, zips or descriptor files).

    `old` may be None for a first release: every resource of `new` is then an addition.
    Raises `PackageError` when a package or one of its tabular files cannot be read.
    """
    with ExitStack() as stack:
        new_package = stack.enter_context(open_package(new))
        old_package = stack.enter_context(open_package(old)) if old is not None else None
        return compare(old_package, new_package)


def compare(old: OpenedPackage | None, new: OpenedPackage) -> PackageDiff:
    """The diff between two opened packages (`old` None for a first release)."""
    old_resources = {r.get("name"): r for r in old.resources} if old else {}
    new_resources = {r.get("name"): r for r in new.resources}
    result = PackageDiff(
        name=new.descriptor.get("name"),
        old_version=_version(old.descriptor) if old else None,
        new_version=_version(new.descriptor),
        initial=old is None,
    )
    if old is not None:
        result.schema += _property_changes(
            old.descriptor, new.descriptor, _IGNORED_PACKAGE_KEYS, resource=None
        )
    for name, resource in new_resources.items():
        if name not in old_resources:
            title = resource.get("title")
            result.schema.append(SchemaChange("resource-added", str(name), new=title))
            result.row_counts[str(name)] = (None, _row_count(new, resource))
            continue
        assert old is not None
        _compare_resource(old, new, old_resources[name], resource, result)
    for name in old_resources:
        if name not in new_resources:
            result.schema.append(SchemaChange("resource-removed", str(name)))
            result.row_counts[str(name)] = (_row_count(old, old_resources[name]), None)  # type: ignore[arg-type]
    return result


def _compare_resource(
    old: OpenedPackage, new: OpenedPackage, before: dict, after: dict, result: PackageDiff
) -> None:
    name = str(after.get("name"))
    result.schema += _property_changes(before, after, _IGNORED_RESOURCE_KEYS, resource=name)
    old_schema, new_schema = _schema(before), _schema(after)
    result.schema += _schema_changes(name, old_schema, new_schema)
    old_file, new_file = old.local_path(before), new.local_path(after)
    if old_schema.get("fields") and new_schema.get("fields") and old_file and new_file:
        old_table = _read_rows(before, old_file)
        new_table = _read_rows(after, new_file)
        result.row_counts[name] = (len(old_table.rows), len(new_table.rows))
        changes = _row_changes(name, old_schema, new_schema, old_table, new_table)
        result.rows += changes
        same_columns = old_table.header == new_table.header
        if not changes and same_columns and _digest(old_file) != _digest(new_file):
            result.schema.append(
                SchemaChange(
                    "file-changed", name, attribute=after.get("path"), new="rows unchanged"
                )
            )
    elif old_file and new_file and _digest(old_file) != _digest(new_file):
        result.schema.append(SchemaChange("file-changed", name, attribute=after.get("path")))


def _schema_changes(resource: str, old: dict, new: dict) -> list[SchemaChange]:
    changes = _property_changes(old, new, _STRUCTURAL_SCHEMA_KEYS, resource=resource)
    old_fields = {f.get("name"): f for f in _fields(old)}
    new_fields = {f.get("name"): f for f in _fields(new)}
    for name, spec in new_fields.items():
        if name not in old_fields:
            changes.append(SchemaChange("field-added", resource, str(name), new=spec.get("type")))
        else:
            changes += _field_changes(resource, str(name), old_fields[name], spec)
    for name in old_fields:
        if name not in new_fields:
            changes.append(SchemaChange("field-removed", resource, str(name)))
    common_old = [n for n in old_fields if n in new_fields]
    common_new = [n for n in new_fields if n in old_fields]
    if common_old != common_new:
        changes.append(SchemaChange("fields-reordered", resource, old=common_old, new=common_new))
    if old.get("missingValues", [""]) != new.get("missingValues", [""]):
        changes.append(
            SchemaChange(
                "parsing-changed",
                resource,
                attribute="missingValues",
                old=old.get("missingValues", [""]),
                new=new.get("missingValues", [""]),
            )
        )
    for key, kind in (
        ("primaryKey", "primary-key-changed"),
        ("foreignKeys", "foreign-keys-changed"),
        ("uniqueKeys", "unique-keys-changed"),
    ):
        before, after = _keys(old.get(key)), _keys(new.get(key))
        if before != after:
            changes.append(SchemaChange(kind, resource, old=before, new=after))
    return changes


def _field_changes(resource: str, name: str, old: dict, new: dict) -> list[SchemaChange]:
    changes: list[SchemaChange] = []
    for key in _TYPE_KEYS:
        before = old.get(key, "string" if key == "type" else "default")
        after = new.get(key, "string" if key == "type" else "default")
        if before != after:
            changes.append(SchemaChange("field-retyped", resource, name, key, before, after))
    for key in _PARSING_KEYS:
        if old.get(key) != new.get(key):
            changes.append(
                SchemaChange("parsing-changed", resource, name, key, old.get(key), new.get(key))
            )
    changes += _constraint_changes(resource, name, old.get("constraints"), new.get("constraints"))
    ignored = set(_TYPE_KEYS) | set(_PARSING_KEYS) | {"name", "constraints"}
    changes += _property_changes(old, new, frozenset(ignored), resource=resource, field_name=name)
    return changes


def _constraint_changes(resource: str, name: str, old: Any, new: Any) -> list[SchemaChange]:
    old = old if isinstance(old, dict) else {}
    new = new if isinstance(new, dict) else {}
    changes = []
    for key in sorted(set(old) | set(new), key=_constraint_order):
        before, after = old.get(key), new.get(key)
        if before == after:
            continue
        kind = "constraint-tightened" if _tightens(key, before, after) else "constraint-loosened"
        changes.append(SchemaChange(kind, resource, name, key, before, after))
    return changes


def _tightens(key: str, before: Any, after: Any) -> bool:
    """Whether changing constraint `key` from `before` to `after` can reject data it accepted.

    Unknown constraints and incomparable bounds count as tightening, to stay on the safe side.
    """
    if key in ("required", "unique"):
        return bool(after) and not bool(before)
    if key == "enum":
        if after is None:
            return False
        if before is None:
            return True
        return not set(map(_hashable, after)) >= set(map(_hashable, before))
    if key == "pattern":
        return after is not None
    if key in _LOWER_BOUNDS or key in _UPPER_BOUNDS:
        if after is None:
            return False
        if before is None:
            return True
        try:
            raised = after > before
        except TypeError:
            return True
        return raised if key in _LOWER_BOUNDS else after < before
    return True


def _property_changes(
    old: dict,
    new: dict,
    ignored: frozenset[str],
    *,
    resource: str | None,
    field_name: str | None = None,
) -> list[SchemaChange]:
    keys = [k for k in dict.fromkeys([*old, *new]) if k not in ignored]
    return [
        SchemaChange("metadata-changed", resource, field_name, key, old.get(key), new.get(key))
        for key in keys
        if old.get(key) != new.get(key)
    ]


@dataclass
class _Rows:
    header: list[str]
    rows: list[dict[str, str]]


def _read_rows(resource: dict, path: Path) -> _Rows:
    """The CSV's rows as dicts of strings keyed by header (schema field names when headerless).

    Blank rows are skipped, as frictionless skips them."""
    try:
        with open(path, encoding=text_encoding(resource), newline="") as handle:
            records = list(csv.reader(handle, **csv_reader_options(resource)))
    except (OSError, UnicodeDecodeError, csv.Error, LookupError) as error:
        name = resource.get("name")
        raise PackageError(f"{path}: cannot read resource {name!r} ({error}).") from None
    dialect = resource.get("dialect")
    has_header = not (isinstance(dialect, dict) and dialect.get("header") is False)
    if has_header:
        header = records[0] if records else []
        records = records[1:]
    else:
        header = [str(f.get("name")) for f in _fields(_schema(resource))]
    rows = [
        dict(zip(header, record + [""] * (len(header) - len(record)), strict=False))
        for record in records
        if any(cell.strip() for cell in record)
    ]
    return _Rows(header, rows)


def _row_changes(
    resource: str, old_schema: dict, new_schema: dict, old: _Rows, new: _Rows
) -> list[RowChange]:
    common = [name for name in new.header if name in old.header]
    key = _row_key(old_schema, new_schema, common)
    if key is None:
        return _unkeyed_changes(resource, common, old, new)
    old_rows = {tuple(row.get(k, "") for k in key): row for row in old.rows}
    new_rows = {tuple(row.get(k, "") for k in key): row for row in new.rows}
    changes: list[RowChange] = []
    for row_key, row in new_rows.items():
        before = old_rows.get(row_key)
        if before is None:
            changes.append(RowChange(resource, "added", row_key))
            continue
        cells = tuple(
            (name, before.get(name), row.get(name))
            for name in common
            if before.get(name) != row.get(name)
        )
        if cells:
            changes.append(RowChange(resource, "changed", row_key, cells))
    changes += [RowChange(resource, "removed", k) for k in old_rows if k not in new_rows]
    return changes


def _unkeyed_changes(resource: str, common: list[str], old: _Rows, new: _Rows) -> list[RowChange]:
    """Rows of a resource without a primary key, compared as a multiset of whole rows."""
    before = Counter(tuple(row.get(n, "") for n in common) for row in old.rows)
    after = Counter(tuple(row.get(n, "") for n in common) for row in new.rows)
    added, removed = after - before, before - after
    changes = [
        RowChange(resource, "added", values)
        for values in dict.fromkeys(tuple(row.get(n, "") for n in common) for row in new.rows)
        for _ in range(added.get(values, 0))
    ]
    changes += [
        RowChange(resource, "removed", values)
        for values in dict.fromkeys(tuple(row.get(n, "") for n in common) for row in old.rows)
        for _ in range(removed.get(values, 0))
    ]
    return changes


def _row_key(old_schema: dict, new_schema: dict, common: list[str]) -> list[str] | None:
    """The key rows are matched by: the new primary key, else the old one, if both sides have
    its fields."""
    for schema in (new_schema, old_schema):
        key = _keys(schema.get("primaryKey"))
        if key and all(name in common for name in key):
            return key  # type: ignore[return-value]
    return None


def _row_count(package: OpenedPackage, resource: dict) -> int | None:
    path = package.local_path(resource)
    if not _fields(_schema(resource)) or path is None or not path.is_file():
        return None
    return len(_read_rows(resource, path).rows)


def _schema(resource: dict) -> dict:
    schema = resource.get("schema")
    return schema if isinstance(schema, dict) else {}


def _fields(schema: dict) -> list[dict]:
    fields = schema.get("fields")
    return [f for f in fields if isinstance(f, dict)] if isinstance(fields, list) else []


def _keys(value: Any) -> Any:
    """A key declaration in one canonical form (a bare string means a one-field key)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        return [_foreign_key(v) for v in value]
    return value if value else None


def _foreign_key(value: dict) -> dict:
    fields = value.get("fields")
    reference = value.get("reference") if isinstance(value.get("reference"), dict) else {}
    ref_fields = reference.get("fields")
    return {
        "fields": [fields] if isinstance(fields, str) else fields,
        "reference": {
            "resource": reference.get("resource") or "",
            "fields": [ref_fields] if isinstance(ref_fields, str) else ref_fields,
        },
    }


def _version(descriptor: dict) -> str | None:
    version = descriptor.get("version")
    return str(version) if version is not None else None


def _digest(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def _hashable(value: Any) -> Any:
    return repr(value) if isinstance(value, (dict, list)) else value


def _constraint_order(key: str) -> tuple[int, str]:
    order = ["required", "unique", "enum", "pattern", *_LOWER_BOUNDS, *_UPPER_BOUNDS]
    return (order.index(key) if key in order else len(order), key)


def _show(value: Any) -> str:
    if value is None:
        return "(none)"
    if value == "":
        return "(empty)"
    if isinstance(value, list):
        return (
            "["
            + ", ".join(_show(v) if not isinstance(v, dict) else _fk_text(v) for v in value)
            + "]"
        )
    return _one_line(str(value))


def _fk_text(value: dict) -> str:
    reference = value.get("reference") or {}
    target = reference.get("resource") or "(self)"
    return f"{_show(value.get('fields'))} → {target}{_show(reference.get('fields'))}"


def _property_change(name: str | None, old: Any, new: Any) -> str:
    short = all(
        v is None or (isinstance(v, (str, int, float)) and len(str(v)) <= 60) for v in (old, new)
    )
    if old is None:
        return f"{name} added" + (f" ({_show(new)})" if short else "")
    if new is None:
        return f"{name} removed"
    return f"{name} changed" + (f" ({_show(old)} → {_show(new)})" if short else "")


def _added_resource_line(change: SchemaChange, counts: dict) -> str:
    rows = counts.get(change.resource, (None, None))[1]
    title = f" “{_one_line(str(change.new))}”" if change.new else ""
    suffix = "" if rows is None else f" ({rows} row{'' if rows == 1 else 's'})"
    return f"{change.resource}: new resource{title}{suffix}"


def _row_line(change: RowChange) -> str:
    line = change.describe()
    return line.removeprefix(f"{change.resource}: ")


def _limited_row_lines(rows: list[RowChange], kind: str) -> list[str]:
    """Row lines for the changelog, at most a fixed number per resource so that a bulk edit
    stays readable; the JSON diff has them all."""
    lines: list[str] = []
    per_resource = Counter(c.resource for c in rows if c.kind == kind)
    shown: Counter = Counter()
    for change in rows:
        if change.kind != kind:
            continue
        shown[change.resource] += 1
        if shown[change.resource] <= _CHANGELOG_ROW_LIMIT:
            lines.append(change.describe())
        elif shown[change.resource] == _CHANGELOG_ROW_LIMIT + 1:
            rest = per_resource[change.resource] - _CHANGELOG_ROW_LIMIT
            lines.append(f"{change.resource}: {rest} more rows {kind}")
    return lines


def _one_line(text: str) -> str:
    return " ".join(text.split())
