"""opendata_jz: curate, validate, publish and load figure-level Frictionless data packages.

Heavy dependencies (pandas, pandera, frictionless) load only when a function needs them.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

try:
    __version__ = version("opendata-jz")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

# validate's module imports no heavy dependency at import time; binding the function here
# keeps the name `opendata_jz.validate` the function rather than the submodule.
from .validate import validate

if TYPE_CHECKING:
    from .report import Issue, Report

__all__ = ["Issue", "Report", "__version__", "load", "load_package", "validate"]


def load(version: str = "latest", source: str | None = None) -> dict[str, Any]:
    """The tables of a published release as typed pandas DataFrames, verified before use."""
    from .download import load as run

    return run(version=version, source=source)


def load_package(path: str) -> dict[str, Any]:
    """The tables of a local package as typed pandas DataFrames."""
    from .download import load_package as run

    return run(path)


def __getattr__(name: str) -> Any:
    if name in ("Issue", "Report"):
        from . import report

        return getattr(report, name)
    raise AttributeError(name)
