"""Errors as data: one `Issue` per fault, one `Report` per validation run."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Issue:
    """One fault, located as precisely as the check allows."""

    resource: str | None
    path: str | None
    line: int | None
    field: str | None
    code: str
    message: str
    severity: Severity = "error"

    def to_dict(self) -> dict:
        return asdict(self)

    def sort_key(self) -> tuple:
        return (
            self.path or "",
            self.line if self.line is not None else 0,
            self.field or "",
            self.code,
            self.message,
        )


@dataclass(slots=True)
class Report:
    """Every issue one validation run found, sorted by path and line."""

    issues: list[Issue] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.issues = sorted(set(self.issues), key=Issue.sort_key)

    @property
    def errors(self) -> list[Issue]:
        return [issue for issue in self.issues if issue.severity == "error"]

    @property
    def warnings(self) -> list[Issue]:
        return [issue for issue in self.issues if issue.severity == "warning"]

    @property
    def valid(self) -> bool:
        return not self.errors

    def to_dict(self) -> dict:
        return {"valid": self.valid, "issues": [issue.to_dict() for issue in self.issues]}

    @classmethod
    def merge(cls, *layers: Iterable[Issue]) -> Report:
        """Combine check layers, keeping one issue per fault.

        Layers come in order of authority: an issue of a later layer is dropped when an earlier
        one already reported an error at the same resource, line and field.
        """
        kept: list[Issue] = []
        claimed: set[tuple] = set()
        for layer in layers:
            layer = list(layer)
            for issue in layer:
                place = (issue.resource, issue.line, issue.field)
                if issue.severity == "error" and issue.line is not None and place in claimed:
                    continue
                kept.append(issue)
            claimed.update((i.resource, i.line, i.field) for i in layer if i.severity == "error")
        return cls(kept)
