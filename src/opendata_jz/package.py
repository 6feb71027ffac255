"""Open a data package safely: find and parse its descriptor, and vet its resource paths.

A package is given as a descriptor file (JSON or YAML), a directory holding one, or a zip
archive holding one. Nothing here writes into the package.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from .report import Issue

DESCRIPTOR_NAMES = ("datapackage.json", "datapackage.yaml", "datapackage.yml")
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_WINDOWS_DRIVE = re.compile(r"^[A-Za-z]:")


class PackageError(Exception):
    """The package cannot be opened at all (exit code 2): one sentence saying why."""


@dataclass
class OpenedPackage:
    """A descriptor parsed from disk, with the directory its relative paths resolve against."""

    descriptor: dict
    descriptor_path: Path
    root: Path
    shown_as: str
    unsafe: dict[str, list[Issue]] = field(default_factory=dict)

    @property
    def resources(self) -> list[dict]:
        resources = self.descriptor.get("resources")
        return [r for r in resources if isinstance(r, dict)] if isinstance(resources, list) else []

    def resource(self, name: str) -> dict:
        for resource in self.resources:
            if resource.get("name") == name:
                return resource
        raise KeyError(name)

    def local_path(self, resource: dict) -> Path | None:
        """The file of a single-file, local, vetted resource; None for anything else."""
        path = resource.get("path")
        if not isinstance(path, str) or resource.get("name") in self.unsafe:
            return None
        return self.root / path


def read_descriptor(path: Path) -> dict:
    """Parse a JSON or YAML descriptor, raising PackageError with one sentence on failure."""
    try:
        text = path.read_text(encoding="utf-8-sig")  # editors on Windows add a BOM
    except FileNotFoundError:
        raise PackageError(f"{path}: no such descriptor file.") from None
    except IsADirectoryError:
        raise PackageError(f"{path}: is a directory without a datapackage.json.") from None
    except (OSError, UnicodeDecodeError) as error:
        raise PackageError(f"{path}: cannot read the descriptor ({error}).") from None
    try:
        if path.suffix.lower() in (".yaml", ".yml"):
            import yaml

            descriptor = yaml.safe_load(text)
        else:
            descriptor = json.loads(text)
    except Exception as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise PackageError(f"{path}: the descriptor is not valid JSON/YAML ({reason}).") from None
    if not isinstance(descriptor, dict):
        raise PackageError(f"{path}: the descriptor is not a JSON object.")
    return descriptor


def find_descriptor(directory: Path) -> Path:
    """The descriptor file inside a package directory."""
    for name in DESCRIPTOR_NAMES:
        candidate = directory / name
        if candidate.is_file():
            return candidate
    raise PackageError(f"{directory}: no datapackage.json in this directory.")


def path_problem(path: str) -> str | None:
    """Why a resource path may not be read from disk, or None when it is a safe relative path."""
    if _URL.match(path):
        return "is a URL; validation is offline and does not fetch it"
    if path.startswith(("/", "\\")) or _WINDOWS_DRIVE.match(path):
        return "is an absolute path; resource paths must be relative to the package"
    if path.startswith("~") or "$" in path:
        return "uses home-directory or variable expansion, which is not allowed"
    parts = PurePosixPath(path.replace("\\", "/")).parts
    if ".." in parts:
        return "leads out of the package through '..'"
    return None


def vet_resource_paths(root: Path, descriptor: dict) -> dict[str, list[Issue]]:
    """Issues for resources whose paths are unsafe, keyed by resource name."""
    unsafe: dict[str, list[Issue]] = {}
    resources = descriptor.get("resources")
    if not isinstance(resources, list):
        return unsafe
    real_root = root.resolve()
    for resource in resources:
        if not isinstance(resource, dict):
            continue
        name = resource.get("name")
        paths = resource.get("path")
        paths = [paths] if isinstance(paths, str) else paths if isinstance(paths, list) else []
        for path in paths:
            if not isinstance(path, str):
                continue
            problem = path_problem(path)
            if problem is None:
                resolved = (root / path).resolve()
                if not resolved.is_relative_to(real_root):
                    problem = "is a symbolic link leading out of the package"
            if problem is not None:
                code = "remote-path" if _URL.match(path) else "unsafe-path"
                message = f"Resource path {path!r} {problem}."
                unsafe.setdefault(str(name), []).append(
                    Issue(str(name) if name else None, path, None, None, code, message)
                )
    return unsafe


def _zip_descriptor(root: Path) -> Path:
    try:
        return find_descriptor(root)
    except PackageError:
        entries = [p for p in root.iterdir() if not p.name.startswith("__MACOSX")]
        if len(entries) == 1 and entries[0].is_dir():
            return find_descriptor(entries[0])
        raise PackageError("the zip archive holds no datapackage.json at its root.") from None


@contextmanager
def open_package(target: str | os.PathLike[str] | None = None) -> Iterator[OpenedPackage]:
    """Open a package from a descriptor, a directory or a zip archive.

    A zip is unpacked (after its members are checked) into a temporary directory that is
    removed on exit.
    """
    target_path = Path(target) if target is not None else Path("datapackage.json")
    if target_path.is_dir():
        with _opened(find_descriptor(target_path), str(target_path)) as package:
            yield package
        return
    if target_path.suffix.lower() == ".zip":
        if not target_path.is_file():
            raise PackageError(f"{target_path}: no such zip archive.")
        from .archive import ArchiveError, safe_extract

        scratch = Path(tempfile.mkdtemp(prefix="opendata-jz-"))
        try:
            try:
                safe_extract(target_path, scratch)
            except ArchiveError as error:
                raise PackageError(f"{target_path}: {error}") from None
            with _opened(_zip_descriptor(scratch), str(target_path)) as package:
                yield package
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        return
    with _opened(target_path, str(target_path.parent)) as package:
        yield package


@contextmanager
def _opened(descriptor_path: Path, shown_as: str) -> Iterator[OpenedPackage]:
    descriptor = read_descriptor(descriptor_path)
    root = descriptor_path.parent
    yield OpenedPackage(
        descriptor=descriptor,
        descriptor_path=descriptor_path,
        root=root,
        shown_as=shown_as,
        unsafe=vet_resource_paths(root, descriptor),
    )
