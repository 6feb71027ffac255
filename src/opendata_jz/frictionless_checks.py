"""The frictionless layer: structure, types, constraints, keys and declared hashes.

frictionless is the reference for what counts as an error; this module runs it with the
error limit lifted and turns its errors into `Issue`s at physical CSV lines, with messages a
curator can act on.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

from .lines import (
    has_header,
    is_plain_csv,
    physical_line,
    record_start_lines,
    undecodable_line,
)
from .package import OpenedPackage
from .report import Issue

_NO_LIMIT = 10**9
_TYPE_NOTE = re.compile(r'type is "(?P<type>[^/"]+)/(?P<format>[^"]+)"')
_CONSTRAINT_NOTE = re.compile(r'constraint "(?P<name>\w+)" is "(?P<value>.*)"$', re.S)
_ROW_REF = re.compile(r"row at position (\d+)")
_LABEL_ERRORS = frozenset(
    {"duplicate-label", "missing-label", "incorrect-label", "extra-label", "blank-label"}
)


def frictionless_descriptor(package: OpenedPackage) -> dict:
    """A copy of the descriptor frictionless may safely open: unsafe resources left out.

    Uppercase hex digests are lowered because frictionless compares them case-sensitively.
    """
    descriptor = copy.deepcopy(package.descriptor)
    resources = descriptor.get("resources")
    if not isinstance(resources, list):
        return descriptor
    dropped = set(package.unsafe)
    kept = [r for r in resources if not (isinstance(r, dict) and str(r.get("name")) in dropped)]
    for resource in kept:
        if not isinstance(resource, dict):
            continue
        digest = resource.get("hash")
        if isinstance(digest, str):
            resource["hash"] = digest.lower()
        schema = resource.get("schema")
        if isinstance(schema, dict) and isinstance(schema.get("foreignKeys"), list):
            schema["foreignKeys"] = [
                fk
                for fk in schema["foreignKeys"]
                if not (
                    isinstance(fk, dict)
                    and isinstance(fk.get("reference"), dict)
                    and fk["reference"].get("resource") in dropped
                )
            ]
    descriptor["resources"] = kept
    return descriptor


def check_with_frictionless(package: OpenedPackage) -> list[Issue]:
    """Every error frictionless finds in the package, as issues."""
    frictionless_package, issues = open_with_frictionless(package)
    if frictionless_package is not None:
        for resource in frictionless_package.resources:
            issues.extend(resource_issues(package, resource))
    return issues


def open_with_frictionless(package: OpenedPackage) -> tuple[Any, list[Issue]]:
    """The package as frictionless sees it, or None and the descriptor's errors."""
    from frictionless import FrictionlessException, Package

    descriptor_name = package.descriptor_path.name
    try:
        frictionless_package = Package(frictionless_descriptor(package), basepath=str(package.root))
        frictionless_package.to_descriptor(validate=True)
    except FrictionlessException as exception:
        errors = exception.reasons or [exception.error]
        return None, [_package_issue(descriptor_name, error.type, error.note) for error in errors]
    return frictionless_package, []


def resource_issues(package: OpenedPackage, fresource: Any, facts: Any = None) -> list[Issue]:
    """Every error frictionless finds in one resource of an opened package, as issues; with
    the file's facts (`engine.FileFacts`), a bar on a terminal counts the rows read."""
    from .progress import row_progress

    rows, size = None, 0
    if facts is not None:
        facts.join()  # read while frictionless loaded: the lines stand for the rows
        if facts.failure is None:
            rows, size = facts.lines - 1, facts.read_bytes
    on_row, progress = row_progress(str(fresource.path or fresource.name), rows, size)
    try:
        report = fresource.validate(limit_errors=_NO_LIMIT, on_row=on_row)
    finally:
        progress.close()
    descriptor_name = package.descriptor_path.name
    issues = [_package_issue(descriptor_name, e.type, e.note) for e in report.errors]
    for task in report.tasks:
        resource = package.resource(task.name) if task.name else {}
        issues.extend(_task_issues(package, resource, task))
    return issues


def opened_header(fresource: Any) -> Any:
    """The resource opened for its header and dialect only, or None when frictionless finds
    anything wrong before the first row (metadata, file, header); the rows are not read.

    Foreign keys are left out of the copy, because opening with them reads every resource
    they point to.
    """
    from frictionless import FrictionlessException
    from frictionless.resources import TableResource

    if not isinstance(fresource, TableResource):
        return None
    copy = fresource.to_copy()
    package = fresource.package
    for key in copy.schema.foreign_keys if copy.schema else []:
        target = key["reference"].get("resource")
        if target and target != fresource.name and not package.has_resource(target):
            return None
    if copy.schema:
        copy.schema.foreign_keys = []
    try:
        copy.to_descriptor(validate=True)
        copy.open()
    except FrictionlessException:
        copy.close()
        return None
    if not (copy.labels or copy.fragment) or not copy.header.valid:
        copy.close()
        return None
    return copy


def _package_issue(descriptor_name: str, code: str, note: str) -> Issue:
    return Issue(None, descriptor_name, None, None, code, f"The descriptor is invalid: {note}.")


def _task_issues(package: OpenedPackage, resource: dict, task) -> list[Issue]:
    local = package.local_path(resource)
    starts = None
    if local is not None and any(e.to_dict().get("rowNumber") for e in task.errors):
        starts = record_start_lines(resource, local)
    path = task.place if isinstance(task.place, str) else str(resource.get("path"))
    primary_key = _primary_key(resource)
    issues = []
    for error in task.errors:
        data = error.to_dict()
        row = data.get("rowNumber")
        field = data.get("fieldName") or (data.get("fieldNames") or [None])[0]
        if data["type"] == "primary-key" and primary_key:
            field = primary_key[0]
        line = physical_line(starts, row)
        if data["type"] in _LABEL_ERRORS and row is None and has_header(resource):
            line = 1
        if row is None and _raised_elsewhere(data["type"], resource, local):
            continue  # raised reading a resource a foreign key points to; reported there
        if data["type"] == "encoding-error" and local is not None and is_plain_csv(resource, local):
            found = undecodable_line(resource, local)
            line = found[0] if found else None
        message = describe(data, resource, starts)
        issues.append(Issue(task.name, path, line, field or None, data["type"], message))
    return drop_repeated_faults(issues)


def _raised_elsewhere(kind: str, resource: dict, local: Path | None) -> bool:
    """Whether a file-level error of this resource's task cannot be about its own file.

    frictionless reads the resources a foreign key points to inside the task of the resource
    holding the key, and files their read errors there too.
    """
    if kind not in ("encoding-error", "scheme-error", "source-error") or local is None:
        return False
    if not local.is_file():
        return False
    if kind == "source-error":
        return local.stat().st_size > 0
    if kind == "encoding-error" and is_plain_csv(resource, local):
        return undecodable_line(resource, local) is None
    return kind == "scheme-error"


def _primary_key(resource: dict) -> list[str]:
    schema = resource.get("schema")
    key = schema.get("primaryKey") if isinstance(schema, dict) else None
    if isinstance(key, str):
        return [key]
    return [k for k in key if isinstance(k, str)] if isinstance(key, list) else []


def drop_repeated_faults(issues: list[Issue]) -> list[Issue]:
    """One issue per fault, where frictionless reports one fault twice.

    A primary-key error repeats a failed key cell or a blank row; a required-constraint
    error repeats a missing cell.
    """
    cells = {(i.line, i.field) for i in issues if i.code != "primary-key" and i.line is not None}
    blank = {i.line for i in issues if i.code == "blank-row"}
    missing = {(i.line, i.field) for i in issues if i.code == "missing-cell"}
    kept = []
    for issue in issues:
        if issue.code == "primary-key" and (
            (issue.line, issue.field) in cells or issue.line in blank
        ):
            continue
        if issue.code == "constraint-error" and (issue.line, issue.field) in missing:
            continue
        kept.append(issue)
    return kept


def describe(error: dict, resource: dict, starts: list[int] | None) -> str:
    """One sentence a curator can act on, for a frictionless error."""
    kind = error["type"]
    cell = error.get("cell")
    note = error.get("note") or ""
    field = error.get("fieldName")
    if kind == "type-error":
        match = _TYPE_NOTE.search(note)
        wanted = match["type"] if match else "the declared type"
        fmt = f" (format {match['format']})" if match and match["format"] != "default" else ""
        return f"{cell!r} is not a valid {wanted}{fmt}."
    if kind == "constraint-error":
        match = _CONSTRAINT_NOTE.search(note)
        if match and match["name"] == "required":
            return f"A value is required in {field!r}, but the cell is empty."
        if match:
            return f"{cell!r} breaks the constraint {match['name']} = {match['value']}."
        return f"{cell!r} breaks a constraint: {note}."
    if kind == "unique-error":
        return f"{cell!r} repeats a value that must be unique ({_line_ref(note, starts)})."
    if kind == "primary-key":
        if "all" in note and "None" in note:
            return "The primary key of this row is empty."
        return f"The primary key repeats an earlier row ({_line_ref(note, starts)})."
    if kind == "foreign-key":
        cells = ", ".join(repr(c) for c in error.get("fieldCells") or [])
        target = f"{error.get('referenceName') or 'this resource'}"
        fields = ", ".join(error.get("referenceFieldNames") or [])
        return f"{cells} has no match in {target} ({fields})."
    if kind == "missing-cell":
        return f"The row ends before field {field!r}: a cell is missing."
    if kind == "extra-cell":
        return f"The row has more cells than the header: {cell!r} has no field."
    if kind == "blank-row":
        return "The row is blank; remove it."
    if kind in (
        "duplicate-label",
        "missing-label",
        "incorrect-label",
        "extra-label",
        "blank-label",
    ):
        return f"Header problem ({kind.replace('-', ' ')}): {error.get('message', note)}."
    if kind == "scheme-error" and "No such file" in note:
        return f"The data file {resource.get('path')!r} does not exist."
    if kind == "scheme-error" and "Is a directory" in note:
        return f"The data path {resource.get('path')!r} is a directory, not a file."
    if kind == "source-error" and "empty" in note:
        return "The file is empty; a table needs at least its header row."
    if kind == "hash-count":
        return f"The file's hash does not match the declared one: {note}."
    if kind == "byte-count":
        return f"The file's size does not match the declared bytes: {note}."
    if kind == "encoding-error":
        return encoding_message(resource)
    return str(error.get("message") or note).rstrip(".") + "."


def encoding_message(resource: dict) -> str:
    """What to do about a file that its declared (or default) encoding cannot decode."""
    declared = resource.get("encoding") or "utf-8 (the default)"
    return (
        f"The file is not valid {declared} from this line on; convert it to UTF-8 or declare"
        " its real encoding (for example gb18030)."
    )


def _line_ref(note: str, starts: list[int] | None) -> str:
    match = _ROW_REF.search(note.replace('"', ""))
    if not match:
        return note
    return f"first on line {physical_line(starts, int(match[1]))}"
