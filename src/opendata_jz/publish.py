"""Build a release directory atomically, laid out like the URL space of GitHub releases.

    OUT/download/v{version}/   the release's assets
    OUT/latest/download        a symlink to ../download/v{newest}

Steps: validate the package; refuse a version that is already published or smaller than the
changes since the previous release require (see `opendata_jz.diff` for the rules; 0.y.z
versions follow the same rules); build every asset in `OUT/.staging-{version}-{pid}/`; rename
the finished release to `OUT/download/v{version}` in one step; then swap `latest` with
`os.replace`. A failure removes the staging directory; a killed process leaves it behind,
where no reader looks, and the next publish removes it. A published version is never written
to again. Publishes into one OUT are serialised by a lock on the directory.

Determinism: every timestamp inside the assets (zip entries, the changelog date) comes from
`SOURCE_DATE_EPOCH` when set, else from the descriptor's `created` date, else the fixed date
2020-01-01; zip members are sorted, mode 0644, without extra attributes. The same package
therefore gives the same bytes, whatever the output directory.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json
import os
import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .diff import PackageDiff, diff_packages
from .exports import tabular_resources, write_parquet, write_sqlite
from .package import open_package, path_problem, read_descriptor
from .site import asset_entries, render_index

if TYPE_CHECKING:
    from .report import Report

_SEMVER = re.compile(r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$")
_PACKAGE_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
_STAGING_PREFIX = ".staging-"
_FIXED_EPOCH = 1577836800  # 2020-01-01T00:00:00Z
_ZIP_EPOCH_MIN = 315532800  # 1980-01-01T00:00:00Z, the earliest time a zip entry can hold

CHANGELOG_HEADER = """# Changelog

All notable changes to this data package are documented in this file.

The format is based on [Keep a Changelog](https://keepachangelog.com/en/1.1.0/), and this
package adheres to [Semantic Versioning](https://semver.org/spec/v2.0.0.html) for data: a
removed or retyped field, a changed key or a tightened constraint is a major change; added
resources, fields or rows are minor; corrected values and descriptor edits are a patch.
"""


class PublishRefused(Exception):
    """The package may not be published as asked (exit code 1): invalid, version exists, or
    version too small. `report` holds the validation report when that was the reason."""

    def __init__(self, message: str, report: Report | None = None) -> None:
        super().__init__(message)
        self.report = report


class PublishError(Exception):
    """Publishing cannot run (exit code 2): a bad argument or an unreadable previous release."""


Version = tuple[int, int, int]


@dataclass
class PublishResult:
    """What a publish did, or with `dry_run`, would do."""

    name: str
    version: str
    release_dir: Path
    assets: list[str]
    diff: PackageDiff
    date: str
    date_source: str
    previous_version: str | None = None
    previous_path: Path | None = None
    required_version: str | None = None
    latest: str | None = None
    dry_run: bool = False
    sizes: dict[str, int] = field(default_factory=dict)

    @property
    def bump(self) -> str | None:
        return None if self.previous_version is None else self.diff.bump

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "version": self.version,
            "dry_run": self.dry_run,
            "release_dir": str(self.release_dir),
            "previous_version": self.previous_version,
            "previous_path": str(self.previous_path) if self.previous_path else None,
            "bump": self.bump,
            "required_version": self.required_version,
            "date": self.date,
            "date_source": self.date_source,
            "latest": self.latest,
            "assets": [{"name": n, "bytes": self.sizes.get(n)} for n in self.assets],
            "diff": self.diff.to_dict(),
        }

    def render_text(self) -> str:
        """The plan (dry run) or the outcome, for a terminal."""
        head = "Would publish" if self.dry_run else "Published"
        lines = [f"{head} {self.name} {self.version} → {self.release_dir}"]
        if self.previous_version is None:
            lines.append("Previous release: none (first release)")
        else:
            lines.append(f"Previous release: {self.previous_version} ({self.previous_path})")
            lines.append(
                f"Changes require: {self.bump or 'nothing'}"
                f" (smallest allowed version {self.required_version})"
            )
            lines += [f"  {c.level:<5}  {c.describe()}" for c in self.diff.schema]
            for resource, counts in self.diff.row_summary().items():
                parts = ", ".join(
                    f"{counts[k]} {k}" for k in ("added", "changed", "removed") if counts[k]
                )
                lines.append(f"  rows   {resource}: {parts}")
        lines.append(f"Release date: {self.date} ({self.date_source})")
        lines.append("Assets:")
        width = max(map(len, self.assets), default=0)
        for name in self.assets:
            size = f"  {self.sizes[name]:>9} bytes" if name in self.sizes else ""
            lines.append(f"  {name:<{width}}{size}".rstrip())
        if self.latest:
            lines.append(f"latest/download → download/v{self.latest}")
        if self.dry_run:
            lines.append("Dry run: nothing was written.")
        return "\n".join(lines) + "\n"


def publish(
    package_path: str | os.PathLike[str] | None,
    out_dir: str | os.PathLike[str],
    version: str | None = None,
    previous: str | os.PathLike[str] | None = None,
    dry_run: bool = False,
) -> PublishResult:
    """Validate the package and build its release in `out_dir/download/v{version}`.

    Raises `PublishRefused` (invalid package, version published, version too small),
    `PublishError` (bad argument, unreadable previous release) or `PackageError` (the
    package cannot be opened).
    """
    from .fetch import is_url

    if previous is not None and is_url(os.fspath(previous)):
        with tempfile.TemporaryDirectory(prefix="opendata-jz-previous-") as scratch:
            local = _mirror_previous(os.fspath(previous), Path(scratch))
            return publish(package_path, out_dir, version, local, dry_run)
    from .validation import validate

    source = Path(package_path) if package_path is not None else Path("datapackage.json")
    out = Path(out_dir)
    with open_package(source) as package:
        descriptor = package.descriptor
    if version is not None and not _SEMVER.match(version):
        raise PublishError(f"--version {version!r} is not a semantic version X.Y.Z.")
    report = validate(source)
    if not report.valid:
        raise PublishRefused(
            f"{source} is not valid ({len(report.errors)} errors); nothing was published.",
            report=report,
        )
    name = str(descriptor.get("name") or "")
    if not _PACKAGE_NAME.match(name):
        raise PublishRefused(
            f"the package name {name!r} is missing or not usable in file names"
            " (lowercase letters, digits, '.', '_', '-')."
        )
    version = version or _descriptor_version(descriptor)
    timestamp, date_source = release_timestamp(descriptor)
    if dry_run:
        plan = _plan(source, out, name, version, previous, timestamp, date_source)
        plan.dry_run = True
        return plan
    created_out = not out.exists()
    out.mkdir(parents=True, exist_ok=True)
    try:
        with _locked(out):
            # Planned under the lock, so that a concurrent publish cannot slip in between.
            plan = _plan(source, out, name, version, previous, timestamp, date_source)
            _remove_stale_staging(out)
            _build_and_commit(source, out, plan, timestamp)
    except BaseException:
        if created_out and not any(out.iterdir()):
            out.rmdir()
        raise
    return plan


def release_timestamp(descriptor: dict) -> tuple[int, str]:
    """Seconds since the epoch for every timestamp in the assets, and where it came from."""
    raw = os.environ.get("SOURCE_DATE_EPOCH")
    if raw is not None and raw.strip():
        if not raw.strip().isdigit() or not raw.strip().isascii():
            raise PublishError(f"SOURCE_DATE_EPOCH={raw!r} is not a whole number of seconds.")
        return max(int(raw), _ZIP_EPOCH_MIN), "SOURCE_DATE_EPOCH"
    created = descriptor.get("created")
    if isinstance(created, str):
        try:
            moment = dt.datetime.fromisoformat(created)
        except ValueError:
            moment = None
        if moment is not None:
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=dt.UTC)
            return max(int(moment.timestamp()), _ZIP_EPOCH_MIN), "the descriptor's created"
    return _FIXED_EPOCH, "fixed date: set SOURCE_DATE_EPOCH to date the release"


def parse_version(text: str) -> Version:
    """(major, minor, patch) of an X.Y.Z version, or ValueError."""
    match = _SEMVER.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a semantic version X.Y.Z")
    return int(match[1]), int(match[2]), int(match[3])


def bumped(version: str, level: str | None) -> str:
    """The smallest version after `version` that a change of `level` allows."""
    major, minor, patch = parse_version(version)
    if level == "major":
        return f"{major + 1}.0.0"
    if level == "minor":
        return f"{major}.{minor + 1}.0"
    return f"{major}.{minor}.{patch + 1}"


def published_versions(out_dir: str | os.PathLike[str]) -> dict[str, Path]:
    """Releases in `out_dir/download`, by version, oldest first."""
    download = Path(out_dir) / "download"
    found: dict[str, Path] = {}
    if download.is_dir():
        for entry in download.iterdir():
            if entry.name.startswith("v") and _SEMVER.match(entry.name[1:]) and entry.is_dir():
                found[entry.name[1:]] = entry
    return dict(sorted(found.items(), key=lambda item: parse_version(item[0])))


def asset_names(name: str, version: str, tables: list[str]) -> list[str]:
    """Every asset of a release, sorted."""
    names = [
        f"{name}-{version}.zip",
        f"{name}-{version}.sqlite",
        *(f"{name}-{version}-{table}.parquet" for table in tables),
        "datapackage.json",
        "index.html",
        "CHANGELOG.md",
        "SHA256SUMS",
    ]
    return sorted(names)


def _plan(
    source: Path,
    out: Path,
    name: str,
    version: str,
    previous: str | os.PathLike[str] | None,
    timestamp: int,
    date_source: str,
) -> PublishResult:
    releases = published_versions(out)
    if version in releases:
        raise PublishRefused(
            f"version {version} is already published in {releases[version]};"
            " a published version is never rewritten."
        )
    previous_path, previous_version = _previous_release(previous, releases, version)
    if previous_version is not None and parse_version(version) <= parse_version(previous_version):
        raise PublishRefused(
            f"version {version} is not above the previous release {previous_version}."
        )
    diff = diff_packages(previous_path, source)
    required = None
    if previous_version is not None:
        required = bumped(previous_version, diff.bump or "patch")
        if parse_version(version) < parse_version(required):
            reasons = [c.describe() for c in diff.schema if c.level == diff.bump][:5]
            raise PublishRefused(
                f"version {version} is too small: the changes since {previous_version} need a"
                f" {diff.bump} bump, at least {required}"
                + (f" ({'; '.join(reasons)})." if reasons else ".")
            )
    with open_package(source) as package:
        tables = [str(r.get("name")) for r in tabular_resources(package)]
    newest = max([*releases, version], key=parse_version)
    return PublishResult(
        name=name,
        version=version,
        release_dir=out / "download" / f"v{version}",
        assets=asset_names(name, version, tables),
        diff=diff,
        date=_utc(timestamp).date().isoformat(),
        date_source=date_source,
        previous_version=previous_version,
        previous_path=previous_path,
        required_version=required,
        latest=newest,
    )


_RELEASE_URL = re.compile(r"^(?P<base>.+)/download/v(?P<version>[0-9]+\.[0-9]+\.[0-9]+)(?:/.*)?$")


def _mirror_previous(url: str, scratch: Path) -> Path:
    """A verified local copy (zip and CHANGELOG.md) of the release a URL names: a release's
    asset folder or one of its assets (`.../download/vX.Y.Z/...`), or a releases base, whose
    latest release is taken."""
    from .download import DownloadError, VerificationError, mirror_release

    match = _RELEASE_URL.match(url.rstrip("/"))
    base, version = (match["base"], match["version"]) if match else (url, "latest")
    try:
        return mirror_release(base, version, scratch)
    except (DownloadError, VerificationError) as error:
        raise PublishError(f"--previous {url}: {error}") from None


def _previous_release(
    previous: str | os.PathLike[str] | None, releases: dict[str, Path], version: str
) -> tuple[Path | None, str | None]:
    """The package to diff against, and its version: `previous` when given, else the newest
    release in the output directory below `version`."""
    if previous is not None:
        path = _release_package(Path(previous))
        with open_package(path) as package:
            found = package.descriptor.get("version")
        if not isinstance(found, str) or not _SEMVER.match(found):
            raise PublishError(f"{previous}: the previous release has no X.Y.Z version.")
        return path, found
    below = [v for v in releases if parse_version(v) < parse_version(version)]
    if not below:
        return None, None
    return _release_package(releases[below[-1]]), below[-1]


def _release_package(path: Path) -> Path:
    """The openable package of a release: its zip when given a release directory or its
    descriptor (whose paths point into the zip), else the path itself."""
    if not path.exists():
        raise PublishError(f"{path}: no such previous release.")
    if path.suffix.lower() == ".zip":
        return path
    directory, descriptor_path = (
        (path, path / "datapackage.json") if path.is_dir() else (path.parent, path)
    )
    if descriptor_path.is_file():
        descriptor = read_descriptor(descriptor_path)
        archive = directory / f"{descriptor.get('name')}-{descriptor.get('version')}.zip"
        if archive.is_file():
            return archive
    return path


def _previous_changelog(plan: PublishResult) -> str:
    """The entries of the previous release's CHANGELOG.md (without its header), if it is a
    release with one."""
    if plan.previous_path is None or plan.previous_path.suffix.lower() != ".zip":
        return ""
    changelog = plan.previous_path.parent / "CHANGELOG.md"
    if not changelog.is_file():
        return ""
    text = changelog.read_text(encoding="utf-8")
    start = text.find("\n## ")
    return text[start + 1 :] if start >= 0 else ""


def _build_and_commit(source: Path, out: Path, plan: PublishResult, timestamp: int) -> None:
    staging = out / f"{_STAGING_PREFIX}{plan.version}-{os.getpid()}"
    try:
        staging.mkdir()
        release = staging / "release"
        release.mkdir()
        tree = staging / "package"
        descriptor = _stage_package(source, tree, plan.version)
        _build_assets(tree, release, plan, descriptor, timestamp)
        _fsync_tree(release)
        download = out / "download"
        download.mkdir(exist_ok=True)
        os.rename(release, plan.release_dir)
        _fsync_dir(download)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    plan.latest = _point_latest(out)


def _stage_package(source: Path, tree: Path, version: str) -> dict:
    """Copy the package's files into `tree` and write the release descriptor there: version
    set, external schemas and dialects inlined, `hash` and `bytes` for every local file."""
    tree.mkdir()
    # Copied inside the block: a zipped package's files exist only while it is open.
    with open_package(source) as package:
        descriptor = copy.deepcopy(package.descriptor)
        descriptor["version"] = version
        for resource in descriptor.get("resources") or []:
            if isinstance(resource, dict):
                _stage_resource(package.root, tree, resource)
    (tree / "datapackage.json").write_bytes(_descriptor_bytes(descriptor))
    return descriptor


def _stage_resource(root: Path, tree: Path, resource: dict) -> None:
    for key in ("schema", "dialect"):
        if isinstance(resource.get(key), str):
            resource[key] = _inline_json(root, resource[key])
    paths = resource.get("path")
    local = [
        p
        for p in ([paths] if isinstance(paths, str) else paths or [])
        if isinstance(p, str) and path_problem(p) is None
    ]
    for relative in local:
        target = tree / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(root / relative, target)
    # Recomputed from the copies, which are what the release ships; a multi-file resource
    # gets neither, as the standard defines them for one file.
    resource.pop("hash", None)
    resource.pop("bytes", None)
    if isinstance(paths, str) and local:
        data = (tree / paths).read_bytes()
        resource["bytes"] = len(data)
        resource["hash"] = "sha256:" + hashlib.sha256(data).hexdigest()


def _build_assets(
    tree: Path, release: Path, plan: PublishResult, descriptor: dict, timestamp: int
) -> None:
    stem = f"{plan.name}-{plan.version}"
    _write_zip(tree, release / f"{stem}.zip", stem, timestamp)
    shutil.copyfile(tree / "datapackage.json", release / "datapackage.json")
    with open_package(tree) as package:
        write_sqlite(package, release / f"{stem}.sqlite")
        tables = tabular_resources(package)
        for resource in tables:
            write_parquet(package, resource, release / f"{stem}-{resource.get('name')}.parquet")
        changelog = _changelog(plan)
        (release / "CHANGELOG.md").write_bytes(changelog.encode("utf-8"))
        listed = [
            release / f"{stem}.zip",
            release / "datapackage.json",
            release / f"{stem}.sqlite",
            *(release / f"{stem}-{r.get('name')}.parquet" for r in tables),
            release / "CHANGELOG.md",
        ]
        page = render_index(package, asset_entries(listed), plan.version, changelog)
    (release / "index.html").write_bytes(page.encode("utf-8"))
    sums = "".join(
        f"{entry['sha256']}  {entry['name']}\n"
        for entry in asset_entries(sorted(p for p in release.iterdir() if p.is_file()))
    )
    (release / "SHA256SUMS").write_bytes(sums.encode("ascii"))
    written = sorted(p.name for p in release.iterdir())
    if written != plan.assets:  # a guard against the plan and the build drifting apart
        raise PublishError(f"built assets {written} differ from the plan {plan.assets}.")
    plan.sizes = {p.name: p.stat().st_size for p in release.iterdir()}


def _changelog(plan: PublishResult) -> str:
    entry = plan.diff.changelog_entry(plan.version, plan.date)
    earlier = _previous_changelog(plan)
    text = CHANGELOG_HEADER + "\n" + entry
    if earlier:
        text = text.rstrip("\n") + "\n\n" + earlier
    return text.rstrip("\n") + "\n"


def _write_zip(tree: Path, target: Path, stem: str, timestamp: int) -> None:
    """A reproducible zip of `tree` under the folder `stem`: sorted members, one timestamp,
    mode 0644, no extra fields, fixed compression level."""
    date_time = _utc(timestamp).timetuple()[:6]
    files = sorted((p.relative_to(tree).as_posix(), p) for p in tree.rglob("*") if p.is_file())
    with zipfile.ZipFile(target, "w") as archive:
        for relative, path in files:
            info = zipfile.ZipInfo(f"{stem}/{relative}", date_time=date_time)
            info.create_system = 3  # Unix, so that the mode below is honoured
            info.external_attr = (0o100644 & 0xFFFF) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes(), compresslevel=9)


def _point_latest(out: Path) -> str | None:
    """Point `out/latest/download` at the newest release, replacing the link in one step."""
    releases = published_versions(out)
    if not releases:
        return None
    newest = list(releases)[-1]
    latest = out / "latest"
    latest.mkdir(exist_ok=True)
    link = latest / "download"
    if link.exists() and not link.is_symlink():
        raise PublishError(f"{link} is not a symbolic link; move it away to update latest.")
    scratch = latest / f".download-{os.getpid()}"
    scratch.unlink(missing_ok=True)
    os.symlink(f"../download/v{newest}", scratch)
    os.replace(scratch, link)
    _fsync_dir(latest)
    return newest


def _remove_stale_staging(out: Path) -> None:
    """Remove staging directories left by publishes that died (or by this process id)."""
    for entry in out.iterdir():
        if not entry.name.startswith(_STAGING_PREFIX) or not entry.is_dir():
            continue
        pid_text = entry.name.rsplit("-", 1)[-1]
        if not pid_text.isdigit():
            continue
        pid = int(pid_text)
        if pid == os.getpid() or not _alive(pid):
            shutil.rmtree(entry, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextmanager
def _locked(directory: Path) -> Iterator[None]:
    """An exclusive lock on `directory` itself, so that no lock file is left in it."""
    import fcntl

    descriptor = os.open(directory, os.O_RDONLY)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)


def _descriptor_version(descriptor: dict) -> str:
    version = descriptor.get("version")
    if not isinstance(version, str) or not _SEMVER.match(version):
        raise PublishRefused(
            f"the descriptor's version {version!r} is not X.Y.Z; set it or pass --version."
        )
    return version


def _inline_json(root: Path, reference: str) -> Any:
    problem = path_problem(reference)
    if problem is not None:
        raise PublishRefused(f"the schema or dialect path {reference!r} {problem}.")
    try:
        return json.loads((root / reference).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise PublishRefused(f"cannot read {reference!r} ({error}).") from None


def _descriptor_bytes(descriptor: dict) -> bytes:
    return (json.dumps(descriptor, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _utc(timestamp: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(timestamp, tz=dt.UTC)


def _fsync_tree(directory: Path) -> None:
    for path in directory.iterdir():
        if path.is_file():
            with open(path, "rb") as handle:
                os.fsync(handle.fileno())
    _fsync_dir(directory)


def _fsync_dir(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
