"""The `opendata-jz` command line: parse arguments, call the library, render, set the exit
code. Heavy libraries load inside the commands that need them, so `--help` stays instant."""

from __future__ import annotations

import contextlib
import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(
    help="Curate, validate, publish and load figure-level Frictionless data packages.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

EXIT_OK, EXIT_INVALID, EXIT_CANNOT_RUN = 0, 1, 2


class ReportFormat(StrEnum):
    text = "text"
    json = "json"
    github = "github"
    markdown = "markdown"


class ExtractFormat(StrEnum):
    csv = "csv"
    json = "json"


def _colour(stream=sys.stdout) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return stream.isatty()


def _fail(message: str, code: int = EXIT_CANNOT_RUN) -> typer.Exit:
    typer.echo(f"opendata-jz: {message}", err=True)
    return typer.Exit(code)


def _version(value: bool) -> None:
    if value:
        from . import __version__

        typer.echo(f"opendata-jz {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """Curate, validate, publish and load figure-level Frictionless data packages."""


def _package_root(package: Path) -> Path | None:
    if package.suffix.lower() == ".zip":
        return None
    return package if package.is_dir() else package.parent


@app.command()
def validate(
    package: Annotated[
        Path,
        typer.Argument(help="A datapackage.json (or .yaml), a directory holding one, or a zip."),
    ] = Path("datapackage.json"),
    format: Annotated[
        ReportFormat, typer.Option("--format", "-f", help="How to print the report.")
    ] = ReportFormat.text,
    summary: Annotated[
        Path | None,
        typer.Option(
            "--summary",
            help="Also append a Markdown summary to this file (e.g. $GITHUB_STEP_SUMMARY).",
        ),
    ] = None,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Text format: print only the verdict line.")
    ] = False,
) -> None:
    """Check a data package: structure, types, constraints, keys, hashes, rules, provenance.

    Exit 0 when valid (warnings allowed), 1 when invalid, 2 when the package cannot be read.
    """
    from .package import PackageError
    from .render import RENDERERS, render_markdown
    from .validation import validate as run

    try:
        report = run(package)
    except PackageError as error:
        raise _fail(str(error)) from None
    root = _package_root(package)
    output = RENDERERS[format.value](report, colour=_colour(), quiet=quiet, package_root=root)
    sys.stdout.write(output)
    if summary is not None:
        with open(summary, "a", encoding="utf-8") as handle:
            handle.write(render_markdown(report, package_root=root))
    raise typer.Exit(EXIT_OK if report.valid else EXIT_INVALID)


@app.command()
def extract(
    text_file: Annotated[Path, typer.Argument(help="An article as UTF-8 text, raw or normalised.")],
    format: Annotated[
        ExtractFormat, typer.Option("--format", "-f", help="Output format.")
    ] = ExtractFormat.csv,
    against: Annotated[
        Path | None,
        typer.Option(
            "--against",
            help="A package: show which figures are curated, declared not figures, or missing.",
        ),
    ] = None,
) -> None:
    """List the candidate figures in an article (value, unit, qualifier, token, offsets, quote)."""
    from . import extract as extraction

    try:
        text = text_file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise _fail(f"{text_file}: cannot read the article as UTF-8 text ({error}).") from None
    rows = extraction.extract(text)
    if against is not None:
        from .package import PackageError
        from .provenance import curator_view

        try:
            sys.stdout.write(curator_view(text, against, colour=_colour()))
        except PackageError as error:
            raise _fail(str(error)) from None
        return
    writer = extraction.to_json if format is ExtractFormat.json else extraction.to_csv
    sys.stdout.write(writer(rows))


@app.command()
def publish(
    package: Annotated[
        Path, typer.Argument(help="The package to release (descriptor, directory or zip).")
    ] = Path("datapackage.json"),
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Release directory, laid out like GitHub's.")
    ] = Path("dist"),
    version: Annotated[
        str | None,
        typer.Option("--version", help="X.Y.Z to publish (default: the descriptor's version)."),
    ] = None,
    previous: Annotated[
        str | None,
        typer.Option(
            "--previous",
            help="The release to compare with: a release directory, zip or descriptor, or a"
            " URL (a releases base, whose latest release is fetched and verified, or a"
            " .../download/vX.Y.Z/ folder); default: the newest release in --out below the"
            " new version.",
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would be published; write nothing.")
    ] = False,
) -> None:
    """Validate, then build a versioned release: zip, SQLite, Parquet, landing page,
    changelog and checksums in OUT/download/vX.Y.Z/.

    Exit 1 when refused (invalid package, version already published or too small).
    """
    from .package import PackageError
    from .publish import PublishError, PublishRefused
    from .publish import publish as run
    from .render import render_text

    try:
        result = run(package, out, version=version, previous=previous, dry_run=dry_run)
    except PublishRefused as refusal:
        if refusal.report is not None:
            sys.stderr.write(render_text(refusal.report, colour=_colour(sys.stderr)))
        raise _fail(str(refusal), EXIT_INVALID) from None
    except (PublishError, PackageError) as error:
        raise _fail(str(error)) from None
    sys.stdout.write(result.render_text())


class DiffFormat(StrEnum):
    text = "text"
    json = "json"


@app.command()
def diff(
    old: Annotated[Path, typer.Argument(help="The older version: directory, zip or descriptor.")],
    new: Annotated[Path, typer.Argument(help="The newer version: directory, zip or descriptor.")],
    format: Annotated[DiffFormat, typer.Option("--format", "-f", help="Output format.")] = (
        DiffFormat.text
    ),
) -> None:
    """Show schema and row changes between two versions of a package, and the version bump
    they require (major, minor or patch)."""
    import json

    from .diff import diff_packages
    from .package import PackageError

    try:
        changes = diff_packages(old, new)
    except PackageError as error:
        raise _fail(str(error)) from None
    if format is DiffFormat.json:
        sys.stdout.write(json.dumps(changes.to_dict(), ensure_ascii=False, indent=2) + "\n")
    else:
        sys.stdout.write(changes.render_text())


@app.command()
def download(
    version: Annotated[
        str, typer.Option("--version", help="X.Y.Z, or 'latest' for the newest release.")
    ] = "latest",
    source: Annotated[
        str | None,
        typer.Option(
            "--from",
            help="Releases base URL or a local directory in the release layout"
            " (default: $OPENDATA_JZ_RELEASES, else the project's GitHub releases).",
        ),
    ] = None,
    dest: Annotated[
        Path | None,
        typer.Option(
            "--dest", help="Unpack into DIR/NAME-VERSION instead of the user cache directory."
        ),
    ] = None,
) -> None:
    """Fetch a release, verify it against SHA256SUMS and its descriptor, unpack it; print its
    path. Exit 1 when verification or archive safety fails, 2 when it cannot be fetched."""
    from .download import DownloadError, VerificationError
    from .download import download as fetch

    try:
        path = fetch(version=version, source=source, dest=dest, progress=sys.stderr.isatty())
    except VerificationError as error:
        raise _fail(str(error), EXIT_INVALID) from None
    except DownloadError as error:
        raise _fail(str(error)) from None
    typer.echo(str(path))


def main() -> None:
    """Console-script entry point.

    Once a command has finished and its output is flushed, the process ends without
    tearing the interpreter down: after a large validation, freeing every module and object
    one by one takes a tenth of a second and changes nothing a user can see. Anything left
    to clean up (temporary directories) is cleaned up by the commands themselves.
    """
    try:
        app()
        code = 0
    except SystemExit as done:
        code = _exit_status(done.code)
    for stream in (sys.stdout, sys.stderr):
        # A reader that went away (`| head`) has nothing more to be told.
        with contextlib.suppress(OSError):
            stream.flush()
    os._exit(code)


def _exit_status(code: object) -> int:
    """The status `sys.exit(code)` would end the process with (a text is printed, as there)."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    print(code, file=sys.stderr)
    return 1
