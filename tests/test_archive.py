"""Zip archives are checked member by member before anything is written."""

from __future__ import annotations

import stat
import zipfile
from pathlib import Path

import pytest

from opendata_jz.archive import ArchiveError, Limits, extract_into_place, safe_extract


def make_zip(path: Path, members: list[tuple[str, bytes]], link: str | None = None) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:
            archive.writestr(name, data)
        if link:
            info = zipfile.ZipInfo(link)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            archive.writestr(info, "/etc/passwd")
    return path


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("../escape.csv", "outside"),
        ("/etc/cron.d/x", "outside"),
        ("C:/x.csv", "Windows"),
        ("dir\\x.csv", "Windows"),
        ("a/../../x", "outside"),
    ],
)
def test_dangerous_names_refused(tmp_path: Path, name: str, reason: str) -> None:
    """A member that would land outside the target, or a Windows path, is refused."""
    archive = make_zip(tmp_path / "a.zip", [("ok.csv", b"x"), (name, b"y")])
    target = tmp_path / "out"
    target.mkdir()
    with pytest.raises(ArchiveError, match=reason):
        safe_extract(archive, target)
    assert list(target.iterdir()) == []


def test_symlink_refused(tmp_path: Path) -> None:
    """A symbolic-link member is refused, not written as a file."""
    archive = make_zip(tmp_path / "a.zip", [("ok.csv", b"x")], link="data/link.csv")
    (tmp_path / "out").mkdir()
    with pytest.raises(ArchiveError, match="symbolic link"):
        safe_extract(archive, tmp_path / "out")


def test_duplicate_names_refused(tmp_path: Path) -> None:
    """Two members of the same name are refused rather than letting the last one win."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        archive = make_zip(tmp_path / "a.zip", [("x.csv", b"1"), ("x.csv", b"2")])
    (tmp_path / "out").mkdir()
    with pytest.raises(ArchiveError, match="more than once"):
        safe_extract(archive, tmp_path / "out")


def test_bomb_refused_by_ratio_and_size(tmp_path: Path) -> None:
    """A member that expands past the ratio limit, or past the size limit, is refused."""
    archive = make_zip(tmp_path / "a.zip", [("zeros.csv", b"0" * 20_000_000)])
    (tmp_path / "out").mkdir()
    with pytest.raises(ArchiveError, match="expands"):
        safe_extract(archive, tmp_path / "out")
    with pytest.raises(ArchiveError, match="more than"):
        safe_extract(archive, tmp_path / "out", Limits(max_total_bytes=1000, max_ratio=1e9))


def test_member_count_limit(tmp_path: Path) -> None:
    """An archive with more members than allowed is refused."""
    archive = make_zip(tmp_path / "a.zip", [(f"{i}.csv", b"x") for i in range(5)])
    (tmp_path / "out").mkdir()
    with pytest.raises(ArchiveError, match="members"):
        safe_extract(archive, tmp_path / "out", Limits(max_members=4))


def test_extract_into_place_is_all_or_nothing(tmp_path: Path) -> None:
    """A refused archive leaves neither the target nor a staging directory behind."""
    good = make_zip(tmp_path / "good.zip", [("pkg/a.csv", b"1")])
    extract_into_place(good, tmp_path / "good")
    assert (tmp_path / "good" / "pkg" / "a.csv").read_bytes() == b"1"
    bad = make_zip(tmp_path / "bad.zip", [("pkg/a.csv", b"1"), ("../b", b"2")])
    with pytest.raises(ArchiveError):
        extract_into_place(bad, tmp_path / "bad")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.zip", "good", "good.zip"]


def test_not_a_zip(tmp_path: Path) -> None:
    """A file that is not a zip gives an ArchiveError, not a traceback."""
    (tmp_path / "x.zip").write_text("<html>")
    (tmp_path / "out").mkdir()
    with pytest.raises(ArchiveError, match="not a readable zip"):
        safe_extract(tmp_path / "x.zip", tmp_path / "out")
