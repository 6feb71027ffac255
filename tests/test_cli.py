"""The command line: help, version, exit codes, output formats, and a fast start."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import FIXTURES, ROOT, drop_row, edit_csv

COMMANDS = ["validate", "extract", "download"]
BROKEN = FIXTURES / "packages" / "wrong-type"


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(cli, command: str) -> None:
    """Each command explains itself under --help."""
    result = cli(command, "--help")
    assert result.exit_code == 0
    assert "Usage:" in result.output and len(result.output.splitlines()) > 5


def test_version(cli) -> None:
    """--version prints the installed version."""
    from opendata_jz import __version__

    result = cli("--version")
    assert result.exit_code == 0 and result.output.strip() == f"opendata-jz {__version__}"


def test_help_imports_no_heavy_library() -> None:
    """`opendata-jz --help` loads none of pandas, pandera or frictionless."""
    code = (
        "import sys\n"
        "from opendata_jz.cli import app\n"
        "try:\n    app(['--help'])\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in ('pandas', 'pandera', 'frictionless', 'pyarrow')"
        " if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_console_script_exit_codes_and_output(tmp_path: Path) -> None:
    """The installed `opendata-jz` ends with the contract's exit codes and with its whole
    report written, into a pipe as onto a terminal."""
    script = Path(sys.executable).parent / "opendata-jz"
    assert script.is_file(), f"the console script is not installed: {script}"
    invalid = subprocess.run(
        [str(script), "validate", str(BROKEN), "--format", "json"], capture_output=True
    )
    assert invalid.returncode == 1, invalid.stderr
    assert json.loads(invalid.stdout)["issues"], "the report was cut short"
    missing = subprocess.run(
        [str(script), "validate", str(tmp_path / "none.json")], capture_output=True, text=True
    )
    assert missing.returncode == 2
    assert missing.stderr.startswith("opendata-jz: ") and missing.stdout == ""
    helped = subprocess.run([str(script), "--help"], capture_output=True, text=True)
    assert helped.returncode == 0 and "validate" in helped.stdout


def test_json_report_shape(cli) -> None:
    """--format json prints {valid, issues} with the contract's fields, sorted by path and line."""
    result = cli("validate", BROKEN, "--format", "json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["valid"] is False
    assert set(report["issues"][0]) == {
        "resource",
        "path",
        "line",
        "field",
        "code",
        "severity",
        "message",
    }
    keys = [(i["path"], i["line"]) for i in report["issues"]]
    assert keys == sorted(keys)


def test_json_output_matches_library(cli) -> None:
    """The CLI's JSON is the library's Report for the same package."""
    from opendata_jz import validate

    result = cli("validate", BROKEN, "--format", "json")
    assert json.loads(result.stdout) == validate(BROKEN).to_dict()


def test_github_annotations_point_at_file_and_line(cli, monkeypatch) -> None:
    """--format github prints ::error annotations with the path relative to the cwd."""
    monkeypatch.chdir(ROOT)
    result = cli("validate", BROKEN.relative_to(ROOT), "--format", "github")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert (
        "::error file=tests/data/packages/wrong-type/figures.csv,line=3,title=type-error::"
        "value: 'abc' is not a valid number." in lines
    )


def test_markdown_summary_file(cli, tmp_path: Path) -> None:
    """--summary appends a Markdown table of the issues to the named file."""
    summary = tmp_path / "summary.md"
    summary.write_text("earlier content\n")
    result = cli("validate", BROKEN, "--summary", summary)
    assert result.exit_code == 1
    text = summary.read_text()
    assert text.startswith("earlier content\n")
    assert "| error | " in text and "type-error" in text


def test_text_report_groups_by_file(cli) -> None:
    """The text report names the file once, then each issue's line and field."""
    result = cli("validate", BROKEN, env={"NO_COLOR": "1"})
    assert result.exit_code == 1
    assert "figures.csv\n  error line 3, field value:" in result.stdout
    assert "\033[" not in result.stdout
    assert result.stdout.rstrip().endswith("invalid: 2 errors")


def test_colour_when_forced(cli) -> None:
    """FORCE_COLOR colours the verdict; NO_COLOR wins over it."""
    assert "\033[31m" in cli("validate", BROKEN, env={"FORCE_COLOR": "1"}).stdout
    plain = cli("validate", BROKEN, env={"FORCE_COLOR": "1", "NO_COLOR": "1"}).stdout
    assert "\033[" not in plain


def test_quiet_prints_only_the_verdict(cli) -> None:
    """--quiet keeps only the verdict line."""
    result = cli("validate", BROKEN, "--quiet", env={"NO_COLOR": "1"})
    assert result.stdout == "invalid: 2 errors\n"


@pytest.mark.parametrize(
    "target", ["missing.json", "not-a-dir/", "descriptor-invalid-json", "descriptor-missing"]
)
def test_unreadable_descriptor_exits_2_with_one_sentence(cli, target: str, tmp_path) -> None:
    """A missing or unparsable descriptor exits 2 with one line on stderr and no traceback."""
    path = FIXTURES / "packages" / target if target.startswith("descriptor") else tmp_path / target
    result = cli("validate", path)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith("opendata-jz: ") and result.stderr.count("\n") == 1


def test_bad_format_option_exits_2(cli) -> None:
    """An unknown --format is a usage error (exit 2)."""
    assert cli("validate", BROKEN, "--format", "xml").exit_code == 2


def test_validates_a_zip(tmp_path: Path, cli, flagship: Path) -> None:
    """A package inside a zip, under a root folder, validates like the directory."""
    archive = tmp_path / "package.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        for path in sorted(flagship.rglob("*")):
            if path.is_file():
                bundle.write(path, f"jinzhou-quality-1.0.0/{path.relative_to(flagship)}")
    assert cli("validate", archive).exit_code == 0
    edit_csv(flagship / "data" / "metrics.csv", "m001", value="14")
    with zipfile.ZipFile(archive, "w") as bundle:
        for path in sorted(flagship.rglob("*")):
            if path.is_file():
                bundle.write(path, f"root/{path.relative_to(flagship)}")
    result = cli("validate", archive, "--format", "json")
    assert result.exit_code == 1
    assert ["data/metrics.csv", 2, "value"] in [
        [i["path"], i["line"], i["field"]] for i in json.loads(result.stdout)["issues"]
    ]


def test_unsafe_zip_exits_2(tmp_path: Path, cli) -> None:
    """A zip whose member would escape is refused before anything is unpacked."""
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("../datapackage.json", "{}")
    result = cli("validate", archive)
    assert result.exit_code == 2 and "outside" in result.stderr


def test_default_package_is_the_cwd_descriptor(cli, flagship: Path, monkeypatch) -> None:
    """Without an argument validate reads ./datapackage.json."""
    monkeypatch.chdir(flagship)
    assert cli("validate").exit_code == 0
    shutil.move(flagship / "datapackage.json", flagship / "moved.json")
    assert cli("validate").exit_code == 2


def test_extract_prints_csv_and_json(cli) -> None:
    """extract prints the contract's columns as CSV by default, and a JSON list on request."""
    article = ROOT / "data" / "source" / "jinzhou-quality-article.raw.txt"
    result = cli("extract", article)
    assert result.exit_code == 0
    header, first = result.stdout.splitlines()[:2]
    assert header == "value,unit,qualifier,token,start,end,quote,quote_start,quote_end"
    assert first == "13,個,exact,13個,420,423,全市共建立國家級標準化示范試點項目13個,403,423"
    rows = json.loads(cli("extract", article, "--format", "json").stdout)
    assert len(rows) == 33 and rows[10]["token"] == "1000余家次"


def test_extract_against_shows_coverage(cli, flagship: Path) -> None:
    """extract --against marks each figure curated, declared or missing."""
    article = flagship / "data" / "source" / "jinzhou-quality-article.txt"
    result = cli("extract", article, "--against", flagship, env={"NO_COLOR": "1"})
    assert result.exit_code == 0
    assert result.stdout.rstrip().endswith("33 curated, 0 declared, 0 missing")
    drop_row(flagship / "data" / "metrics.csv", "m027")
    result = cli("extract", article, "--against", flagship, env={"NO_COLOR": "1"})
    assert "✗ missing  16158件" in result.stdout
    assert result.stdout.rstrip().endswith("32 curated, 0 declared, 1 missing")


def test_extract_unreadable_file_exits_2(cli, tmp_path: Path) -> None:
    """An article that is missing or not UTF-8 exits 2 with one sentence."""
    assert cli("extract", tmp_path / "nope.txt").exit_code == 2
    (tmp_path / "gbk.txt").write_bytes("中國質量報".encode("gb18030"))
    result = cli("extract", tmp_path / "gbk.txt")
    assert result.exit_code == 2 and "UTF-8" in result.stderr


def test_command_reference_matches_the_help() -> None:
    """docs/cli.md is exactly the help every command prints."""
    script = ROOT / "scripts" / "cli_docs.py"
    result = subprocess.run(
        [sys.executable, str(script), "--check"], capture_output=True, text=True, cwd=ROOT
    )
    assert result.returncode == 0, result.stderr
