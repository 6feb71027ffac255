"""download and load against a real HTTP server on 127.0.0.1 serving the GitHub release layout."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import stat
import threading
import time
import warnings
import zipfile
from collections.abc import Callable, Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from opendata_jz import download as dl
from opendata_jz import fetch
from opendata_jz.download import DownloadError, VerificationError

PROJECT = Path(__file__).resolve().parents[1]
NAME = json.loads((PROJECT / "datapackage.json").read_text(encoding="utf-8"))["name"]


# -- building releases ---------------------------------------------------------------------


def package_zip(version: str, *, bad_hash: str | None = None) -> bytes:
    """The project's package as a release zip: root folder, sha256 and bytes for every file."""
    descriptor = json.loads((PROJECT / "datapackage.json").read_text(encoding="utf-8"))
    descriptor["version"] = version
    root = f"{descriptor['name']}-{version}"
    files: dict[str, bytes] = {}
    for resource in descriptor["resources"]:
        content = (PROJECT / resource["path"]).read_bytes()
        files[resource["path"]] = content
        resource["hash"] = "sha256:" + hashlib.sha256(content).hexdigest()
        resource["bytes"] = len(content)
        if resource["name"] == bad_hash:
            resource["hash"] = "sha256:" + "0" * 64
    files["datapackage.json"] = json.dumps(descriptor, ensure_ascii=False, indent=2).encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(files):
            archive.writestr(zipfile.ZipInfo(f"{root}/{path}", (1980, 1, 1, 0, 0, 0)), files[path])
    return buffer.getvalue()


def make_release(
    out: Path, version: str, zip_bytes: bytes | None = None, latest: bool = True
) -> Path:
    """Lay out one release under `out` as GitHub does; SHA256SUMS always matches the zip."""
    folder = out / "download" / f"v{version}"
    folder.mkdir(parents=True)
    zip_name = f"{NAME}-{version}.zip"
    (folder / zip_name).write_bytes(zip_bytes if zip_bytes is not None else package_zip(version))
    release = {"name": NAME, "version": version, "resources": []}
    (folder / "datapackage.json").write_text(json.dumps(release), encoding="utf-8")
    sums = "".join(
        f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.name}\n"
        for p in sorted(folder.iterdir())
    )
    (folder / "SHA256SUMS").write_text(sums, encoding="utf-8")
    if latest:
        shutil.rmtree(out / "latest", ignore_errors=True)
        shutil.copytree(folder, out / "latest" / "download")
    return folder


def evil_zip(build: Callable[[zipfile.ZipFile], None]) -> bytes:
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate name on purpose
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(f"{NAME}-6.6.6/datapackage.json", "{}")
            build(archive)
    return buffer.getvalue()


def _symlink(archive: zipfile.ZipFile) -> None:
    info = zipfile.ZipInfo(f"{NAME}-6.6.6/data/link")
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    archive.writestr(info, "/etc/passwd")


EVIL = {
    "dotdot": lambda a: a.writestr(f"{NAME}-6.6.6/../../escaped.txt", "x"),
    "absolute": lambda a: a.writestr("/tmp/opendata-jz-absolute.txt", "x"),
    "symlink": _symlink,
    "duplicate": lambda a: a.writestr(f"{NAME}-6.6.6/datapackage.json", "{}"),
    "bomb": lambda a: a.writestr(f"{NAME}-6.6.6/data/zeros.csv", b"0" * (20 * 1024**2)),
}


# -- the server ----------------------------------------------------------------------------


class ReleaseHandler(SimpleHTTPRequestHandler):
    """Serves the release directory; `server.misbehave` maps a path to a misbehaviour."""

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        behaviour = self.server.misbehave.get(self.path)  # type: ignore[attr-defined]
        if behaviour is None:
            super().do_GET()
        elif behaviour == "truncate":
            body = Path(self.translate_path(self.path)).read_bytes()
            self.send_response(200)
            self.send_header("Content-Type", "application/zip")
            self.send_header("Content-Length", str(len(body) + 1000))
            self.end_headers()
            self.wfile.write(body[: len(body) // 2])
            self.close_connection = True
        elif behaviour == "loop":
            self.send_response(302)
            self.send_header("Location", self.path)
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif behaviour.startswith("redirect:"):
            self.send_response(302)
            self.send_header("Location", behaviour.removeprefix("redirect:"))
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif behaviour == "slow":
            time.sleep(1.5)
            self.send_error(500)
        elif behaviour == "html":
            body = b"<!DOCTYPE html><html><body>Sign in to continue</body></html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)


class Server:
    """A ThreadingHTTPServer on a free loopback port, serving `root`."""

    def __init__(self, root: Path) -> None:
        def handler(*args: object) -> ReleaseHandler:
            return ReleaseHandler(*args, directory=str(root))  # type: ignore[arg-type]

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.httpd.block_on_close = False  # a sleeping "slow" handler must not hold up stop()
        self.httpd.misbehave = {}  # type: ignore[attr-defined]
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()
        self.running = True

    @property
    def misbehave(self) -> dict[str, str]:
        return self.httpd.misbehave  # type: ignore[attr-defined]

    def stop(self) -> None:
        if self.running:
            self.httpd.shutdown()
            self.httpd.server_close()
            self.thread.join(timeout=5)
            self.running = False


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("OPENDATA_JZ_CACHE", str(folder))
    monkeypatch.delenv("OPENDATA_JZ_RELEASES", raising=False)
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    return folder


@pytest.fixture(scope="session")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Releases 1.0.0 and 1.1.0 of the project's package, built by `publish`, once."""
    from opendata_jz.publish import publish

    out = tmp_path_factory.mktemp("published") / "releases"
    source = tmp_path_factory.mktemp("package")
    shutil.copy2(PROJECT / "datapackage.json", source / "datapackage.json")
    shutil.copytree(PROJECT / "data", source / "data")
    publish(source, out, version="1.0.0")
    publish(source, out, version="1.1.0")
    return out


@pytest.fixture
def releases(tmp_path: Path, published: Path) -> Path:
    """A fresh copy of the published releases, in the GitHub release layout."""
    root = tmp_path / "releases"
    shutil.copytree(published, root, symlinks=True)
    return root


@pytest.fixture
def server(releases: Path) -> Iterator[Server]:
    running = Server(releases)
    yield running
    running.stop()


def leftovers(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*")) if folder.exists() else []


# -- resolving, caching, offline -----------------------------------------------------------


def test_latest_resolves_to_the_concrete_version_and_reports_it(server, cache, capsys):
    """`latest` resolves through latest/download/datapackage.json and the version is printed."""
    path = dl.download("latest", source=server.base)
    assert path == cache / NAME / "1.1.0"
    assert "1.1.0" in capsys.readouterr().err
    assert json.loads((path / "datapackage.json").read_text(encoding="utf-8"))["version"] == "1.1.0"


def test_load_gives_schema_dtypes(server, cache):
    """load() types columns from the schema: dates, Int64, Float64, categoricals, strings."""
    import pandas as pd

    frames = dl.load("1.0.0", source=server.base)
    assert {"metrics", "indicators", "sources"} <= set(frames)
    assert "article_raw" not in frames
    metrics, sources = frames["metrics"], frames["sources"]
    assert str(metrics["quote_start"].dtype) == "Int64"
    assert str(metrics["value"].dtype) == "Float64"
    assert isinstance(metrics["qualifier"].dtype, pd.CategoricalDtype)
    assert metrics["quote"].dtype == "string"
    assert str(sources["publication_date"].dtype) == "date32[day][pyarrow]"


def test_second_load_works_with_the_server_stopped(server, cache):
    """A verified cached release is used offline; `latest` falls back to it with a warning."""
    first = dl.download("latest", source=server.base)
    server.stop()
    assert dl.download("1.1.0", source=server.base) == first
    with pytest.warns(UserWarning, match=r"1\.1\.0"):
        frames = dl.load("latest", source=server.base)
    assert "metrics" in frames


def test_latest_offline_without_cache_fails_clearly(server, cache):
    """With the base unreachable and nothing cached, `latest` raises DownloadError naming it."""
    server.stop()
    with pytest.raises(DownloadError, match=r"latest.*127\.0\.0\.1"):
        dl.download("latest", source=server.base)


def test_corrupted_cache_is_detected_removed_and_fetched_again(server, cache, capsys):
    """A cached file whose hash no longer matches is removed and the release fetched again."""
    path = dl.download("1.0.0", source=server.base)
    metrics = path / "data" / "metrics.csv"
    original = metrics.read_bytes()
    metrics.write_bytes(original.replace(b"1", b"7", 1))
    again = dl.download("1.0.0", source=server.base)
    assert again == path
    assert metrics.read_bytes() == original
    assert "failed verification" in capsys.readouterr().err


def test_corrupted_cache_is_not_used_offline(server, cache):
    """Offline, a corrupted cached copy is refused rather than loaded."""
    path = dl.download("1.0.0", source=server.base)
    (path / "data" / "metrics.csv").write_text("id\n1\n", encoding="utf-8")
    server.stop()
    with pytest.raises(DownloadError, match=r"1\.0\.0"):
        dl.download("1.0.0", source=server.base)
    assert not path.exists()


def test_local_directory_source_and_dest(releases, cache, tmp_path):
    """A local directory in the release layout works as a source, and `dest` gets name-version."""
    path = dl.download("1.0.0", source=releases, dest=tmp_path / "out")
    assert path == tmp_path / "out" / f"{NAME}-1.0.0"
    assert (path / "data" / "metrics.csv").is_file()
    assert leftovers(cache) == []


def test_environment_variable_sets_the_base(server, cache, monkeypatch):
    """OPENDATA_JZ_RELEASES replaces the default releases URL."""
    monkeypatch.setenv("OPENDATA_JZ_RELEASES", server.base)
    assert dl.download("1.0.0") == cache / NAME / "1.0.0"


def test_redirects_within_the_limit_are_followed(server, cache):
    """Two redirects to the real zip are followed."""
    zip_path = f"/download/v1.0.0/{NAME}-1.0.0.zip"
    server.misbehave[zip_path] = "redirect:/hop"
    server.misbehave["/hop"] = "redirect:/latest/../download/v1.0.0/" + f"{NAME}-1.0.0.zip?x=1"
    assert dl.download("1.0.0", source=server.base).is_dir()


def test_load_package_reads_a_local_package():
    """load_package types every tabular resource of a local package and skips text files."""
    frames = dl.load_package(PROJECT / "datapackage.json")
    assert "metrics" in frames and "article_text" not in frames
    assert str(frames["metrics"]["quote_end"].dtype) == "Int64"


# -- refusals ------------------------------------------------------------------------------


def test_tampered_zip_is_refused_and_leaves_nothing(server, cache, releases):
    """A zip that differs from its SHA256SUMS line raises VerificationError; nothing is kept."""
    zip_file = releases / "download" / "v1.0.0" / f"{NAME}-1.0.0.zip"
    zip_file.write_bytes(package_zip("1.0.1"))
    with pytest.raises(VerificationError, match=r"1\.0\.0.*SHA256SUMS"):
        dl.download("1.0.0", source=server.base)
    assert leftovers(cache) == []


def test_file_not_matching_descriptor_hash_is_refused(cache, tmp_path):
    """A zip that matches SHA256SUMS but holds a file differing from its descriptor is refused."""
    make_release(tmp_path / "r", "2.0.0", package_zip("2.0.0", bad_hash="metrics"))
    with pytest.raises(VerificationError, match=r"metrics\.csv"):
        dl.download("2.0.0", source=tmp_path / "r")
    assert leftovers(cache) == []


def test_truncated_body_is_refused(server, cache):
    """A body shorter than its Content-Length raises DownloadError and leaves nothing."""
    server.misbehave[f"/download/v1.0.0/{NAME}-1.0.0.zip"] = "truncate"
    with pytest.raises(DownloadError, match=r"1\.0\.0.*127\.0\.0\.1"):
        dl.download("1.0.0", source=server.base)
    assert leftovers(cache) == []


def test_redirect_loop_is_cut_off(server, cache):
    """A redirect loop stops after five redirects with DownloadError."""
    server.misbehave["/download/v1.0.0/SHA256SUMS"] = "loop"
    with pytest.raises(DownloadError, match="more than 5 redirects"):
        dl.download("1.0.0", source=server.base)


def test_redirect_policy_refuses_downgrade_and_other_schemes():
    """Redirects may not go from https to http nor to a non-http scheme; the rest resolve."""
    with pytest.raises(DownloadError, match="https down to plain http"):
        fetch.redirect_target("https://example.org/a", "http://example.org/a")
    with pytest.raises(DownloadError, match="not an http"):
        fetch.redirect_target("https://example.org/a", "file:///etc/passwd")
    assert fetch.redirect_target("http://h/a/b", "https://h/c") == "https://h/c"
    assert fetch.redirect_target("https://h/a/b", "/c?d=1") == "https://h/c?d=1"


def test_slow_server_times_out(server, cache, monkeypatch):
    """A server slower than the read timeout raises DownloadError saying it timed out."""
    monkeypatch.setattr(fetch, "TIMEOUT", (1.0, 0.3))
    server.misbehave["/download/v1.0.0/SHA256SUMS"] = "slow"
    with pytest.raises(DownloadError, match="timed out"):
        dl.download("1.0.0", source=server.base)
    assert leftovers(cache) == []


def test_html_page_instead_of_zip_is_refused(server, cache):
    """An HTML page served for the zip raises DownloadError before anything is unpacked."""
    server.misbehave[f"/download/v1.0.0/{NAME}-1.0.0.zip"] = "html"
    with pytest.raises(DownloadError, match="HTML page"):
        dl.download("1.0.0", source=server.base)
    assert leftovers(cache) == []


def test_unknown_version_names_version_and_url(server, cache):
    """A 404 for an unknown version raises DownloadError naming the version and the URL."""
    with pytest.raises(DownloadError) as caught:
        dl.download("9.9.9", source=server.base)
    assert "9.9.9" in str(caught.value)
    assert f"{server.base}/download/v9.9.9/SHA256SUMS" in str(caught.value)


def test_malformed_version_is_refused(cache):
    """A version that is neither X.Y.Z nor latest raises DownloadError without fetching."""
    with pytest.raises(DownloadError, match=r"not X\.Y\.Z"):
        dl.download("../1.0.0", source="http://127.0.0.1:9")


@pytest.mark.parametrize("kind", sorted(EVIL))
def test_malicious_archive_is_refused(kind, cache, tmp_path):
    """An archive with a matching SHA256SUMS but unsafe members raises VerificationError."""
    root = tmp_path / "evil"
    make_release(root, "6.6.6", evil_zip(EVIL[kind]))
    running = Server(root)
    try:
        with pytest.raises(VerificationError, match=r"6\.6\.6.*unsafe"):
            dl.download("6.6.6", source=running.base)
    finally:
        running.stop()
    assert leftovers(cache) == []
    assert not (tmp_path / "escaped.txt").exists()


def test_non_zip_body_is_refused_even_with_matching_sums(cache, tmp_path):
    """A 'zip' that is not a zip archive raises DownloadError even when SHA256SUMS matches it."""
    make_release(tmp_path / "r", "3.0.0", b"<html><body>maintenance</body></html>")
    with pytest.raises(DownloadError, match="not a zip archive"):
        dl.download("3.0.0", source=tmp_path / "r")
    assert leftovers(cache) == []


def test_progress_off_a_terminal_prints_nothing(server, cache, capsys):
    """progress=True draws nothing when stderr is not a terminal."""
    dl.download("1.0.0", source=server.base, progress=True)
    assert "MB" not in capsys.readouterr().err
