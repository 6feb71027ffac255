"""The pandera layer: schemas derived from the descriptor, run over every CSV resource.

Columns are cast first (`schema.cast_column`), so a bad cell is one type error and every
other check still sees the rest of its column. Foreign keys and the descriptor's declared
rules run as pandera checks too. Row numbers become physical CSV lines.

On resources the streaming engine reads, every check the derived schema states is made
exactly by the engine itself, so only the stricter cell rules run there (`ChunkChecks`).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .cell_rules import arrow_cell_issues, cell_issues
from .frictionless_checks import encoding_message
from .lines import is_plain_csv, undecodable_line
from .package import OpenedPackage
from .report import Issue
from .rules import Rule, declared_rules, evaluate, explain
from .schema import (
    CAST_TYPES,
    StringTable,
    cast_column,
    fields_of,
    missing_values,
    pandera_schema,
    read_strings,
)

if TYPE_CHECKING:
    import pandas as pd

_CONSTRAINT_CODES = {"not_nullable": "constraint-error", "field_uniqueness": "unique-error"}


@dataclass
class _Loaded:
    """A resource (or a chunk of one) as strings and cast to its types."""

    resource: dict
    path: str
    lines: list[int]
    raw: pd.DataFrame
    typed: pd.DataFrame
    invalid: dict[str, pd.Series]
    inexact: dict[str, pd.Series]

    @classmethod
    def cast(cls, resource: dict, path: str, table: StringTable) -> _Loaded:
        typed = table.frame.copy()
        invalid: dict[str, pd.Series] = {}
        inexact: dict[str, pd.Series] = {}
        for field in fields_of(resource):
            if field.get("type", "string") not in CAST_TYPES:
                continue
            name = str(field.get("name"))
            cast = cast_column(table.frame[name], field, missing_values(resource, field))
            typed[name] = cast.values
            invalid[name] = cast.invalid
            if cast.inexact is not None and cast.inexact.any():
                inexact[name] = cast.inexact
        return cls(resource, path, table.lines, table.frame, typed, invalid, inexact)


def check_with_pandera(package: OpenedPackage, skip: frozenset[str] = frozenset()) -> list[Issue]:
    """Type, constraint, foreign-key, rule and stricter cell issues of every CSV resource
    (but those in `skip`, which the engine fed to `ChunkChecks` already)."""
    loaded: dict[str, _Loaded] = {}
    issues: list[Issue] = []
    for resource in package.resources:
        name = str(resource.get("name"))
        path = package.local_path(resource)
        if name in skip or path is None or not fields_of(resource) or not path.is_file():
            continue
        if not is_plain_csv(resource, path):
            continue
        try:
            table = read_strings(resource, path)
        except UnicodeDecodeError:
            # frictionless guesses an undeclared encoding; the default is UTF-8.
            found = undecodable_line(resource, path)
            line = found[0] if found else None
            message = encoding_message(resource)
            issues.append(Issue(name, str(resource["path"]), line, None, "encoding-error", message))
            continue
        except (OSError, ValueError, LookupError, csv.Error):
            continue  # frictionless reports unreadable files
        loaded[name] = _Loaded.cast(resource, str(resource["path"]), table)

    rules = declared_rules(package.descriptor)
    tables = {name: item.typed for name, item in loaded.items()}
    for name, item in loaded.items():
        issues.extend(_type_issues(name, item))
        issues.extend(
            _schema_issues(name, item, loaded, [r for r in rules if r.resource == name], tables)
        )
        issues.extend(_cell_rule_issues(name, item))
    return issues


def _cell_rule_issues(name: str, item: _Loaded) -> list[Issue]:
    issues = []
    for field in fields_of(item.resource):
        column = item.raw[str(field.get("name"))]
        missing = missing_values(item.resource, field)
        issues.extend(cell_issues(column, field, missing, name, item.path, item.lines))
    return issues


#: What the derived schema (`schema.pandera_schema`) states, and where the engine checks it
#: exactly, cell by cell as frictionless does: so on the engine's path pandera need not run.
ENGINE_CHECKED = {
    "isin": "cells.FieldCheck (enum)",
    "minimum": "cells.FieldCheck",
    "maximum": "cells.FieldCheck",
    "exclusiveMinimum": "cells.FieldCheck",
    "exclusiveMaximum": "cells.FieldCheck",
    "minLength": "cells.FieldCheck",
    "maxLength": "cells.FieldCheck",
    "pattern": "cells.FieldCheck",
    "not_nullable": "cells.FieldCheck (required)",
    "field_uniqueness": "keys.KeyCheck (unique)",
    "dtype": "cells.FieldCheck (casting)",
}


class ChunkChecks:
    """The pandera layer of a resource the engine reads, fed batch by batch from its single
    read.

    Every check the derived schema states (see `ENGINE_CHECKED`) is one the engine already
    made exactly, and resources bound by declared rules are not given to the engine, so
    what is left to run here is only what no other layer checks: the stricter cell rules,
    on the raw Arrow columns, without pandas.
    """

    def __init__(self, resource: dict, path: str) -> None:
        self.name = resource.get("name")
        self.path = path
        self.fields = fields_of(resource)
        self.issues: list[Issue] = []

    def feed(self, raw, checked: dict, lines) -> None:
        for index, field in enumerate(self.fields):
            cast = checked[str(field.get("name"))]
            self.issues += arrow_cell_issues(
                raw.column(index), cast.missing, field, self.name, self.path, lines, cast.plain
            )

    def finish(self) -> list[Issue]:
        return self.issues


def _type_issues(name: str, item: _Loaded) -> list[Issue]:
    issues = []
    kinds = {str(f.get("name")): f.get("type", "string") for f in fields_of(item.resource)}
    for column, invalid in item.invalid.items():
        for index in invalid[invalid].index:
            value = item.raw.at[index, column]
            issues.append(
                Issue(
                    name,
                    item.path,
                    item.lines[index],
                    column,
                    "type-error",
                    f"{value!r} is not a valid {kinds[column]}.",
                )
            )
    return issues


def _foreign_key_checks(item: _Loaded, loaded: dict[str, _Loaded]) -> dict[str, list]:
    """Single-field foreign keys as `isin` checks on the referencing column."""
    import pandera.pandas as pa

    checks: dict[str, list] = {}
    schema = item.resource.get("schema") or {}
    for key in schema.get("foreignKeys") or []:
        fields = key.get("fields") if isinstance(key, dict) else None
        reference = key.get("reference") if isinstance(key, dict) else None
        fields = [fields] if isinstance(fields, str) else fields
        if not isinstance(reference, dict) or not isinstance(fields, list) or len(fields) != 1:
            continue
        target_name = reference.get("resource") or item.resource.get("name")
        target_fields = reference.get("fields")
        target_fields = [target_fields] if isinstance(target_fields, str) else target_fields
        target = loaded.get(str(target_name))
        if target is None or not target_fields or target_fields[0] not in target.typed:
            continue
        allowed = target.typed[target_fields[0]].dropna().astype(str).unique().tolist()
        label = f"{target_name}.{target_fields[0]}"
        checks.setdefault(fields[0], []).append(
            pa.Check(
                lambda s, allowed=frozenset(allowed): s.astype(str).isin(allowed),
                element_wise=False,
                ignore_na=True,
                name=f"foreign-key:{label}",
            )
        )
    return checks


def _schema_issues(
    name: str, item: _Loaded, loaded: dict[str, _Loaded], rules: list[Rule], tables: dict
) -> list[Issue]:
    import pandera.pandas as pa

    schema = pandera_schema(
        item.resource,
        extra_checks=[
            pa.Check(lambda frame, rule=rule: evaluate(rule, frame, tables), name=rule.name)
            for rule in rules
        ],
    )
    for column, checks in _foreign_key_checks(item, loaded).items():
        if column in schema.columns:
            schema.columns[column].checks.extend(checks)
    for column in schema.columns.values():
        column.report_duplicates = "exclude_first"
    try:
        schema.validate(item.typed, lazy=True)
    except pa.errors.SchemaErrors as errors:
        return _failure_issues(name, item, schema, rules, errors.failure_cases)
    return []


def _failure_issues(name: str, item: _Loaded, schema, rules: list[Rule], cases) -> list[Issue]:
    rules_by_name = {rule.name: rule for rule in rules}
    issues: dict[tuple, Issue] = {}
    for case in cases.itertuples(index=False):
        check = str(case.check)
        if case.index is None or case.index != case.index:
            if check in rules_by_name:  # the check itself failed to run
                rule = rules_by_name[check]
                message = f"Rule {check} could not be evaluated: {case.failure_case}."
                issue = Issue(name, item.path, None, rule.field, check, message)
                issues.setdefault((None, rule.field, check), issue)
            continue
        index = int(case.index)
        column = case.column if isinstance(case.column, str) else None
        if check in rules_by_name:
            rule = rules_by_name[check]
            message = explain(rule, item.typed, index)
            issue = Issue(name, item.path, item.lines[index], rule.field, check, message)
        else:
            if column is None:
                continue
            invalid = item.invalid.get(column)
            if invalid is not None and bool(invalid.iloc[index]):
                continue  # already a type error
            inexact = item.inexact.get(column)
            if inexact is not None and bool(inexact.iloc[index]):
                continue  # a float cannot judge it: frictionless's layer does
            issue = _constraint_issue(name, item, schema, column, check, case, index)
        issues.setdefault((issue.line, issue.field, issue.code), issue)
    return list(issues.values())


def _constraint_issue(
    name: str, item: _Loaded, schema, column: str, check: str, case, index: int
) -> Issue:
    value = item.raw.at[index, column]
    if check == "not_nullable":
        code, message = (
            "constraint-error",
            f"A value is required in {column!r}, but the cell is empty.",
        )
    elif check == "field_uniqueness":
        code, message = "unique-error", f"{value!r} repeats a value that must be unique."
    elif check.startswith("foreign-key:"):
        code, message = "foreign-key", f"{value!r} has no match in {check.split(':', 1)[1]}."
    else:
        checks = schema.columns[column].checks
        number = case.check_number
        label = check
        if number == number and number is not None and int(number) < len(checks):
            label = checks[int(number)].name or check
        code, message = "constraint-error", f"{value!r} breaks the constraint {label}."
    return Issue(name, item.path, item.lines[index], column, code, message)
