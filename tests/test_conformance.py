"""validate agrees with frictionless on frictionless-py's own fixture packages, error by error.

The corpus lives outside the repository, in ../shared/conformance/frictionless-fixtures (or
wherever OPENDATA_JZ_CONFORMANCE points); it is copied to a temporary directory because some
of its packages are deliberately broken.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from opendata_jz import validate
from opendata_jz.package import PackageError

from conftest import ROOT

CORPUS = Path(
    os.environ.get("OPENDATA_JZ_CONFORMANCE")
    or ROOT.parent / "shared" / "conformance" / "frictionless-fixtures"
)
#: Codes of our own stricter rules, which may add issues frictionless does not report.
OWN_CODES = {
    "non-ascii-digits",
    "non-finite-number",
    "missing-value-literal",
    "spreadsheet-formula",
    "unsafe-path",
    "remote-path",
    "encoding-error",
}


def manifest() -> list[dict]:
    path = CORPUS / "manifest.json"
    if not path.is_file():
        pytest.fail(
            f"The conformance corpus is missing: no {path}. Put frictionless-fixtures there or"
            " set OPENDATA_JZ_CONFORMANCE to its directory."
        )
    return json.loads(path.read_text(encoding="utf-8"))["packages"]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("conformance") / "data"
    shutil.copytree(CORPUS / "data", target, symlinks=True)
    for path in target.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    return target


def _key(error: dict) -> tuple:
    return (error["resource"], error["row"], error["field"], error["type"])


def _ours(issue) -> tuple:
    line = issue.line
    if issue.code.endswith("-label") and line == 1:
        line = None  # frictionless gives header errors no row number
    return (issue.resource, line, issue.field, issue.code)


def test_corpus_is_present() -> None:
    """The corpus is where the tests look for it, with packages in it."""
    assert len(manifest()) > 20


@pytest.mark.conformance
@pytest.mark.parametrize("entry", manifest(), ids=lambda e: e["package"])
def test_same_verdict_and_errors(corpus: Path, entry: dict) -> None:
    """Same verdict as frictionless, every frictionless error at the same place, no extra
    errors of frictionless's kinds."""
    try:
        report = validate(corpus / entry["package"])
    except PackageError as error:
        pytest.fail(f"could not open {entry['package']}: {error}")
    assert report.valid == entry["valid"], [str(i) for i in report.issues]
    ours = {_ours(i) for i in report.errors}
    by_line = {(i.resource, i.line) for i in report.errors}
    for error in entry["errors"]:
        key = _key(error)
        if key in ours:
            continue
        if error["type"] == "primary-key":
            # One issue per fault: the key error is folded into the blank row or key cell
            # already reported on that line, or named on the first key field.
            assert (error["resource"], error["row"]) in by_line, key
            continue
        pytest.fail(f"frictionless reports {key}, validate does not: {sorted(ours, key=str)}")
    theirs = {(e["resource"], e["row"], e["field"]) for e in entry["errors"]}
    theirs_lines = {(e["resource"], e["row"]) for e in entry["errors"]}
    for resource, line, field, code in ours:
        if code in OWN_CODES:
            continue
        assert (resource, line, field) in theirs or (
            code == "primary-key" and (resource, line) in theirs_lines
        ), f"validate reports {(resource, line, field, code)}, frictionless does not"
