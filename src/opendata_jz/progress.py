"""A progress bar on stderr while a large file is read, only when stderr is a terminal."""

from __future__ import annotations

import sys
import time

#: Files smaller than this are read too quickly for a bar to help.
MIN_BYTES = 32 << 20
_WIDTH = 30


class Progress:
    """Draws `name [####......]  40%  96/240 MB` on stderr, at most ten times a second."""

    def __init__(self, name: str, total: int) -> None:
        self.name = name
        self.total = max(total, 1)
        self.shown = total >= MIN_BYTES and sys.stderr.isatty()
        self.last = 0.0

    def update(self, done: int) -> None:
        now = time.monotonic()
        if not self.shown or now - self.last < 0.1:
            return
        self.last = now
        share = min(done / self.total, 1.0)
        bar = "#" * round(share * _WIDTH)
        sys.stderr.write(
            f"\r{self.name} [{bar:<{_WIDTH}}] {share:4.0%}  {done >> 20}/{self.total >> 20} MB"
        )
        sys.stderr.flush()

    def close(self) -> None:
        if self.shown:
            sys.stderr.write("\r" + " " * (len(self.name) + _WIDTH + 24) + "\r")
            sys.stderr.flush()
