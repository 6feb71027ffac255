"""A progress bar on stderr while a large file is read, only when stderr is a terminal."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any

#: Files smaller than this are read too quickly for a bar to help.
MIN_BYTES = 32 << 20
_WIDTH = 30
#: Rows between two looks at the clock, when frictionless reads row by row.
_ROWS_PER_LOOK = 1024


class Progress:
    """Draws `name [####......]  40%  96/240 MB` on stderr, at most ten times a second; in
    rows (`40%  400,000/1,000,000 rows`) when `rows` is set."""

    def __init__(self, name: str, total: int, rows: bool = False, large: bool = False) -> None:
        self.name = name
        self.total = max(total, 1)
        self.rows = rows
        self.shown = (large or total >= MIN_BYTES) and sys.stderr.isatty()
        self.last = 0.0

    def update(self, done: int) -> None:
        now = time.monotonic()
        if not self.shown or now - self.last < 0.1:
            return
        self.last = now
        share = min(done / self.total, 1.0)
        bar = "#" * round(share * _WIDTH)
        if self.rows:
            amount = f"{min(done, self.total):,}/{self.total:,} rows"
        else:
            amount = f"{done >> 20}/{self.total >> 20} MB"
        sys.stderr.write(f"\r{self.name} [{bar:<{_WIDTH}}] {share:4.0%}  {amount}")
        sys.stderr.flush()

    def close(self) -> None:
        if self.shown:
            sys.stderr.write("\r" + " " * (len(self.name) + _WIDTH + 40) + "\r")
            sys.stderr.flush()


def row_progress(
    name: str, rows: int | None, size: int
) -> tuple[Callable[[Any], None] | None, Progress]:
    """A callback for frictionless's `on_row` that draws a bar over the `rows` of a file of
    `size` bytes when it is large, and the bar to close; no callback when no bar is drawn
    (nor when the rows are not known)."""
    if rows is None or size < MIN_BYTES or not sys.stderr.isatty():
        return None, Progress(name, 0)
    progress = Progress(name, max(rows, 1), rows=True, large=True)
    read = 0

    def on_row(_: Any) -> None:
        nonlocal read
        read += 1
        if read % _ROWS_PER_LOOK == 0:
            progress.update(read)

    return on_row, progress
