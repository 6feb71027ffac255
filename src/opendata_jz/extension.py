"""The `opendata_jz` descriptor extension: its JSON Schema and the check against it.

The extension declares rules (see `rules.py`) and provenance (see `provenance.py`); a
malformed declaration is an issue of the descriptor, and its checks are not run.
"""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files

from .report import Issue

PROPERTY = "opendata_jz"


@cache
def extension_schema() -> dict:
    """The JSON Schema of the extension property."""
    return json.loads(files(__package__).joinpath("extension.schema.json").read_text("utf-8"))


def extension_issues(descriptor: dict, descriptor_name: str) -> list[Issue]:
    """Issues for a declaration that does not match the extension's JSON Schema."""
    if PROPERTY not in descriptor:
        return []
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(extension_schema())
    issues = []
    for error in sorted(validator.iter_errors(descriptor[PROPERTY]), key=lambda e: list(e.path)):
        where = "/".join(str(part) for part in (PROPERTY, *error.path))
        issues.append(
            Issue(
                None,
                descriptor_name,
                None,
                None,
                "extension-invalid",
                f"The descriptor's {where} is invalid: {error.message}.",
            )
        )
    return issues
