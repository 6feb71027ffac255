"""Fixed-width patterns (`jz-[a-z]{3}-[0-9]{7}`) matched position by position with numpy.

A pattern made only of ASCII literals and ASCII character classes, each repeated an exact
number of times, matches a text exactly when the text has that many characters and each is
in its position's class. Such a text is ASCII, so its characters are its bytes: each cell of
the right byte length is checked against a byte table per position, several times faster
than a regular expression per cell. Any other pattern returns None and is left to a regex.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from .arrays import fixed_width

_SPECIAL = set(".^$*+?{}[]\\|()")
_ESCAPABLE = set(".-^$*+?{}[]\\|()/")
_MOST = 256  # characters a fixed-width pattern may span


def byte_classes(pattern: str) -> list[np.ndarray] | None:
    """One 256-entry table per character of the texts `pattern` matches in full (as
    frictionless anchors it), or None unless it is such a fixed-width pattern."""
    text = pattern[1:] if pattern.startswith("^") else pattern
    text = text[:-1] if text.endswith("$") and not text.endswith("\\$") else text
    classes: list[np.ndarray] = []
    at = 0
    while at < len(text):
        table, at = _atom(text, at)
        if table is None:
            return None
        count, at = _count(text, at)
        if count is None:
            return None
        classes += [table] * count
        if len(classes) > _MOST:
            return None
    return classes or None


def matches(raw: pa.Array, present: np.ndarray, classes: list[np.ndarray]) -> np.ndarray:
    """Which present cells of a text column the fixed-width pattern matches in full (a cell
    ending in a line break, which Python's `$` lets through, is for the caller to settle)."""
    width = len(classes)
    candidates, chosen, chars = fixed_width(raw, present, width)
    ok = np.ones(len(chars), dtype=bool)
    for position, table in enumerate(classes):
        ok &= table[chars[:, position]]
    found = np.zeros(len(raw), dtype=bool)
    found[chosen] = ok & candidates[chosen]
    return found


def _atom(text: str, at: int) -> tuple[np.ndarray | None, int]:
    char = text[at]
    if char == "\\":
        if at + 1 < len(text) and text[at + 1] in _ESCAPABLE:
            return _table(text[at + 1]), at + 2
        return None, at
    if char == "[":
        return _class(text, at + 1)
    if char in _SPECIAL or not char.isascii():
        return None, at
    return _table(char), at + 1


def _class(text: str, at: int) -> tuple[np.ndarray | None, int]:
    """A bracketed class of ASCII literals and ranges, with no negation and no escapes."""
    end = text.find("]", at + 1)  # a "]" first in the class is a literal
    if end < 0 or text[at : at + 1] in ("^", ""):
        return None, at
    body = text[at:end]
    if "\\" in body or "[" in body or not body.isascii():
        return None, at
    table = np.zeros(256, dtype=bool)
    index = 0
    while index < len(body):
        if index + 2 < len(body) and body[index + 1] == "-":
            low, high = ord(body[index]), ord(body[index + 2])
            if low > high:
                return None, at
            table[low : high + 1] = True
            index += 3
        else:
            table[ord(body[index])] = True
            index += 1
    return table, end + 1


def _count(text: str, at: int) -> tuple[int | None, int]:
    """An exact count `{n}` after an atom (1 when there is none); None for any other."""
    if at < len(text) and text[at] in "*+?":
        return None, at
    if at >= len(text) or text[at] != "{":
        return 1, at
    end = text.find("}", at)
    digits = text[at + 1 : end] if end > 0 else ""
    if not digits.isdigit() or not digits.isascii() or int(digits) > _MOST:
        return None, at
    return int(digits), end + 1


def _table(char: str) -> np.ndarray:
    table = np.zeros(256, dtype=bool)
    table[ord(char)] = True
    return table
