"""Rules a Table Schema cannot state: declared in the descriptor, implemented here.

A package lists its rules under `opendata_jz.rules`; each names a kind from `KINDS`, the
resource and fields it binds, and a `reason`. Every kind turns into a pandera check that
yields, for each row, whether the rule holds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class Rule:
    """One declared rule: its name (the issue code), kind, where it applies and why."""

    name: str
    kind: str
    resource: str
    field: str
    params: dict
    reason: str


def declared_rules(descriptor: dict) -> list[Rule]:
    """The rules a descriptor declares under `opendata_jz.rules`."""
    extension = descriptor.get("opendata_jz")
    entries = extension.get("rules") if isinstance(extension, dict) else None
    rules = []
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict) or entry.get("kind") not in KINDS:
            continue
        rules.append(
            Rule(
                name=str(entry.get("name") or entry["kind"]),
                kind=entry["kind"],
                resource=str(entry.get("resource")),
                field=str(entry.get("field") or (entry.get("fields") or [""])[0]),
                params=entry,
                reason=str(entry.get("reason", "")),
            )
        )
    return rules


Tables = dict[str, "pd.DataFrame"]


def _ordered(rule: Rule, frame: pd.DataFrame, tables: Tables) -> pd.Series:
    """`fields[0]` < `fields[1]` (or <= with `orEqual`) wherever both are present."""
    low, high = frame[rule.params["fields"][0]], frame[rule.params["fields"][1]]
    holds = low <= high if rule.params.get("orEqual") else low < high
    return holds.fillna(True).astype(bool)


def _together(rule: Rule, frame: pd.DataFrame, tables: Tables) -> pd.Series:
    """The fields are all present or all empty."""
    present = frame[list(rule.params["fields"])].notna()
    return present.all(axis=1) | ~present.any(axis=1)


def _matches_reference(rule: Rule, frame: pd.DataFrame, tables: Tables) -> pd.Series:
    """`field` equals `referenceField` of the row that `via` points to in `reference`."""
    reference = tables[rule.params.get("reference", rule.resource)]
    key = rule.params.get("referenceKey", "id")
    lookup = reference.drop_duplicates(key).set_index(key)[rule.params["referenceField"]]
    expected = frame[rule.params["via"]].map(lookup.to_dict())
    actual = frame[rule.field]
    holds = (actual.astype("string") == expected.astype("string")) | expected.isna()
    return holds.fillna(False).astype(bool)


def _acyclic(rule: Rule, frame: pd.DataFrame, tables: Tables) -> pd.Series:
    """Following `field` from row to row (through `key`) never comes back to the start."""
    key = rule.params.get("key", "id")
    parent = dict(zip(frame[key], frame[rule.field], strict=False))
    import pandas as pd

    holds = []
    for start in frame[key]:
        seen, node = {start}, parent.get(start)
        while node is not None and not pd.isna(node) and node not in seen:
            seen.add(node)
            node = parent.get(node)
        holds.append(node is None or pd.isna(node))
    return pd.Series(holds, index=frame.index)


KINDS: dict[str, Callable[[Rule, pd.DataFrame, Tables], pd.Series]] = {
    "ordered": _ordered,
    "together": _together,
    "matches-reference": _matches_reference,
    "acyclic": _acyclic,
}


def evaluate(rule: Rule, frame: pd.DataFrame, tables: Tables) -> pd.Series:
    """Per row, whether the rule holds."""
    return KINDS[rule.kind](rule, frame, tables)


def explain(rule: Rule, frame: pd.DataFrame, index: int) -> str:
    """One sentence on why the rule fails at a row, naming the values involved."""
    row = frame.loc[index]
    fields = rule.params.get("fields") or []
    if rule.kind == "ordered":
        relation = "at most" if rule.params.get("orEqual") else "less than"
        detail = f"{fields[0]} ({row[fields[0]]}) must be {relation} {fields[1]} ({row[fields[1]]})"
    elif rule.kind == "together":
        detail = f"fill all of {', '.join(fields)} or none of them"
    elif rule.kind == "matches-reference":
        via = rule.params["via"]
        target = f"{rule.params.get('reference', rule.resource)}.{rule.params['referenceField']}"
        detail = (
            f"{rule.field} {row[rule.field]!r} differs from {target} of the row that"
            f" {via} {row[via]!r} points to"
        )
    else:
        detail = f"following {rule.field} from {row.get(rule.params.get('key', 'id'))!r} loops"
    return f"{detail}: {rule.reason}"
