"""Run every check layer over a package and return one `Report`. Prints nothing, writes
nothing into the package."""

from __future__ import annotations

import os
from typing import Any

from .extension import extension_issues
from .package import OpenedPackage, open_package
from .pandera_checks import check_with_pandera
from .report import Issue, Report


def validate(path: str | os.PathLike[str] | None = None) -> Report:
    """Validate a package given as a descriptor, a directory or a zip.

    Raises `PackageError` when the package cannot be opened at all.
    """
    with open_package(path) as package:
        unsafe = [issue for issues in package.unsafe.values() for issue in issues]
        structural, chunked, scanned = check_rows(package)
        if scanned is None:
            # The descriptor itself is invalid: as in frictionless, nothing else is checked,
            # since every later layer would only restate that fault.
            return Report.merge(unsafe + structural)
        malformed = extension_issues(package.descriptor, package.descriptor_path.name)
        if malformed:
            package.descriptor = {k: v for k, v in package.descriptor.items() if k != "opendata_jz"}
        derived = chunked + check_with_pandera(package, skip=scanned)
        provenance: list[Issue] = []
        if isinstance(package.descriptor.get("opendata_jz"), dict):
            from .provenance import check_provenance  # with the figure reader, on demand

            provenance = check_provenance(package)
        return Report.merge(unsafe + structural + malformed, derived, provenance)


def check_rows(
    package: OpenedPackage,
) -> tuple[list[Issue], list[Issue], frozenset[str] | None]:
    """The frictionless layer, resource by resource: read by the engine where it can (with
    the pandera layer fed from the same read), else by frictionless.

    Returns the frictionless-layer issues, the pandera issues of the engine's resources, and
    the names of those resources (None when frictionless cannot open the descriptor).
    """
    from .engine import FileFacts
    from .frictionless_checks import open_with_frictionless, resource_issues

    facts = FileFacts.ahead(package)
    frictionless_package, issues = open_with_frictionless(package)
    if frictionless_package is None:
        return issues, [], None
    from .rows import EngineRun

    run = EngineRun(package, frictionless_package, facts)
    for fresource in _targets_first(frictionless_package.resources):
        found = run.try_scan(fresource)
        if found is None:  # frictionless reads it, with the line count the facts give
            found = resource_issues(package, fresource, facts.get(fresource.name))
        issues.extend(found)
    return issues, run.chunked, frozenset(run.scans)


def _targets_first(resources: list) -> list:
    """The resources, each after those its foreign keys point to (where keys do not loop),
    so that the engine has read a key's target before it checks the key."""
    by_name = {r.name: r for r in resources}
    ordered: dict[str, Any] = {}

    def place(resource: Any, seen: frozenset[str]) -> None:
        if resource.name in ordered or resource.name in seen:
            return
        for key in resource.schema.foreign_keys if resource.schema else []:
            target = by_name.get(key["reference"].get("resource"))
            if target is not None:
                place(target, seen | {resource.name})
        ordered[resource.name] = resource

    for resource in resources:
        place(resource, frozenset())
    return list(ordered.values())
