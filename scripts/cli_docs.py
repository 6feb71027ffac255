"""Write docs/cli.md from the CLI's own help, or with --check, fail if it is out of date."""

from __future__ import annotations

import sys
from pathlib import Path

from typer.testing import CliRunner

from opendata_jz.cli import app

DOC = Path(__file__).resolve().parents[1] / "docs" / "cli.md"
COMMANDS = ["validate", "extract", "publish", "diff", "download"]


def render() -> str:
    runner = CliRunner()
    parts = [
        "# Command reference\n\n",
        "The help of every command, as `opendata-jz COMMAND --help` prints it (80 columns).",
        " `tests/test_cli.py` checks that this page matches the CLI;",
        " `python scripts/cli_docs.py` rewrites it.\n",
    ]
    for command in [None, *COMMANDS]:
        args = [command, "--help"] if command else ["--help"]
        result = runner.invoke(app, args, prog_name="opendata-jz", env={"COLUMNS": "80"})
        title = f"opendata-jz {command}" if command else "opendata-jz"
        parts.append(f"\n## `{title}`\n\n```text\n{result.output.rstrip()}\n```\n")
    return "".join(parts)


def main() -> None:
    text = render()
    if "--check" in sys.argv:
        if DOC.read_text(encoding="utf-8") != text:
            sys.exit(f"{DOC} is out of date: run python scripts/cli_docs.py")
        return
    DOC.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
