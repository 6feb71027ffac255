"""The pandera layer: schemas derived from the descriptor, run over every CSV resource.

Columns are cast first (`schema.cast_column`), so a bad cell is one type error and every
other check still sees the rest of its column. Foreign keys and the descriptor's declared
rules run as pandera checks too. Row numbers become physical CSV lines.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .cell_rules import FORMULA_START, PLACEHOLDERS, cell_issues
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

    @classmethod
    def cast(cls, resource: dict, path: str, table: StringTable) -> _Loaded:
        typed = table.frame.copy()
        invalid: dict[str, pd.Series] = {}
        for field in fields_of(resource):
            if field.get("type", "string") not in CAST_TYPES:
                continue
            name = str(field.get("name"))
            cast = cast_column(table.frame[name], field, missing_values(resource, field))
            typed[name] = cast.values
            invalid[name] = cast.invalid
        return cls(resource, path, table.lines, table.frame, typed, invalid)


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


def _cell_rule_issues(name: str, item: _Loaded, suspects: dict | None = None) -> list[Issue]:
    issues = []
    for field in fields_of(item.resource):
        column = item.raw[str(field.get("name"))]
        if suspects is not None:
            column = column[suspects[str(field.get("name"))]]
        missing = missing_values(item.resource, field)
        issues.extend(cell_issues(column, field, missing, name, item.path, item.lines))
    return issues


class ChunkChecks:
    """The same checks on a resource the engine reads: fed batch by batch from its single
    read, run every `chunk_rows` rows, on the values the engine already cast.

    Keys across chunks, foreign keys and declared rules are not run here: the engine checks
    keys over the whole file, and resources bound by declared rules are not given to it.
    """

    def __init__(self, resource: dict, path: str, chunk_rows: int = 50_000) -> None:
        self.resource = resource
        self.path = path
        self.chunk_rows = chunk_rows
        self.pending: list[tuple] = []
        self.rows = 0
        self.issues: list[Issue] = []

    def feed(self, raw, checked: dict, lines) -> None:
        self.pending.append((raw, checked, lines))
        self.rows += raw.num_rows
        if self.rows >= self.chunk_rows:
            self._run()

    def finish(self) -> list[Issue]:
        if self.pending:
            self._run()
        return self.issues

    def _run(self) -> None:
        import numpy as np
        import pandas as pd
        import pyarrow as pa

        pending, self.pending, self.rows = self.pending, [], 0
        lines = np.concatenate([p[2] for p in pending])
        raw = pa.Table.from_batches([p[0] for p in pending]).to_pandas(
            types_mapper=lambda _: pd.StringDtype("pyarrow")
        )
        kept = ~(raw == "").all(axis=1).to_numpy()  # blank rows, as read_strings drops them
        typed = raw.copy()
        invalid = {}
        for field in fields_of(self.resource):
            name, kind = str(field.get("name")), field.get("type", "string")
            if kind in _ENGINE_DTYPES:
                values = pa.chunked_array([p[1][name].values for p in pending])
                typed[name] = values.to_pandas(types_mapper=_ENGINE_DTYPES[kind])
                invalid[name] = pd.Series(np.concatenate([p[1][name].invalid for p in pending]))
            elif kind in CAST_TYPES:
                cast = cast_column(raw[name], field, missing_values(self.resource, field))
                typed[name], invalid[name] = cast.values, cast.invalid
        raw, typed, lines = raw[kept], typed[kept], lines[kept]
        index = pd.RangeIndex(len(lines))
        raw.index = typed.index = index
        invalid = {k: pd.Series(v.to_numpy()[kept], index=index) for k, v in invalid.items()}
        item = _Loaded(self.resource, self.path, lines.tolist(), raw, typed, invalid)
        name = str(self.resource.get("name"))
        self.issues.extend(_type_issues(name, item))
        self.issues.extend(_schema_issues(name, item, {}, [], {}))
        self.issues.extend(_cell_rule_issues(name, item, _suspects(pending, self.resource, kept)))


#: Cells the stricter rules could flag (a superset); the rules themselves decide.
_SUSPECT = {
    "integer": r"[^0-9.-]",
    "number": r"[^0-9.-]",
    "year": r"[^0-9.-]",
    "string": "^["
    + "".join("\\" + c if c in "-]\\^" else c for c in FORMULA_START)
    + "]|^("
    + "|".join(re.escape(p) for p in sorted(PLACEHOLDERS))
    + ")$",
}


def _suspects(pending: list, resource: dict, kept) -> dict:
    """Per field, a mask of the chunk's rows worth showing to the stricter cell rules."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    masks = {}
    for field in fields_of(resource):
        name = str(field.get("name"))
        pattern = _SUSPECT.get(field.get("type", "string"))
        if pattern is None:
            masks[name] = np.zeros(int(kept.sum()), dtype=bool)
            continue
        raw = pa.chunked_array([p[0].column(name) for p in pending])
        masks[name] = pc.match_substring_regex(raw, pattern).to_numpy()[kept]
    return masks


def _dtype(kind: str):
    def mapper(_):
        import pandas as pd
        import pyarrow as pa

        if kind == "integer":
            return pd.Int64Dtype()
        if kind == "number":
            return pd.Float64Dtype()
        if kind == "date":
            return pd.ArrowDtype(pa.date32())
        return pd.StringDtype("pyarrow")

    return mapper


#: The pandas dtype of each type the engine casts, as `cast_column` would give it.
_ENGINE_DTYPES = {kind: _dtype(kind) for kind in ("integer", "number", "date", "string")}


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
            issue = _constraint_issue(name, item, schema, column, check, case, index)
        issues.setdefault((issue.line, issue.field, issue.code), issue)
    return list(issues.values())


def _constraint_issue(
    name: str, item: _Loaded, schema, column: str, check: str, case, index: int
) -> Issue:
    value = item.raw.at[index, column]
    line = item.lines[index]
    if check == "not_nullable":
        return Issue(
            name,
            item.path,
            line,
            column,
            "constraint-error",
            f"A value is required in {column!r}, but the cell is empty.",
        )
    if check == "field_uniqueness":
        return Issue(
            name,
            item.path,
            line,
            column,
            "unique-error",
            f"{value!r} repeats a value that must be unique.",
        )
    if check.startswith("foreign-key:"):
        return Issue(
            name,
            item.path,
            line,
            column,
            "foreign-key",
            f"{value!r} has no match in {check.split(':', 1)[1]}.",
        )
    checks = schema.columns[column].checks
    number = case.check_number
    label = check
    if number == number and number is not None and int(number) < len(checks):
        label = checks[int(number)].name or check
    return Issue(
        name,
        item.path,
        line,
        column,
        "constraint-error",
        f"{value!r} breaks the constraint {label}.",
    )
