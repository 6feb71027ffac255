"""Arrow arrays to and from numpy, read and built from their buffers: `pa.array` on numpy
and `to_numpy` would import pandas, which the engine's path never loads."""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


def only(raw: pa.Array, keep: np.ndarray) -> pa.Array:
    """The strings where `keep` holds, null elsewhere, sharing `raw`'s buffers (no copy)."""
    if raw.null_count or raw.offset:
        return pc.if_else(bools(keep), raw, pa.nulls(1, pa.string())[0])
    if keep.all():
        return raw
    bitmap = pa.py_buffer(np.packbits(keep, bitorder="little"))
    buffers = raw.buffers()
    return pa.StringArray.from_buffers(len(raw), buffers[1], buffers[2], bitmap)


def fixed_width(raw: pa.Array, present: np.ndarray, width: int) -> tuple[np.ndarray, Any, Any]:
    """The present cells of exactly `width` bytes (a mask), which they are (a slice when
    all), and their bytes as the rows of a table."""
    _, offsets, data = raw.buffers()
    starts = np.frombuffer(offsets, np.int32)[raw.offset : raw.offset + len(raw) + 1]
    plain = present & (np.diff(starts) == width)
    text = np.frombuffer(data, np.uint8) if data is not None else np.zeros(0, np.uint8)
    if plain.all():
        # Every cell is `width` bytes: the text is a table as it is.
        return plain, slice(None), text[starts[0] : starts[-1]].reshape(-1, width)
    chosen = np.flatnonzero(plain)
    # Row i of the windows is the `width` bytes from text[i] (a view: nothing is copied
    # until the chosen rows are taken).
    windows = np.ndarray((max(len(text) - width + 1, 0), width), np.uint8, text, 0, (1, 1))
    return plain, chosen, windows[starts[chosen]]


def byte_lengths(raw: pa.Array) -> np.ndarray:
    """The length in bytes of every cell of a string column, from its offsets alone."""
    offsets = np.frombuffer(raw.buffers()[1], np.int32)[raw.offset : raw.offset + len(raw) + 1]
    lengths = np.diff(offsets)
    if raw.null_count:
        lengths[~numpy(raw.is_valid())] = -1  # no length at all
    return lengths


# Arrow values built from buffers: `pa.array` and `pa.scalar` on Python objects import pandas
# (about 0.2 s) only to ask whether the object is a pandas one.
_NUMPY_TYPES = {pa.int64(): np.int64, pa.int32(): np.int32, pa.float64(): np.float64}
_NUMPY_TYPES[pa.date32()] = np.int32
_EPOCH = date(1970, 1, 1)


def array(values: list, arrow_type: pa.DataType) -> pa.Array:
    """An Arrow array of Python values (str, int, float, date or bool; no None)."""
    if arrow_type not in _NUMPY_TYPES and not (
        pa.types.is_string(arrow_type) or pa.types.is_boolean(arrow_type)
    ):
        return pa.array(values, arrow_type)
    if pa.types.is_string(arrow_type):
        data = [str(v).encode("utf-8") for v in values]
        offsets = np.zeros(len(data) + 1, np.int32)
        np.cumsum([len(d) for d in data], out=offsets[1:])
        buffers = pa.py_buffer(offsets), pa.py_buffer(b"".join(data))
        return pa.StringArray.from_buffers(len(data), *buffers)
    if pa.types.is_boolean(arrow_type):
        return bools(np.array(values, dtype=bool))
    if pa.types.is_date32(arrow_type):
        values = [(v - _EPOCH).days for v in values]
    numbers = np.array(values, dtype=_NUMPY_TYPES[arrow_type])
    return pa.Array.from_buffers(arrow_type, len(numbers), [None, pa.py_buffer(numbers)])


def scalar(value: Any, arrow_type: pa.DataType) -> pa.Scalar:
    """An Arrow scalar of a Python value."""
    return array([value], arrow_type)[0]


def from_numpy(values: np.ndarray) -> pa.Array:
    """A numpy array of numbers as an Arrow array (`pa.array` on numpy imports pandas)."""
    values = np.ascontiguousarray(values)
    arrow_type = pa.from_numpy_dtype(values.dtype)
    return pa.Array.from_buffers(arrow_type, len(values), [None, pa.py_buffer(values)])


def bools(mask: np.ndarray) -> pa.BooleanArray:
    """A numpy mask as an Arrow boolean array."""
    bits = pa.py_buffer(np.packbits(mask, bitorder="little"))
    return pa.Array.from_buffers(pa.bool_(), len(mask), [None, bits])


def true_mask(holds: pa.Array) -> np.ndarray:
    """Where a boolean array is true (not false, not null)."""
    return numpy(holds)


def numpy(values: pa.Array) -> np.ndarray:
    """An Arrow array as numpy, read from its buffers (`to_numpy` imports pandas): booleans
    are true where true and not null; numbers must have no nulls."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    start, end = values.offset, values.offset + len(values)
    if pa.types.is_boolean(values.type):
        validity, data = values.buffers()
        bits = np.frombuffer(data, np.uint8) if data is not None else np.zeros(0, np.uint8)
        found = np.unpackbits(bits, count=end, bitorder="little")[start:].view(bool)
        if values.null_count:
            valid = np.unpackbits(np.frombuffer(validity, np.uint8), count=end, bitorder="little")
            found = found & valid[start:].view(bool)
        return found
    if values.null_count:
        raise ValueError("numbers with nulls")
    return np.frombuffer(values.buffers()[1], values.type.to_pandas_dtype())[start:end]


#: Scalars the casts use.
FALSE = bools(np.zeros(1, dtype=bool))[0]
ZERO = scalar(0.0, pa.float64())


def has_line_break(column: pa.Array, newline_only: bool = False) -> bool:
    """Whether any cell of a string column holds a line break (`\\n`, or `\\r` too), looked
    for in its data buffer at memory speed."""
    _, offsets, data = column.buffers()
    if data is None:
        return False
    ends = np.frombuffer(offsets, np.int32)[column.offset : column.offset + len(column) + 1]
    text = np.frombuffer(data, np.uint8)[ends[0] : ends[-1]]
    if not len(text) or text.min() > 13:  # one fast pass settles the common case
        return False
    return bool((text == 10).any() or (not newline_only and (text == 13).any()))
