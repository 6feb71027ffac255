"""Run every check layer over a package and return one `Report`. Prints nothing, writes
nothing into the package."""

from __future__ import annotations

import os

from .frictionless_checks import check_with_frictionless
from .package import open_package
from .pandera_checks import check_with_pandera
from .report import Report


def validate(path: str | os.PathLike[str] | None = None) -> Report:
    """Validate a package given as a descriptor, a directory or a zip.

    Raises `PackageError` when the package cannot be opened at all.
    """
    with open_package(path) as package:
        unsafe = [issue for issues in package.unsafe.values() for issue in issues]
        structural = check_with_frictionless(package)
        derived = check_with_pandera(package)
        return Report.merge(unsafe + structural, derived)
