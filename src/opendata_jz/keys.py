"""Unique, primary and foreign keys across a whole resource read in batches.

Only the key columns are kept (cast values, cell text and line), so memory grows with the
keys, not with the file. Semantics are frictionless's: cast values are compared (so `1.0`
repeats `1`), empty and invalid cells take no part, every later occurrence of a value is an
error that names the previous one, and a foreign key is checked only when one of its cells
holds a value.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .arrays import from_numpy, numpy, scalar, true_mask
from .cells import ARROW_TYPES, Unsupported
from .frictionless_checks import describe
from .report import Issue

#: Values a foreign key may point to: an Arrow array (one field) or a set of tuples.
Lookup = Callable[[dict], Any]
#: Sorted key values are compared this many at a time.
_SLICE = 1 << 16
#: From this many values, texts are told apart by their fingerprints first.
_FINGERPRINT_FROM = 1 << 12
#: Mixes the parts of a fingerprint (odd, so multiplying by it loses nothing).
_MIX = (np.uint64(0x9E3779B97F4A7C15), np.uint64(0xC2B2AE3D27D4EB4F), np.uint64(0x165667B19E3779F9))


class KeyCheck:
    """Collects key columns batch by batch; `finish` returns the key issues."""

    def __init__(self, schema: Any, resource: dict, path: str) -> None:
        self.resource = resource
        self.path = path
        self.kinds = {str(f.name): str(f.type) for f in schema.fields}
        self.unique = [str(f.name) for f in schema.fields if f.constraints.get("unique")]
        self.primary = [str(name) for name in schema.primary_key]
        self.foreign = [dict(fk) for fk in schema.foreign_keys]
        names = set(self.unique) | set(self.primary)
        names |= {str(n) for fk in self.foreign for n in fk["fields"]}
        own = resource.get("name")
        for fk in self.foreign:
            if fk["reference"].get("resource") in ("", None, own):
                names |= {str(n) for n in fk["reference"]["fields"]}
        for name in names:
            if self.kinds.get(name) not in ARROW_TYPES:
                raise Unsupported(f"key field {name!r} has a type the engine does not key on")
        self.names = sorted(names)
        self.values: dict[str, list[pa.Array]] = {n: [] for n in self.names}
        self.cells: dict[str, list[pa.Array]] = {n: [] for n in self.names}
        self.lines: list[np.ndarray] = []
        self.blank: list[np.ndarray] = []

    def add(self, values: dict[str, pa.Array], raw: pa.RecordBatch, lines, blank) -> None:
        if not self.names:
            return
        for name in self.names:
            # Copies, so that the batch's other columns are not kept alive with the keys.
            self.values[name].append(pa.concat_arrays([values[name]]))
            if self.kinds[name] != "string":  # a text key's cell is its value
                self.cells[name].append(pa.concat_arrays([raw.column(name)]))
        self.lines.append(lines)
        self.blank.append(blank)

    def finish(self, lookup: Lookup) -> list[Issue]:
        if not self.names:
            return []
        # Each column stays in its batches' pieces (chunks): joining them would copy it.
        values, cells = {}, {}
        for n in self.names:
            values[n] = _joined(self.values, n, ARROW_TYPES[self.kinds[n]])
            cells[n] = _joined(self.cells, n, pa.string()) if self.cells[n] else values[n]
        self.lines = [lines := np.concatenate(self.lines)]
        self.blank = [blank := np.concatenate(self.blank)]
        issues = []
        self._unique_repeats: list = []
        for name in self.unique:
            repeats = list(_repeats([values[name]], lines))
            if self.primary == [name]:
                self._unique_repeats = repeats
            for line, previous, index in repeats:
                note = f"the same as in the row at position {previous}"
                error = {"type": "unique-error", "cell": cells[name][index].as_py(), "note": note}
                issues.append(self._issue(line, name, error))
        if self.primary:
            issues += self._primary(values, lines, blank)
        for key in self.foreign:
            issues += self._foreign(key, values, cells, lines, lookup(key))
        return issues

    def _primary(self, values: dict, lines: np.ndarray, blank: np.ndarray) -> list[Issue]:
        first = self.primary[0]
        columns = [values[n] for n in self.primary]
        empty = np.ones(len(lines), dtype=bool)
        for column in columns:
            empty &= numpy(column.is_null())
        issues = []
        for index in np.flatnonzero(empty & ~blank):
            note = 'cells composing the primary keys are all "None"'
            issues.append(self._issue(lines[index], first, {"type": "primary-key", "note": note}))
        single = len(self.primary) == 1 and first in self.unique
        # A one-field key that is also unique repeats where the unique check found repeats.
        repeats = self._unique_repeats if single else _repeats(columns, lines, partial=True)
        for line, previous, _ in repeats:
            note = f"the same as in the row at position {previous}"
            issues.append(self._issue(line, first, {"type": "primary-key", "note": note}))
        return issues

    def _foreign(self, key, values, cells, lines, allowed) -> list[Issue]:
        fields = [str(n) for n in key["fields"]]
        reference = key["reference"]
        columns = [values[n] for n in fields]
        present = np.zeros(len(lines), dtype=bool)
        for column in columns:
            present |= numpy(column.is_valid())
        if isinstance(allowed, pa.Array) and allowed.type != columns[0].type:
            numeric = pa.types.is_integer, pa.types.is_floating
            if any(f(allowed.type) for f in numeric) and any(f(columns[0].type) for f in numeric):
                allowed, columns[0] = allowed.cast(pa.float64()), columns[0].cast(pa.float64())
            else:
                allowed = {(value,) for value in allowed.to_pylist()}
        if isinstance(allowed, pa.Array):
            found = true_mask(pc.is_in(columns[0], value_set=allowed))
            bad = present & ~found
        else:
            rows = zip(*(c.to_pylist() for c in columns), strict=True)
            bad = present & np.fromiter((row not in allowed for row in rows), bool, len(lines))
        issues = []
        for index in np.flatnonzero(bad):
            error = {
                "type": "foreign-key",
                "fieldCells": [cells[n][int(index)].as_py() for n in fields],
                "referenceName": reference.get("resource") or self.resource.get("name"),
                "referenceFieldNames": list(reference["fields"]),
            }
            issues.append(self._issue(lines[index], fields[0], error))
        return issues

    def _issue(self, line: Any, field: str, error: dict) -> Issue:
        message = describe({**error, "fieldName": field}, self.resource, None)
        name = self.resource.get("name")
        return Issue(name, self.path, int(line), field, error["type"], message)

    def key_values(self, fields: list[str]) -> Any:
        """What this resource offers as the target of a foreign key on `fields`."""
        columns = [_joined(self.values, n, ARROW_TYPES[self.kinds[n]]) for n in fields]
        return offered(columns)


def _joined(pieces: dict[str, list], name: str, kind: pa.DataType) -> pa.ChunkedArray:
    """The pieces of a column as one chunked array (nothing copied), which then stands in
    for them."""
    if len(pieces[name]) == 1 and isinstance(pieces[name][0], pa.ChunkedArray):
        return pieces[name][0]
    column = pa.chunked_array(pieces[name], type=kind)
    pieces[name] = [column]
    return column


def offered(columns: list[pa.Array]) -> Any:
    """Foreign-key targets: one field as an Arrow array, several as a set of tuples; rows
    whose cells are all empty offer nothing."""
    if len(columns) == 1:
        return pc.unique(columns[0].drop_null())
    rows = zip(*(c.to_pylist() for c in columns), strict=True)
    return {row for row in rows if any(v is not None for v in row)}


def _repeats(columns: list[pa.Array], lines: np.ndarray, partial: bool = False):
    """(line, previous line, index) of every repeated value, in file order.

    With `partial`, rows where only some cells are empty still count (a primary key); else
    rows with an empty cell are left out (a unique field).
    """
    if len(columns) == 1:
        # One column: rows with an empty cell are left out either way.
        column = columns[0]
        if pa.types.is_string(column.type) and len(column) >= _FINGERPRINT_FROM:
            yield from _repeats_of_text(column, lines)
        else:
            yield from _repeats_by_sorting(column, lines)
        return
    codes = []
    for column in columns:
        if isinstance(column, pa.ChunkedArray):
            column = column.combine_chunks()
        encoded = pc.dictionary_encode(column, null_encoding="encode" if partial else "mask")
        empty = scalar(-1, encoded.indices.type)
        indices = pc.fill_null(encoded.indices, empty)  # an empty cell of a unique field
        codes.append(numpy(indices).astype(np.int64))
    combined = codes[0]
    for step, extra in enumerate(codes[1:], start=2):
        combined = combined * (int(extra.max(initial=0)) + 2) + extra + 1
        if step < len(codes):
            # Renumber densely (codes below the row count) so that the next product stays
            # far inside int64: three columns of millions of values would overflow it.
            combined = np.unique(combined, return_inverse=True)[1].astype(np.int64)
    if partial:
        empty = np.ones(len(lines), dtype=bool)
        for column in columns:
            empty &= numpy(column.is_null())
        combined = np.where(empty, -1, combined)
    _, inverse, counts = np.unique(combined, return_inverse=True, return_counts=True)
    repeated = (counts[inverse] > 1) & (combined >= 0)
    previous: dict[int, int] = {}
    for index in np.flatnonzero(repeated):
        key = int(combined[index])
        if key in previous:
            yield int(lines[index]), previous[key], int(index)
        previous[key] = int(lines[index])


def _repeats_of_text(column: pa.Array | pa.ChunkedArray, lines: np.ndarray):
    """`_repeats` of a text column without sorting the texts: each value's fingerprint (a
    number made of its length and its first and last eight bytes) is sorted instead, which
    is several times faster, and only the values whose fingerprint repeats (equal values,
    and the rare different ones that share a fingerprint) are compared as texts."""
    chunks = column.chunks if isinstance(column, pa.ChunkedArray) else [column]
    kept = np.flatnonzero(numpy(column.is_valid()))
    every = [_fingerprints(chunk) for chunk in chunks]
    prints = (np.concatenate(every) if every else np.zeros(0, np.uint32))[kept]
    ordered = np.sort(prints)
    shared = ordered[1:][ordered[1:] == ordered[:-1]]
    if not len(shared):
        return
    distinct = shared[np.concatenate(([True], shared[1:] != shared[:-1]))]  # it is sorted
    shares = pc.is_in(from_numpy(prints), value_set=from_numpy(distinct))
    suspects = kept[true_mask(shares)]
    found = _repeats_by_sorting(column.take(from_numpy(suspects)), lines[suspects])
    for line, previous, index in found:
        yield line, previous, int(suspects[index])


def _fingerprints(column: pa.Array) -> np.ndarray:
    """A number for each text that depends on nothing but the text (its byte length and its
    first and last eight bytes), read straight from the text buffer, a slice at a time."""
    _, offsets, data = column.buffers()
    ends = np.frombuffer(offsets, np.int32)[column.offset : column.offset + len(column) + 1]
    text = np.frombuffer(data, np.uint8) if data is not None else np.zeros(0, np.uint8)
    # Eight zero bytes on each side, so that every eight-byte window below is in bounds.
    padded = np.zeros(int(ends[-1]) + 16, np.uint8)
    padded[8 : 8 + int(ends[-1])] = text[: ends[-1]]
    # Window i is the eight bytes from padded[i] as one little-endian number (no copy).
    windows = np.ndarray((len(padded) - 7,), np.dtype("<u8"), padded, 0, (1,))
    prints = np.empty(len(column), np.uint32)  # sorts faster than 64 bits; shared ones are rare
    for start in range(0, len(column), _SLICE):
        stop = min(start + _SLICE, len(column))
        first, after = ends[start:stop], ends[start + 1 : stop + 1]
        length = (after - first).astype(np.uint64)
        short = length < 8
        head = windows[first + 8]  # the first eight bytes, and what follows a short text
        head[short] &= (np.uint64(1) << (length[short] * np.uint64(8))) - np.uint64(1)
        tail = windows[after]  # the last eight bytes
        tail[short] = 0
        mixed = (head * _MIX[0]) ^ (tail * _MIX[1]) ^ (length * _MIX[2])
        prints[start:stop] = mixed >> np.uint64(32)  # the best-mixed half
    return prints


def _repeats_by_sorting(column: pa.Array | pa.ChunkedArray, lines: np.ndarray):
    """`_repeats` of one column: sorting puts each value's occurrences next to each other,
    and within each run of equal values every occurrence after the first (in file order)
    repeats the one before it. Sorted values are compared a slice at a time, so the column
    is never copied whole."""
    present = len(column) - column.null_count
    if present < 2:
        return
    order = pc.sort_indices(column)  # empty cells go last
    same = np.zeros(present - 1, dtype=bool)
    before = None
    for start in range(0, present, _SLICE):
        part = column.take(order.slice(start, min(_SLICE, present - start)))
        if before is not None:
            same[start - 1] = part[0] == before
        if len(part) > 1:
            same[start : start + len(part) - 1] = numpy(pc.equal(part.slice(1), part[:-1]))
        before = part[-1]
    if not same.any():
        return
    order = numpy(order)[:present]
    repeated = np.zeros(present, dtype=bool)
    repeated[1:] |= same
    repeated[:-1] |= same
    chosen = np.flatnonzero(repeated)
    first = np.ones(present, dtype=bool)
    first[1:] = ~same
    runs = np.cumsum(first[chosen])  # which run of equal values each chosen row is in
    indices = order[chosen]
    arranged = np.lexsort((indices, runs))  # by run, then in file order
    indices, runs = indices[arranged], runs[arranged]
    later = np.flatnonzero(runs[1:] == runs[:-1]) + 1
    repeats, previous = indices[later], indices[later - 1]
    for at in np.argsort(repeats, kind="stable"):
        index = int(repeats[at])
        yield int(lines[index]), int(lines[previous[at]]), index
