"""Shared fixtures: the repository root, a scratch copy of the flagship package, the CLI."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "data"
ARTICLES = FIXTURES / "articles"


def read(path: Path) -> str:
    """A text file's content, as UTF-8."""
    return path.read_text(encoding="utf-8")


@pytest.fixture
def flagship(tmp_path: Path) -> Path:
    """A writable copy of the bundled package (descriptor and data/)."""
    target = tmp_path / "jinzhou"
    target.mkdir()
    shutil.copy2(ROOT / "datapackage.json", target / "datapackage.json")
    shutil.copytree(ROOT / "data", target / "data")
    return target


@pytest.fixture
def cli():
    """Run the CLI in-process: `cli("validate", path)` returns the click Result."""
    from opendata_jz.cli import app

    runner = CliRunner()

    def invoke(*args: object, **kwargs):
        return runner.invoke(app, [str(a) for a in args], catch_exceptions=False, **kwargs)

    return invoke


def tree_digest(root: Path) -> dict[str, str]:
    """Every entry under root with the digest of its bytes (links by target, not followed)."""
    digests = {}
    for path in sorted(root.rglob("*")):
        key = str(path.relative_to(root))
        if path.is_symlink():
            digests[key] = "link:" + str(path.readlink())
        elif path.is_file():
            digests[key] = hashlib.sha256(path.read_bytes()).hexdigest()
        else:
            digests[key] = "dir"
    return digests


def edit_csv(path: Path, row_id: str, **changes: str) -> None:
    """Change cells of the row whose first cell is row_id, keeping every other byte."""
    import csv
    import io

    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))
    header = rows[0]
    for row in rows[1:]:
        if row and row[0] == row_id:
            for field, value in changes.items():
                row[header.index(field)] = value
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")


def drop_row(path: Path, row_id: str) -> None:
    """Remove the row whose first cell is row_id."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    kept = [line for line in lines if not line.startswith(f"{row_id},")]
    path.write_text("".join(kept), encoding="utf-8")


@pytest.fixture
def serve():
    """Serve a directory over real HTTP on 127.0.0.1: `base = serve(path)`; stopped after."""
    import functools
    import threading
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    servers = []

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

    def start(directory: Path) -> str:
        handler = functools.partial(Quiet, directory=str(directory))
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()
