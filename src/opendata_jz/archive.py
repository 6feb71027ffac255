"""Unpack zip archives without trusting them.

`zipfile.extractall` quietly rewrites dangerous names instead of refusing them, writes
symlinks as files, lets a duplicate name win and has no size limit; every member is checked
here before anything is written.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

_WINDOWS_DRIVE = re.compile(r"^[A-Za-z]:")


class ArchiveError(Exception):
    """The archive is unsafe or unreadable; the message names the member and the reason."""


@dataclass(frozen=True)
class Limits:
    """Bounds that stop a zip bomb before it is written."""

    max_members: int = 10_000
    max_total_bytes: int = 2 * 1024**3
    max_ratio: float = 200.0


def check_members(archive: zipfile.ZipFile, limits: Limits = Limits()) -> list[zipfile.ZipInfo]:
    """Every member, after refusing unsafe names, links, duplicates and oversized content."""
    members = archive.infolist()
    if len(members) > limits.max_members:
        raise ArchiveError(f"it has {len(members)} members, more than {limits.max_members}.")
    seen: set[str] = set()
    total = 0
    for member in members:
        name = member.filename
        if "\\" in name or _WINDOWS_DRIVE.match(name):
            raise ArchiveError(f"member {name!r} has a Windows-style path.")
        parts = PurePosixPath(name).parts
        if name.startswith("/") or ".." in parts:
            raise ArchiveError(f"member {name!r} would be written outside the target directory.")
        if "\x00" in name:
            raise ArchiveError(f"member {name!r} has a NUL byte in its name.")
        mode = member.external_attr >> 16
        if stat.S_ISLNK(mode):
            raise ArchiveError(f"member {name!r} is a symbolic link.")
        key = name.rstrip("/")
        if key in seen:
            raise ArchiveError(f"member {name!r} appears more than once.")
        seen.add(key)
        total += member.file_size
        if total > limits.max_total_bytes:
            raise ArchiveError(f"it unpacks to more than {limits.max_total_bytes} bytes.")
        if member.file_size > 1024**2 and member.file_size > limits.max_ratio * max(
            member.compress_size, 1
        ):
            raise ArchiveError(
                f"member {name!r} expands {member.file_size // max(member.compress_size, 1)}"
                f" times, more than the limit of {limits.max_ratio:g}."
            )
    return members


def safe_extract(source: Path, destination: Path, limits: Limits = Limits()) -> None:
    """Unpack `source` into the existing, empty directory `destination`, or raise ArchiveError.

    Sizes are enforced while writing too, since a member's declared size can lie.
    """
    try:
        with zipfile.ZipFile(source) as archive:
            members = check_members(archive, limits)
            written = 0
            for member in members:
                target = destination.joinpath(*PurePosixPath(member.filename).parts)
                if member.is_dir():
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                with archive.open(member) as reader, open(target, "xb") as writer:
                    while chunk := reader.read(1024 * 1024):
                        written += len(chunk)
                        if written > limits.max_total_bytes:
                            raise ArchiveError(
                                f"it unpacks to more than {limits.max_total_bytes} bytes."
                            )
                        writer.write(chunk)
                os.chmod(target, 0o644)
    except zipfile.BadZipFile as error:
        raise ArchiveError(f"not a readable zip archive ({error}).") from None
    except (zipfile.LargeZipFile, NotImplementedError, RuntimeError, EOFError) as error:
        raise ArchiveError(f"cannot unpack ({error}).") from None


def extract_into_place(source: Path, destination: Path, limits: Limits = Limits()) -> None:
    """Unpack into a sibling temporary directory, then rename it to `destination` in one step."""
    staging = destination.with_name(f".{destination.name}.partial-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        safe_extract(source, staging, limits)
        os.replace(staging, destination)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
