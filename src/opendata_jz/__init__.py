"""opendata_jz: curate, validate, publish and load figure-level Frictionless data packages.

Everything here loads lazily, so that `import opendata_jz` and `opendata-jz --help` stay
instant; pandas, pandera and frictionless load only when a function needs them.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .report import Issue, Report

__all__ = ["Issue", "Report", "__version__", "load", "load_package", "validate"]


def validate(path: str | os.PathLike[str] | None = None) -> Report:
    """Validate a data package (descriptor, directory or zip) and return its `Report`."""
    from .validation import validate as run

    return run(path)


def load(version: str = "latest", source: str | None = None) -> dict[str, Any]:
    """The tables of a published release as typed pandas DataFrames, verified before use."""
    from .download import load as run

    return run(version=version, source=source)


def load_package(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The tables of a local package as typed pandas DataFrames."""
    from .download import load_package as run

    return run(path)


def __getattr__(name: str) -> Any:
    if name in ("Issue", "Report"):
        from . import report

        return getattr(report, name)
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("opendata-jz")
        except PackageNotFoundError:  # a source tree that was never installed
            return "0+unknown"
    raise AttributeError(name)
