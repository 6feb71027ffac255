"""Each fixture package under tests/data/packages gives exactly the issues written down in
its expected.json, the exit code stated there, and is left byte for byte as it was."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from opendata_jz import validate
from opendata_jz.package import PackageError

from conftest import FIXTURES, tree_digest

PACKAGES = sorted(p for p in (FIXTURES / "packages").iterdir() if p.is_dir())


def expected(package: Path) -> dict:
    return json.loads((package / "expected.json").read_text(encoding="utf-8"))


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Validation is offline: any attempt to connect fails the test."""

    def refuse(*args, **kwargs):
        raise AssertionError("validation tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.mark.parametrize("package", PACKAGES, ids=lambda p: p.name)
def test_issues_match_expectations(package: Path) -> None:
    """validate reports exactly the (path, line, field, code) issues the fixture expects."""
    wanted = expected(package)
    if wanted["exit"] == 2:
        with pytest.raises(PackageError):
            validate(package)
        return
    report = validate(package)
    found = [(i.path, i.line, i.field, i.code) for i in report.issues]
    assert sorted(found, key=str) == sorted(
        [(i["path"], i["line"], i["field"], i["code"]) for i in wanted["issues"]], key=str
    )
    assert report.valid == (wanted["exit"] == 0)


@pytest.mark.parametrize("package", PACKAGES, ids=lambda p: p.name)
def test_cli_exit_code_and_untouched_package(package: Path, cli) -> None:
    """The CLI exits as expected, names file and line, and writes nothing into the package."""
    before = tree_digest(package)
    result = cli("validate", package, "--format", "json")
    wanted = expected(package)
    assert result.exit_code == wanted["exit"], result.output
    if wanted["exit"] == 2:
        assert "Traceback" not in result.output
        assert result.stderr.count("\n") == 1 and result.stderr.startswith("opendata-jz: ")
    else:
        issues = json.loads(result.stdout)["issues"]
        assert {(i["path"], i["line"]) for i in issues} == {
            (i["path"], i["line"]) for i in wanted["issues"]
        }
    assert tree_digest(package) == before


def test_every_issue_has_a_sentence() -> None:
    """Every issue of every fixture carries a one-sentence message ending in a full stop."""
    for package in PACKAGES:
        if expected(package)["exit"] == 2:
            continue
        for issue in validate(package).issues:
            assert issue.message.endswith("."), issue
            assert "Traceback" not in issue.message and "/tmp/" not in issue.message
