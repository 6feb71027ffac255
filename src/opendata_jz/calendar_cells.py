"""Dates and datetimes in their plain forms (`YYYY-MM-DD`, `YYYY-MM-DDTHH:MM:SS`), read
straight from an Arrow column's text buffer with numpy and counted to days arithmetically."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

from .arrays import fixed_width

_DIGITS = [0, 1, 2, 3, 5, 6, 8, 9]  # of YYYY-MM-DD
_MONTH_DAYS = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], np.int32)
_DAYS_BEFORE_MONTH = np.concatenate([[0], np.cumsum(_MONTH_DAYS)[:-1]]).astype(np.int32)
_LEAP_DAYS_BEFORE_1970 = 1969 // 4 - 1969 // 100 + 1969 // 400


def plain_dates(raw: pa.Array, present: np.ndarray) -> tuple[np.ndarray, pa.Array]:
    """`_PLAIN["date"]` and the cast of a batch of dates, read from the fixed-width text
    with numpy: the cells in the plain form, and their dates (null elsewhere and where the
    day does not exist in its month, such as 2023-02-30)."""
    plain, chosen, chars = fixed_width(raw, present, 10)
    ok, exists, days = _calendar_days(chars)
    plain[chosen] = ok
    return plain, _from_numbers(pa.date32(), len(raw), chosen, days, exists, np.int32)


def plain_datetimes(raw: pa.Array, present: np.ndarray) -> tuple[np.ndarray, pa.Array]:
    """The same for datetimes in the plain form `YYYY-MM-DDTHH:MM:SS` (no zone, no
    fraction, hours to 23), as seconds since 1970 (null where the day does not exist)."""
    plain, chosen, chars = fixed_width(raw, present, 19)
    ok, exists, days = _calendar_days(chars)
    ok &= (chars[:, 10] == ord("T")) & (chars[:, 13] == ord(":")) & (chars[:, 16] == ord(":"))
    clock = chars[:, [11, 12, 14, 15, 17, 18]] - np.uint8(48)
    ok &= (clock <= 9).all(axis=1)
    clock = clock.astype(np.int64)
    hour, minute = clock[:, 0] * 10 + clock[:, 1], clock[:, 2] * 10 + clock[:, 3]
    second = clock[:, 4] * 10 + clock[:, 5]
    ok &= (hour <= 23) & (minute <= 59) & (second <= 59)
    plain[chosen] = ok
    seconds = days.astype(np.int64) * 86400 + hour * 3600 + minute * 60 + second
    stamps = pa.timestamp("s")
    return plain, _from_numbers(stamps, len(raw), chosen, seconds, exists & ok, np.int64)


def _calendar_days(chars: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For rows starting `YYYY-MM-DD` (years from 1000): which are in that form, which of
    those days exist, and the days since 1970-01-01."""
    digits = chars[:, _DIGITS] - np.uint8(48)  # a byte that is no digit wraps past 9
    ok = (digits <= 9).all(axis=1) & (digits[:, 0] > 0)
    ok &= (chars[:, 4] == 45) & (chars[:, 7] == 45)  # "-"
    digits = digits.astype(np.int32)
    year = digits[:, 0] * 1000 + digits[:, 1] * 100 + digits[:, 2] * 10 + digits[:, 3]
    month = digits[:, 4] * 10 + digits[:, 5]
    day = digits[:, 6] * 10 + digits[:, 7]
    ok &= (month >= 1) & (month <= 12) & (day >= 1) & (day <= 31)
    month = np.clip(month, 1, 12)
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    exists = ok & (day <= _MONTH_DAYS[month - 1] + (leap & (month == 2)))
    before = year - 1
    leap_days = before // 4 - before // 100 + before // 400 - _LEAP_DAYS_BEFORE_1970
    since_1970 = 365 * (year - 1970) + leap_days + _DAYS_BEFORE_MONTH[month - 1]
    return ok, exists, since_1970 + (leap & (month > 2)) + day - 1


def _from_numbers(
    arrow_type: pa.DataType, length: int, chosen: Any, numbers: np.ndarray, valid: np.ndarray, dtype
) -> pa.Array:
    """An Arrow array of `length`, holding `numbers` at the `chosen` rows where `valid`."""
    values = np.zeros(length, dtype)
    values[chosen] = numbers
    mask = np.zeros(length, dtype=bool)
    mask[chosen] = valid
    bitmap = pa.py_buffer(np.packbits(mask, bitorder="little"))
    return pa.Array.from_buffers(arrow_type, length, [bitmap, pa.py_buffer(values)])
