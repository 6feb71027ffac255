"""Run every check layer over a package and return one `Report`. Prints nothing, writes
nothing into the package."""

from __future__ import annotations

import os

from .extension import extension_issues
from .frictionless_checks import check_with_frictionless
from .package import open_package
from .pandera_checks import check_with_pandera
from .provenance import check_provenance
from .report import Report


def validate(path: str | os.PathLike[str] | None = None) -> Report:
    """Validate a package given as a descriptor, a directory or a zip.

    Raises `PackageError` when the package cannot be opened at all.
    """
    with open_package(path) as package:
        unsafe = [issue for issues in package.unsafe.values() for issue in issues]
        structural = check_with_frictionless(package)
        malformed = extension_issues(package.descriptor, package.descriptor_path.name)
        if malformed:
            package.descriptor = {k: v for k, v in package.descriptor.items() if k != "opendata_jz"}
        derived = check_with_pandera(package)
        return Report.merge(unsafe + structural + malformed, derived, check_provenance(package))
