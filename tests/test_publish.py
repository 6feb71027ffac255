"""publish: a release built atomically, byte for byte reproducible, never overwritten."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from types import SimpleNamespace

import pytest

from opendata_jz.publish import (
    PublishError,
    PublishRefused,
    bumped,
    parse_version,
    publish,
    published_versions,
)

from conftest import FIXTURES, ROOT, edit_csv, tree_digest

FRICTIONLESS = Path(sys.executable).with_name("frictionless")


@pytest.fixture(scope="module")
def flagship_release(tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    """The bundled package published twice, into two empty directories."""
    base = tmp_path_factory.mktemp("flagship")
    package = base / "package"
    package.mkdir()
    shutil.copy2(ROOT / "datapackage.json", package / "datapackage.json")
    shutil.copytree(ROOT / "data", package / "data")
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("SOURCE_DATE_EPOCH", raising=False)
        first = publish(package, base / "one")
        publish(package, base / "two")
    return SimpleNamespace(
        package=package,
        one=base / "one",
        two=base / "two",
        result=first,
        release=base / "one" / "download" / "v1.0.0",
    )


@pytest.fixture
def small(tmp_path: Path) -> Path:
    """A writable copy of the small valid fixture package (no version in its descriptor)."""
    target = tmp_path / "small"
    shutil.copytree(FIXTURES / "packages" / "valid", target)
    return target


@pytest.fixture(autouse=True)
def _no_source_date_epoch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)


def visible_tree(out: Path) -> dict[str, str]:
    """The output directory as readers see it: everything but staging directories."""
    return {k: v for k, v in tree_digest(out).items() if not k.startswith(".staging-")}


def drop_field(package: Path, resource: str, field: str) -> None:
    """Remove a field from a resource's schema and its column from the CSV."""
    import csv
    import io

    descriptor_path = package / "datapackage.json"
    descriptor = json.loads(descriptor_path.read_text(encoding="utf-8"))
    spec = next(r for r in descriptor["resources"] if r["name"] == resource)
    spec["schema"]["fields"] = [f for f in spec["schema"]["fields"] if f["name"] != field]
    descriptor_path.write_text(json.dumps(descriptor, ensure_ascii=False), encoding="utf-8")
    path = package / spec["path"]
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))
    index = rows[0].index(field)
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(r[:index] + r[index + 1 :] for r in rows)
    path.write_text(out.getvalue(), encoding="utf-8")


# -- the flagship release -------------------------------------------------------------------


def test_double_publish_is_byte_identical(flagship_release: SimpleNamespace) -> None:
    """Two publishes of the same package into two empty directories give identical trees."""
    one, two = tree_digest(flagship_release.one), tree_digest(flagship_release.two)
    assert one == two
    assert len([k for k in one if k.startswith("download/v1.0.0/")]) == 13


def test_release_holds_exactly_the_planned_assets(flagship_release: SimpleNamespace) -> None:
    """The release directory is flat and holds every asset of the contract, and only those."""
    names = sorted(p.name for p in flagship_release.release.iterdir())
    assert names == flagship_release.result.assets
    tables = ["categories", "indicators", "marks", "metrics", "non_figures", "policies", "sources"]
    assert set(names) == {
        "jinzhou-quality-1.0.0.zip",
        "jinzhou-quality-1.0.0.sqlite",
        "datapackage.json",
        "index.html",
        "CHANGELOG.md",
        "SHA256SUMS",
        *(f"jinzhou-quality-1.0.0-{t}.parquet" for t in tables),
    }


def test_latest_points_at_the_release(flagship_release: SimpleNamespace) -> None:
    """latest/download is a relative symlink that resolves to download/v1.0.0."""
    link = flagship_release.one / "latest" / "download"
    assert link.is_symlink()
    assert os.readlink(link) == "../download/v1.0.0"
    assert (link / "datapackage.json").read_bytes() == (
        flagship_release.release / "datapackage.json"
    ).read_bytes()


def test_sha256sums_verify_with_sha256sum(flagship_release: SimpleNamespace) -> None:
    """`sha256sum -c SHA256SUMS` passes and covers every other asset, sorted."""
    done = subprocess.run(
        ["sha256sum", "-c", "SHA256SUMS"],
        cwd=flagship_release.release,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    listed = [
        line.split("  ", 1)[1]
        for line in (flagship_release.release / "SHA256SUMS").read_text().splitlines()
    ]
    others = sorted(p.name for p in flagship_release.release.iterdir() if p.name != "SHA256SUMS")
    assert listed == others


def test_zip_is_reproducible_and_rooted(flagship_release: SimpleNamespace) -> None:
    """Zip members are sorted, under one root folder, dated 2020-01-01, mode 0644, no extras."""
    with zipfile.ZipFile(flagship_release.release / "jinzhou-quality-1.0.0.zip") as archive:
        infos = archive.infolist()
        inner = archive.read("jinzhou-quality-1.0.0/datapackage.json")
    names = [info.filename for info in infos]
    assert names == sorted(names)
    assert all(name.startswith("jinzhou-quality-1.0.0/") for name in names)
    assert "jinzhou-quality-1.0.0/data/metrics.csv" in names
    for info in infos:
        assert info.date_time == (2020, 1, 1, 0, 0, 0)
        assert info.external_attr >> 16 == 0o100644
        assert info.extra == b""
    assert inner == (flagship_release.release / "datapackage.json").read_bytes()


def test_release_descriptor_has_version_hashes_and_sizes(flagship_release: SimpleNamespace) -> None:
    """Every file resource carries sha256 hash and bytes matching the file in the zip."""
    import hashlib

    descriptor = json.loads((flagship_release.release / "datapackage.json").read_text("utf-8"))
    assert descriptor["version"] == "1.0.0"
    with zipfile.ZipFile(flagship_release.release / "jinzhou-quality-1.0.0.zip") as archive:
        for resource in descriptor["resources"]:
            data = archive.read(f"jinzhou-quality-1.0.0/{resource['path']}")
            assert resource["bytes"] == len(data)
            assert resource["hash"] == "sha256:" + hashlib.sha256(data).hexdigest()


def test_unzipped_release_validates_with_frictionless(
    flagship_release: SimpleNamespace, tmp_path: Path
) -> None:
    """frictionless accepts the unzipped package, hashes and sizes included."""
    with zipfile.ZipFile(flagship_release.release / "jinzhou-quality-1.0.0.zip") as archive:
        archive.extractall(tmp_path)
    done = subprocess.run(
        [str(FRICTIONLESS), "validate", "--json", "jinzhou-quality-1.0.0/datapackage.json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    report = json.loads(done.stdout)
    assert report["valid"], report
    assert done.returncode == 0


def test_index_links_every_downloadable_asset(flagship_release: SimpleNamespace) -> None:
    """The landing page lists each asset it can know (all but itself and SHA256SUMS)."""
    page = (flagship_release.release / "index.html").read_text(encoding="utf-8")
    for path in flagship_release.release.iterdir():
        if path.name not in ("index.html", "SHA256SUMS"):
            assert f'<a href="{path.name}">' in page
            assert f'data-bytes="{path.stat().st_size}"' in page
    assert '<strong id="version">1.0.0</strong>' in page


def test_release_can_be_downloaded_and_verified(
    flagship_release: SimpleNamespace, tmp_path: Path
) -> None:
    """`download --from DIR` resolves latest, verifies and unpacks the published release."""
    from opendata_jz.download import download

    package = download("latest", source=str(flagship_release.one), dest=tmp_path)
    descriptor = json.loads((package / "datapackage.json").read_text(encoding="utf-8"))
    assert descriptor["version"] == "1.0.0"
    assert (package / "data" / "metrics.csv").read_bytes() == (
        ROOT / "data" / "metrics.csv"
    ).read_bytes()


# -- refusals -------------------------------------------------------------------------------


def test_published_version_is_refused(small: Path, tmp_path: Path) -> None:
    """Publishing a version that exists is refused and changes nothing."""
    out = tmp_path / "out"
    publish(small, out, version="1.0.0")
    before = tree_digest(out)
    edit_csv(small / "figures.csv", "1", source="report")
    with pytest.raises(PublishRefused, match="already published"):
        publish(small, out, version="1.0.0")
    assert tree_digest(out) == before


def test_version_below_the_required_bump_is_refused(small: Path, tmp_path: Path) -> None:
    """A lost field needs a major bump: 1.0.1 is refused, 2.0.0 is accepted."""
    out = tmp_path / "out"
    publish(small, out, version="1.0.0")
    before = tree_digest(out)
    drop_field(small, "figures", "count")
    with pytest.raises(PublishRefused, match=r"major bump, at least 2\.0\.0.*count: field removed"):
        publish(small, out, version="1.0.1")
    with pytest.raises(PublishRefused, match=r"at least 2\.0\.0"):
        publish(small, out, version="1.1.0")
    assert tree_digest(out) == before
    result = publish(small, out, version="2.0.0")
    assert (result.bump, result.previous_version) == ("major", "1.0.0")


def test_invalid_package_is_refused_with_nothing_written(tmp_path: Path) -> None:
    """An invalid package is refused with its report; the output directory is not created."""
    out = tmp_path / "out"
    with pytest.raises(PublishRefused) as refused:
        publish(FIXTURES / "packages" / "wrong-type", out, version="1.0.0")
    assert refused.value.report is not None and not refused.value.report.valid
    assert not out.exists()


def test_invalid_package_leaves_an_existing_out_dir_unchanged(small: Path, tmp_path: Path) -> None:
    """A refused publish into a directory with releases leaves every byte as it was."""
    out = tmp_path / "out"
    publish(small, out, version="1.0.0")
    before = tree_digest(out)
    edit_csv(small / "figures.csv", "2", value="not a number")
    with pytest.raises(PublishRefused, match="not valid"):
        publish(small, out, version="1.0.1")
    assert tree_digest(out) == before


def test_bad_version_argument_cannot_run(small: Path, tmp_path: Path) -> None:
    """A --version that is not X.Y.Z is a usage error, not a refusal."""
    with pytest.raises(PublishError, match="not a semantic version"):
        publish(small, tmp_path / "out", version="1.0")


def test_missing_version_is_refused(small: Path, tmp_path: Path) -> None:
    """Without --version, the descriptor must carry an X.Y.Z version."""
    with pytest.raises(PublishRefused, match=r"not X\.Y\.Z"):
        publish(small, tmp_path / "out")


# -- dry run, history, latest -----------------------------------------------------------------


def test_dry_run_writes_nothing(small: Path, tmp_path: Path) -> None:
    """A dry run returns the plan and does not create the output directory."""
    out = tmp_path / "out"
    plan = publish(small, out, version="0.1.0", dry_run=True)
    assert not out.exists()
    assert plan.dry_run and plan.release_dir == out / "download" / "v0.1.0"
    assert "fixture-0.1.0-figures.parquet" in plan.assets
    text = plan.render_text()
    assert "Would publish fixture 0.1.0" in text and "nothing was written" in text


def test_next_release_diffs_against_the_previous_one(small: Path, tmp_path: Path) -> None:
    """A patch release finds its predecessor, stacks the changelog and moves latest."""
    out = tmp_path / "out"
    publish(small, out, version="1.0.0")
    first = tree_digest(out / "download" / "v1.0.0")
    edit_csv(small / "figures.csv", "3", value="71")
    result = publish(small, out, version="1.0.1")
    assert (result.previous_version, result.bump, result.required_version) == (
        "1.0.0",
        "patch",
        "1.0.1",
    )
    assert tree_digest(out / "download" / "v1.0.0") == first
    assert os.readlink(out / "latest" / "download") == "../download/v1.0.1"
    changelog = (out / "download" / "v1.0.1" / "CHANGELOG.md").read_text(encoding="utf-8")
    assert changelog.startswith("# Changelog\n")
    assert changelog.count("# Changelog") == 1
    assert changelog.index("## [1.0.1] - 2020-01-01") < changelog.index("## [1.0.0] - 2020-01-01")
    assert "### Fixed\n\n- figures: row 3 value 70 → 71\n" in changelog


def test_older_release_does_not_move_latest(small: Path, tmp_path: Path) -> None:
    """A backport below the newest release is diffed against the one below it; latest stays."""
    out = tmp_path / "out"
    publish(small, out, version="1.0.0")
    publish(small, out, version="2.0.0")
    edit_csv(small / "figures.csv", "3", value="71")
    result = publish(small, out, version="1.0.1")
    assert result.previous_version == "1.0.0"
    assert list(published_versions(out)) == ["1.0.0", "1.0.1", "2.0.0"]
    assert os.readlink(out / "latest" / "download") == "../download/v2.0.0"


def test_explicit_previous_release(small: Path, tmp_path: Path) -> None:
    """--previous names a release directory elsewhere; its changelog is continued."""
    publish(small, tmp_path / "old", version="1.0.0")
    regions = (small / "regions.csv").read_text(encoding="utf-8")
    (small / "regions.csv").write_text(regions + "sy,瀋陽\n", encoding="utf-8")
    with pytest.raises(PublishRefused, match="minor bump"):
        publish(
            small,
            tmp_path / "new",
            version="1.0.1",
            previous=tmp_path / "old" / "download" / "v1.0.0",
        )
    result = publish(
        small, tmp_path / "new", version="1.1.0", previous=tmp_path / "old" / "download" / "v1.0.0"
    )
    changelog = (result.release_dir / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "- regions: row sy added" in changelog and "## [1.0.0]" in changelog


def test_previous_release_given_as_its_zip(small: Path, tmp_path: Path) -> None:
    """--previous may name the release zip itself; the changelog beside it is continued."""
    old = publish(small, tmp_path / "old", version="1.0.0")
    edit_csv(small / "figures.csv", "3", value="71")
    result = publish(
        small, tmp_path / "new", version="1.0.1", previous=old.release_dir / "fixture-1.0.0.zip"
    )
    assert (result.previous_version, result.bump) == ("1.0.0", "patch")
    assert "## [1.0.0]" in (result.release_dir / "CHANGELOG.md").read_text(encoding="utf-8")


def test_republishing_a_release_zip_gives_the_same_bytes(
    flagship_release: SimpleNamespace, tmp_path: Path
) -> None:
    """Publishing a release's own zip as a first release reproduces that release exactly."""
    out = tmp_path / "out"
    publish(flagship_release.release / "jinzhou-quality-1.0.0.zip", out)
    assert tree_digest(out / "download") == tree_digest(flagship_release.one / "download")


def test_source_date_epoch_dates_the_release(
    small: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SOURCE_DATE_EPOCH sets zip times and the changelog date; before 1980 it is clamped."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    result = publish(small, tmp_path / "a", version="1.0.0")
    with zipfile.ZipFile(result.release_dir / "fixture-1.0.0.zip") as archive:
        assert {i.date_time for i in archive.infolist()} == {(2023, 11, 14, 22, 13, 20)}
    assert "## [1.0.0] - 2023-11-14" in (result.release_dir / "CHANGELOG.md").read_text("utf-8")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "0")
    early = publish(small, tmp_path / "b", version="1.0.0")
    with zipfile.ZipFile(early.release_dir / "fixture-1.0.0.zip") as archive:
        assert {i.date_time for i in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}


# -- atomicity --------------------------------------------------------------------------------


def test_failure_midway_leaves_out_dir_unchanged(
    small: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An error during the build removes the staging directory and touches nothing else."""
    import opendata_jz.publish as publish_module

    out = tmp_path / "out"
    publish(small, out, version="1.0.0")
    before = tree_digest(out)

    def broken(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(publish_module, "write_sqlite", broken)
    with pytest.raises(OSError, match="disk full"):
        publish(small, out, version="1.0.1")
    assert tree_digest(out) == before


def test_failure_in_a_new_out_dir_leaves_nothing(
    small: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failed first publish does not leave an empty output directory behind."""
    import opendata_jz.publish as publish_module

    def broken(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(publish_module, "render_index", broken)
    with pytest.raises(OSError):
        publish(small, tmp_path / "out", version="1.0.0")
    assert not (tmp_path / "out").exists()


KILLED_PUBLISH = """
import pathlib, sys, time
import opendata_jz.publish as publish_module

def stall(*args, **kwargs):
    pathlib.Path(sys.argv[3]).write_text("building")
    time.sleep(120)

publish_module.write_parquet = stall
publish_module.publish(sys.argv[1], sys.argv[2], version="1.0.1")
"""


def test_killed_publish_leaves_out_dir_unchanged(small: Path, tmp_path: Path) -> None:
    """A publish killed with SIGKILL mid-build changes nothing a reader sees; the next
    publish removes its staging directory and succeeds."""
    out = tmp_path / "out"
    publish(small, out, version="1.0.0")
    before = tree_digest(out)
    marker = tmp_path / "building"
    process = subprocess.Popen(
        [sys.executable, "-c", KILLED_PUBLISH, str(small), str(out), str(marker)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 120
    while not marker.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"the publish never reached the build: {process.stderr.read()!r}")
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    process.stderr.close()
    assert [p.name for p in out.iterdir() if p.name.startswith(".staging-")] == [
        f".staging-1.0.1-{process.pid}"
    ]
    assert visible_tree(out) == before
    assert published_versions(out).keys() == {"1.0.0"}
    publish(small, out, version="1.0.1")
    assert not [p for p in out.iterdir() if p.name.startswith(".staging-")]
    assert os.readlink(out / "latest" / "download") == "../download/v1.0.1"


# -- versions ---------------------------------------------------------------------------------


def test_bumped_gives_the_smallest_allowed_version() -> None:
    """Each level resets the lower parts; no change still needs a new patch number."""
    assert bumped("1.2.3", "major") == "2.0.0"
    assert bumped("1.2.3", "minor") == "1.3.0"
    assert bumped("1.2.3", "patch") == "1.2.4"
    assert bumped("1.2.3", None) == "1.2.4"


def test_versions_compare_numerically() -> None:
    """1.10.0 sorts above 1.9.0, and malformed versions are rejected."""
    assert parse_version("1.10.0") > parse_version("1.9.0")
    for bad in ("1.0", "01.0.0", "1.0.0-rc1", "v1.0.0"):
        with pytest.raises(ValueError):
            parse_version(bad)


def test_previous_release_from_a_url(flagship: Path, tmp_path: Path, serve, monkeypatch) -> None:
    """--previous may be a releases URL: its latest release is fetched, verified, diffed
    against, and its changelog continued; a version below the required bump is refused."""
    from opendata_jz.publish import PublishRefused, publish

    monkeypatch.setenv("OPENDATA_JZ_CACHE", str(tmp_path / "cache"))
    mirror = tmp_path / "mirror"
    publish(flagship, mirror, version="1.0.0")
    base = serve(mirror)
    edit_csv(flagship / "data" / "metrics.csv", "m003", note_en="Self-declared standards.")
    with pytest.raises(PublishRefused, match=r"not above the previous release 1\.0\.0"):
        publish(flagship, tmp_path / "out-a", version="1.0.0", previous=base)
    result = publish(flagship, tmp_path / "out-b", version="1.0.1", previous=base)
    assert result.previous_version == "1.0.0" and result.bump == "patch"
    changelog = (result.release_dir / "CHANGELOG.md").read_text(encoding="utf-8")
    assert changelog.index("## [1.0.1]") < changelog.index("## [1.0.0]")
    again = publish(
        flagship, tmp_path / "out-c", version="1.0.1", previous=f"{base}/download/v1.0.0/"
    )
    assert again.previous_version == "1.0.0"
