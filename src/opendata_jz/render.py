"""One renderer per output format for a validation `Report`: text, json, github, markdown."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from itertools import groupby
from pathlib import Path

from .report import Issue, Report

_COLOURS = {"error": "\033[31m", "warning": "\033[33m", "ok": "\033[32m", "dim": "\033[2m"}
_RESET = "\033[0m"


def _paint(text: str, colour: str, enabled: bool) -> str:
    return f"{_COLOURS[colour]}{text}{_RESET}" if enabled else text


def render_text(report: Report, *, colour: bool = False, quiet: bool = False, **_: object) -> str:
    """Readable report grouped by file: `line N, field F: message [code]`."""
    lines: list[str] = []
    if not quiet:
        for path, issues in groupby(report.issues, key=lambda i: i.path or ""):
            lines.append(
                _paint(path or "(package)", "dim", colour) if colour else path or "(package)"
            )
            for issue in issues:
                where = ", ".join(
                    part
                    for part in (
                        f"line {issue.line}" if issue.line is not None else "",
                        f"field {issue.field}" if issue.field else "",
                    )
                    if part
                )
                label = _paint(issue.severity, issue.severity, colour)
                place = f"{where}: " if where else ""
                lines.append(f"  {label} {place}{issue.message} [{issue.code}]")
    errors, warnings = len(report.errors), len(report.warnings)
    if report.valid:
        summary = _paint("valid", "ok", colour)
        if warnings:
            summary += f" with {warnings} warning{'s' * (warnings != 1)}"
    else:
        summary = _paint("invalid", "error", colour) + f": {errors} error{'s' * (errors != 1)}"
        if warnings:
            summary += f", {warnings} warning{'s' * (warnings != 1)}"
    lines.append(summary)
    return "\n".join(lines) + "\n"


def render_json(report: Report, **_: object) -> str:
    """`{"valid": bool, "issues": [...]}`, issues sorted by path and line."""
    return json.dumps(report.to_dict(), ensure_ascii=False, indent=2) + "\n"


def _escape_data(text: str) -> str:
    # GitHub workflow commands treat %, CR and LF specially in messages.
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render_github(report: Report, *, package_root: Path | None = None, **_: object) -> str:
    """`::error file=PATH,line=N,title=CODE::message` lines, PATH relative to the cwd."""
    out = []
    for issue in report.issues:
        properties = []
        if issue.path:
            properties.append(f"file={_escape_property(_relative(issue.path, package_root))}")
        if issue.line is not None:
            properties.append(f"line={issue.line}")
        properties.append(f"title={_escape_property(issue.code)}")
        field = f"{issue.field}: " if issue.field else ""
        message = _escape_data(f"{field}{issue.message}")
        out.append(f"::{issue.severity} {','.join(properties)}::{message}")
    return "\n".join(out) + ("\n" if out else "")


def _relative(path: str, package_root: Path | None) -> str:
    if package_root is None:
        return path
    return os.path.relpath(package_root / path)


def _cell(text: object) -> str:
    return str(text if text is not None else "").replace("|", "\\|").replace("\n", " ")


def render_markdown(report: Report, *, package_root: Path | None = None, **_: object) -> str:
    """A summary table for `$GITHUB_STEP_SUMMARY`."""
    status = "✅ valid" if report.valid else "❌ invalid"
    out = [
        f"### Data package validation: {status}",
        "",
        f"{len(report.errors)} errors, {len(report.warnings)} warnings.",
    ]
    if report.issues:
        out += [
            "",
            "| severity | file | line | field | code | message |",
            "|---|---|---|---|---|---|",
        ]
        for issue in report.issues:
            path = _relative(issue.path, package_root) if issue.path else ""
            out.append(
                "| "
                + " | ".join(
                    _cell(v)
                    for v in (
                        issue.severity,
                        path,
                        issue.line,
                        issue.field,
                        issue.code,
                        issue.message,
                    )
                )
                + " |"
            )
    return "\n".join(out) + "\n"


RENDERERS: dict[str, Callable[..., str]] = {
    "text": render_text,
    "json": render_json,
    "github": render_github,
    "markdown": render_markdown,
}


def describe_issue(issue: Issue) -> str:
    """A one-line form used by other commands' error output."""
    where = f"{issue.path}:{issue.line}" if issue.line is not None else issue.path or ""
    field = f" [{issue.field}]" if issue.field else ""
    return f"{where}{field}: {issue.message}"
