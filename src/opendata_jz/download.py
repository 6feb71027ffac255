"""Fetch a published release, verify it, cache it, unpack it and load it as DataFrames.

A release lives in the GitHub release URL layout: `{base}/download/v{version}/{asset}` and
`{base}/latest/download/{asset}`. Its `SHA256SUMS` is the root of trust: the zip is checked
against it before it is opened, every unpacked file is checked against the descriptor's
`hash` and `bytes`, and a cached copy is checked again on every use.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sys
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .fetch import DownloadError, fetch, is_url

if TYPE_CHECKING:
    import pandas as pd

RELEASES_URL = "https://github.com/opendata-jz/opendata_jz/releases"
_VERSION = re.compile(r"^[0-9]+\.[0-9]+\.[0-9]+(?:[-+][0-9A-Za-z.+-]+)?$")
_SUMS_LINE = re.compile(r"^([0-9a-fA-F]{64}) [ *]([^/\\]+)$")
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")


class VerificationError(Exception):
    """A fetched or cached file failed a hash, size or archive-safety check: exit code 1."""


def releases_base(source: str | os.PathLike[str] | None = None) -> str:
    """The releases base: `source`, else `$OPENDATA_JZ_RELEASES`, else the project's URL."""
    base = os.fspath(source) if source is not None else os.environ.get("OPENDATA_JZ_RELEASES")
    base = base or RELEASES_URL
    if is_url(base):
        return base.rstrip("/")
    if "://" in base:
        raise DownloadError(f"Release source {base!r} is neither an http(s) URL nor a directory.")
    return str(Path(base).expanduser().resolve())


def cache_dir() -> Path:
    """Where verified releases are kept: `$OPENDATA_JZ_CACHE`, else the user cache directory."""
    override = os.environ.get("OPENDATA_JZ_CACHE")
    if override:
        return Path(override).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("opendata-jz"))


def asset_location(base: str, version: str, asset: str) -> str:
    """The URL (or local path) of one asset of a release, `latest` included."""
    folder = "latest/download" if version == "latest" else f"download/v{version}"
    if is_url(base):
        return f"{base}/{folder}/{asset}"
    return str(Path(base, *folder.split("/"), asset))


# -- verification --------------------------------------------------------------------------


def sha256_file(path: Path) -> str:
    """The hex SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def parse_sums(text: str, url: str, version: str) -> dict[str, str]:
    """`SHA256SUMS` as {asset name: hex digest}."""
    sums: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        match = _SUMS_LINE.match(line.rstrip("\r"))
        if match is None:
            raise DownloadError(f"Version {version}: {url} is not a SHA256SUMS file.")
        sums[match.group(2)] = match.group(1).lower()
    return sums


def verify_package(directory: Path) -> dict:
    """Check every resource file of an unpacked package against the descriptor's `hash` and
    `bytes`; returns the descriptor. A resource without a SHA-256 is not trusted."""
    from .package import path_problem

    try:
        descriptor = json.loads((directory / "datapackage.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise VerificationError(f"{directory}: unreadable datapackage.json ({error}).") from None
    resources = descriptor.get("resources") if isinstance(descriptor, dict) else None
    if not isinstance(resources, list):
        raise VerificationError(f"{directory}: the descriptor lists no resources.")
    for resource in resources:
        name = resource.get("name") if isinstance(resource, dict) else None
        path = resource.get("path") if isinstance(resource, dict) else None
        if not isinstance(path, str) or path_problem(path) is not None:
            raise VerificationError(f"{directory}: resource {name!r} has no safe local path.")
        _verify_file(directory, path, resource.get("hash"), resource.get("bytes"))
    return descriptor


def _verify_file(directory: Path, path: str, declared: object, size: object) -> None:
    file = directory / path
    if not isinstance(declared, str) or not declared.startswith("sha256:"):
        raise VerificationError(f"{file}: the descriptor gives no sha256 hash for it.")
    if file.is_symlink() or not file.is_file():
        raise VerificationError(f"{file}: missing or not a regular file.")
    if isinstance(size, int) and file.stat().st_size != size:
        raise VerificationError(f"{file}: {file.stat().st_size} bytes, expected {size}.")
    if sha256_file(file) != declared.removeprefix("sha256:").lower():
        raise VerificationError(f"{file}: SHA-256 differs from the descriptor's hash.")


# -- the cache -----------------------------------------------------------------------------


@dataclass(frozen=True)
class CacheEntry:
    """A release unpacked in the cache, with the record written when it was verified."""

    name: str
    version: str
    path: Path
    record: dict

    @property
    def record_path(self) -> Path:
        return self.path.with_name(f"{self.version}.json")


def cached_entries(root: Path | None = None) -> list[CacheEntry]:
    """Every cached release that has a verification record, newest version first."""
    root = root or cache_dir()
    entries = []
    for record_path in sorted(root.glob("*/*.json")):
        version = record_path.stem
        package = record_path.with_name(version)
        if not _VERSION.match(version) or not package.is_dir():
            continue
        try:
            record = json.loads(record_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            record = {}
        entries.append(CacheEntry(record_path.parent.name, version, package, record))
    return sorted(entries, key=lambda e: _version_key(e.version), reverse=True)


def _version_key(version: str) -> tuple:
    core, _, pre = version.partition("-")
    numbers = tuple(int(n) for n in re.findall(r"\d+", core.split("+")[0])[:3])
    # A pre-release sorts before its release, as semver says.
    return (numbers, pre == "", pre)


def entry_is_valid(entry: CacheEntry) -> bool:
    """Re-hash a cached release: descriptor against its record, files against the descriptor."""
    descriptor = entry.path / "datapackage.json"
    try:
        if sha256_file(descriptor) != entry.record.get("descriptor_sha256"):
            return False
        verify_package(entry.path)
    except (OSError, VerificationError):
        return False
    return True


def remove_entry(entry: CacheEntry) -> None:
    """Delete a cached release and its record."""
    entry.record_path.unlink(missing_ok=True)
    shutil.rmtree(entry.path, ignore_errors=True)


def _say(message: str) -> None:
    print(message, file=sys.stderr)


def _find_cached(version: str, base: str) -> Path | None:
    """A verified cached copy of `version`, preferring one fetched from `base`; a copy that
    fails verification is removed so that it is fetched again."""
    matches = [e for e in cached_entries() if e.version == version]
    matches.sort(key=lambda e: e.record.get("source") != base)
    for entry in matches:
        if entry_is_valid(entry):
            return entry.path
        _say(f"Cached copy of version {version} at {entry.path} failed verification; removing it.")
        remove_entry(entry)
    return None


# -- download ------------------------------------------------------------------------------


def resolve_version(version: str, base: str, scratch: Path) -> str:
    """A concrete version: `latest` is read from the latest release's descriptor."""
    if version != "latest":
        if not _VERSION.match(version):
            raise DownloadError(f"Version {version!r} is not X.Y.Z or 'latest' (from {base}).")
        return version
    location = asset_location(base, "latest", "datapackage.json")
    target = scratch / "latest-datapackage.json"
    fetch(location, target, "latest")
    try:
        resolved = json.loads(target.read_text(encoding="utf-8")).get("version")
    except (ValueError, AttributeError, UnicodeDecodeError):
        resolved = None
    if not isinstance(resolved, str) or not _VERSION.match(resolved):
        raise DownloadError(f"Version latest: {location} names no X.Y.Z version.")
    _say(f"latest is version {resolved} ({location})")
    return resolved


def download(
    version: str = "latest",
    source: str | os.PathLike[str] | None = None,
    dest: str | os.PathLike[str] | None = None,
    progress: bool = False,
) -> Path:
    """Fetch, verify and unpack a release; returns the package directory.

    Without `dest` the package goes to `{cache}/{name}/{version}/` and a verified cached copy
    is reused; with `dest` it goes to `{dest}/{name}-{version}/`. Raises DownloadError or
    VerificationError, leaving nothing of a refused download behind.
    """
    base = releases_base(source)
    parent = Path(dest) if dest is not None else cache_dir()
    parent.mkdir(parents=True, exist_ok=True)
    if dest is None and version != "latest":
        resolve_version(version, base, parent)  # validates the version's form
        cached = _find_cached(version, base)
        if cached is not None:
            return cached
    scratch = Path(tempfile.mkdtemp(prefix=".download-", dir=parent))
    try:
        try:
            concrete = resolve_version(version, base, scratch)
        except DownloadError as error:
            if dest is None and error.unreachable:
                return _offline_fallback(base, error)
            raise
        if dest is None and version == "latest":
            cached = _find_cached(concrete, base)
            if cached is not None:
                return cached
        return _install(base, concrete, parent, scratch, dest is not None, progress)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _offline_fallback(base: str, error: DownloadError) -> Path:
    for entry in cached_entries():
        if entry.record.get("source") == base and entry_is_valid(entry):
            warnings.warn(
                f"{error} Using the newest verified cached version, {entry.version}"
                f" ({entry.name}), from {entry.path}.",
                stacklevel=3,
            )
            _say(f"offline: using cached version {entry.version} from {entry.path}")
            return entry.path
    raise error


def _fetch_sums(base: str, version: str, scratch: Path) -> dict[str, str]:
    """The release's SHA256SUMS, fetched into `scratch` and parsed."""
    sums_location = asset_location(base, version, "SHA256SUMS")
    fetch(sums_location, scratch / "SHA256SUMS", version)
    try:
        sums_text = (scratch / "SHA256SUMS").read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise DownloadError(
            f"Version {version}: {sums_location} is not a SHA256SUMS file."
        ) from None
    return parse_sums(sums_text, sums_location, version)


def _fetch_verified(
    base: str, version: str, asset: str, sums: dict[str, str], into: Path, progress: bool = False
) -> Path:
    """One asset of a release, fetched into `into` and checked against SHA256SUMS."""
    location = asset_location(base, version, asset)
    if asset not in sums:
        raise VerificationError(f"Version {version}: SHA256SUMS does not list {asset}.")
    target = into / asset
    fetch(location, target, version, progress=progress)
    if asset.endswith(".zip"):
        with open(target, "rb") as handle:
            if handle.read(4) not in _ZIP_MAGIC:
                raise DownloadError(f"Version {version}: {location} is not a zip archive.")
    if sha256_file(target) != sums[asset]:
        raise VerificationError(
            f"Version {version}: {location} does not match its SHA-256 in SHA256SUMS."
        )
    return target


def _zip_name(sums: dict[str, str], base: str, version: str) -> str:
    zips = [n for n in sums if n.endswith(f"-{version}.zip")]
    if len(zips) != 1:
        location = asset_location(base, version, "SHA256SUMS")
        raise VerificationError(f"Version {version}: {location} lists no single package zip.")
    return zips[0]


def mirror_release(
    source: str, version: str, into: Path, extra: tuple[str, ...] = ("CHANGELOG.md",)
) -> Path:
    """Copy a release's SHA256SUMS, package zip and `extra` assets into the directory `into`,
    each verified against SHA256SUMS; return the zip's path. `version` may be `latest`."""
    base = releases_base(source)
    into.mkdir(parents=True, exist_ok=True)
    version = resolve_version(version, base, into)
    sums = _fetch_sums(base, version, into)
    archive = _fetch_verified(base, version, _zip_name(sums, base, version), sums, into)
    for asset in extra:
        if asset in sums:
            _fetch_verified(base, version, asset, sums, into)
    return archive


def _install(
    base: str, version: str, parent: Path, scratch: Path, to_dest: bool, progress: bool
) -> Path:
    """Fetch SHA256SUMS and the zip, verify, unpack, verify again, rename into place."""
    sums = _fetch_sums(base, version, scratch)
    zip_name = _zip_name(sums, base, version)
    name = zip_name.removesuffix(f"-{version}.zip")
    zip_location = asset_location(base, version, zip_name)
    zip_path = _fetch_verified(base, version, zip_name, sums, scratch, progress)
    unpacked = _unpack(zip_path, scratch / "unpacked", version, zip_location)
    try:
        verify_package(unpacked)
    except VerificationError as error:
        raise VerificationError(f"Version {version} from {zip_location}: {error}") from None
    if to_dest:
        return _place(unpacked, parent / f"{name}-{version}", version)
    target = _place(unpacked, parent / name / version, version)
    record = {
        "source": base,
        "zip_sha256": sums[zip_name],
        "descriptor_sha256": sha256_file(target / "datapackage.json"),
    }
    record_path = target.with_name(f"{version}.json")
    staging = record_path.with_name(f".{record_path.name}.{os.getpid()}")
    staging.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    os.replace(staging, record_path)
    return target


def _unpack(zip_path: Path, into: Path, version: str, location: str) -> Path:
    """Safe-unpack the zip and return its single root folder holding datapackage.json."""
    from .archive import ArchiveError, safe_extract

    into.mkdir()
    try:
        safe_extract(zip_path, into)
    except ArchiveError as error:
        raise VerificationError(f"Version {version}: {location} is unsafe: {error}") from None
    roots = list(into.iterdir())
    if len(roots) != 1 or not (roots[0] / "datapackage.json").is_file():
        raise VerificationError(
            f"Version {version}: {location} has no single root folder with a datapackage.json."
        )
    return roots[0]


def _place(unpacked: Path, target: Path, version: str) -> Path:
    """Rename the verified package to `target` in one step; an existing verified copy (from a
    concurrent download) is kept."""
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.rename(unpacked, target)
    except OSError:
        try:
            verify_package(target)
        except VerificationError:
            raise DownloadError(
                f"Version {version}: {target} already exists and is not a verified copy;"
                " remove it first."
            ) from None
    return target


# -- loading -------------------------------------------------------------------------------


def load(version: str = "latest", source: str | None = None) -> dict[str, pd.DataFrame]:
    """The tabular resources of a release as typed DataFrames, verified before use."""
    return load_package(download(version=version, source=source))


def load_package(path: str | os.PathLike[str]) -> dict[str, pd.DataFrame]:
    """The tabular resources of a local package (descriptor, directory or zip) as typed
    DataFrames, keyed by resource name."""
    from .package import open_package
    from .schema import read_typed

    frames = {}
    with open_package(path) as package:
        for resource in package.resources:
            tabular = resource.get("type") == "table" or isinstance(resource.get("schema"), dict)
            if tabular and package.local_path(resource) is not None:
                frames[str(resource.get("name"))] = read_typed(package, resource)
    return frames
