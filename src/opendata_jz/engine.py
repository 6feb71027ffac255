"""The streaming engine: frictionless's row checks on a CSV resource, in Arrow batches.

The file is parsed once, in blocks, by Arrow's CSV reader in a thread of its own; every
batch is cast and checked column by column (`cells`), its key columns are kept for the key
checks at the end (`keys`), and it is handed to the next layer (the stricter cell rules)
before it is dropped, so memory stays bounded by the block size and the key columns. A
second thread reads the file beside the parser to hash it and count its physical lines.
Nothing on this path imports pandas.

The engine takes a resource only in the plain case: a local, uncompressed UTF-8 CSV with a
one-row header equal to the schema's field names and a standard dialect. Anything it cannot
judge exactly (ragged rows, a line count that does not add up, a number Arrow cannot hold)
raises `Unsupported`, and frictionless reads that resource instead.
"""

from __future__ import annotations

import contextlib
import hashlib
import mmap
import os
import queue
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv

from .arrays import has_line_break
from .cells import Checked, FieldCheck, Unsupported
from .keys import KeyCheck, Lookup
from .progress import Progress
from .report import Issue

__all__ = ["BatchConsumer", "Scan", "Unsupported", "ineligible", "scan"]

_BLOCK = 1 << 22
_AHEAD = 3  # batches parsed ahead of the checks
_DELIMITERS = {",", ";", "\t", "|"}
_DONTNEED = getattr(mmap, "MADV_DONTNEED", None)


class BatchConsumer(Protocol):
    """A later check layer fed from the engine's single read."""

    def feed(self, raw: pa.RecordBatch, checked: dict[str, Checked], lines: np.ndarray) -> None: ...


def ineligible(fresource: Any, resource: dict, path: Path | None) -> str | None:
    """Why the engine cannot read this opened frictionless resource, or None if it can."""
    from frictionless.resources import TableResource

    if not isinstance(fresource, TableResource) or path is None or not path.is_file():
        return "not a local table file"
    if fresource.format != "csv" or fresource.compression or fresource.innerpath:
        return f"format {fresource.format!r} or compression"
    if str(fresource.encoding).lower().replace("_", "-") not in ("utf-8", "utf-8-sig", "ascii"):
        return f"encoding {fresource.encoding}"
    if {"rows", "fields", "data", "innerpath"} & set(resource):
        return "declared row or field counts"
    digest = resource.get("hash")
    if isinstance(digest, str) and ":" in digest and digest.split(":")[0] not in ("sha256",):
        return "hash algorithm"
    dialect = fresource.dialect
    if dialect.header_rows != [1] or dialect.comment_char or dialect.comment_rows:
        return "header rows or comments"
    control = dialect.get_control("csv")
    if control is not None and (
        control.delimiter not in _DELIMITERS
        or control.quote_char != '"'
        or not control.double_quote
        or control.escape_char
        or control.skip_initial_space
    ):
        return "CSV dialect"
    names = [str(f.name) for f in fresource.schema.fields]
    if list(fresource.labels) != names or len(set(names)) != len(names):
        return "header differs from the schema"
    return None


class Scan:
    """The result of reading one resource: its issues and its key columns."""

    def __init__(self, issues: list[Issue], keys: KeyCheck, rows: int) -> None:
        self.issues = issues
        self.keys = keys
        self.rows = rows


def scan(
    fresource: Any,
    resource: dict,
    path: Path,
    control: Any,
    consumer: BatchConsumer | None = None,
    lookup: Callable[[KeyCheck], Lookup] | None = None,
    facts: FileFacts | None = None,
) -> Scan:
    """Read and check a resource in one pass; raises `Unsupported` to hand it back.

    `control` is the CSV dialect frictionless detected when it opened the header; `facts`
    the file's facts if they are being read already (see `FileFacts.ahead`).
    """
    shown = str(resource.get("path"))
    schema = fresource.schema
    keys = KeyCheck(schema, resource, shown)
    keyed = set(keys.names)
    fields = [FieldCheck(f, resource, shown, str(f.name) in keyed) for f in schema.fields]
    delimiter = control.delimiter if control is not None else ","
    source = facts if facts is not None else FileFacts(path, resource.get("hash"))
    names = [f.name for f in fields]
    ragged = _Ragged()
    paced = _Paced(path)
    reader = pcsv.open_csv(
        paced.source,
        # One parsing thread beside the checks, which are the slower of the two: Arrow's
        # own pool would only compete with them for the cores.
        read_options=pcsv.ReadOptions(use_threads=False, block_size=_BLOCK),
        parse_options=pcsv.ParseOptions(
            delimiter=delimiter,
            newlines_in_values=True,
            ignore_empty_lines=False,
            invalid_row_handler=ragged,
        ),
        convert_options=pcsv.ConvertOptions(
            column_types={name: pa.string() for name in names},
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )
    if reader.schema.names != names:
        raise Unsupported("Arrow reads a different header")
    issues: list[Issue] = []
    next_line = 2
    rows = 0
    parsed = 0
    progress = Progress(shown, os.path.getsize(path))
    if source.ident is None:  # not started ahead
        source.start()  # hashes and counts lines beside the parse, mostly outside the GIL
    try:
        for batch in _batches(reader, paced):
            if ragged.seen:
                raise Unsupported("a row has a missing or extra cell")
            spans = _line_spans(batch)
            lines = next_line + np.cumsum(spans) - spans
            next_line += int(spans.sum())
            rows += batch.num_rows
            missing = [field.missing(batch.column(i)) for i, field in enumerate(fields)]
            blank = np.ones(batch.num_rows, dtype=bool)
            for mask in missing:
                blank &= mask
            checked = {}
            for index, field in enumerate(fields):
                result, found = field.check(batch.column(index), lines, blank, missing[index])
                checked[field.name] = result
                issues.extend(found)
            for index in np.flatnonzero(blank):
                issues.append(_blank_row(resource, shown, int(lines[index])))
            keys.add({n: c.values for n, c in checked.items()}, batch, lines, blank)
            if consumer is not None:
                consumer.feed(batch, checked, lines)
            parsed += _text_bytes(batch)
            progress.update(parsed)
    finally:
        paced.close()
        progress.close()
        source.join()
    source.raise_failure()
    if ragged.seen:
        raise Unsupported("a row has a missing or extra cell")
    if source.lines != next_line - 1:
        raise Unsupported("line count differs from what Arrow read (blank lines or quoting)")
    issues.extend(source.file_issues(resource, shown))
    issues.extend(keys.finish(lookup(keys) if lookup else lambda key: None))
    return Scan(issues, keys, rows)


def _batches(reader: Any, paced: _Paced):
    """The reader's batches, parsed in a thread of their own a few batches ahead, so that
    parsing (which lets go of the GIL) runs while the previous batches are checked."""
    ahead: queue.Queue = queue.Queue(maxsize=_AHEAD)
    stop = threading.Event()

    def produce() -> None:
        try:
            for batch in reader:
                ahead.put(batch)
                if stop.is_set():
                    return
            ahead.put(None)
        except BaseException as error:  # raised again in the reading thread
            ahead.put(error)

    thread = threading.Thread(target=produce, name="opendata-jz parser", daemon=True)
    thread.start()
    try:
        while (item := ahead.get()) is not None:
            if isinstance(item, pa.ArrowInvalid):
                raise Unsupported(f"Arrow cannot parse the file: {item}") from None
            if isinstance(item, BaseException):
                raise item
            paced.advance(_BLOCK)
            yield item
    finally:
        stop.set()
        while thread.is_alive():  # let a blocked producer finish its last put
            with contextlib.suppress(queue.Empty):
                ahead.get(timeout=0.05)


class _Paced:
    """The data file mapped read-only into memory for Arrow's reader, which slices blocks
    out of the mapping without copying. Arrow reads far ahead of the checks; to keep memory
    bounded, the pages two blocks or more behind the batches already handed on are let go
    (a file-backed page let go is read again from the file if it is ever touched, so this
    costs memory nothing and correctness nothing). Each batch comes from one block."""

    def __init__(self, path: Path) -> None:
        self.mapping = None
        with open(path, "rb") as handle:
            if os.fstat(handle.fileno()).st_size:
                self.mapping = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        self.source: Any = str(path)
        if self.mapping is not None:
            self.source = pa.BufferReader(pa.py_buffer(self.mapping))
        self.handed = 0
        self.dropped = 0

    def advance(self, size: int) -> None:
        self.handed += size
        behind = (self.handed - 2 * size) // mmap.PAGESIZE * mmap.PAGESIZE
        if self.mapping is not None and behind > self.dropped and _DONTNEED is not None:
            self.mapping.madvise(_DONTNEED, self.dropped, behind - self.dropped)
            self.dropped = behind

    def close(self) -> None:
        self.source = None
        if self.mapping is not None:
            with contextlib.suppress(BufferError):  # still shared with a live Arrow buffer
                self.mapping.close()


class _Ragged:
    """Notes rows with a missing or extra cell: those are frictionless's to describe."""

    def __init__(self) -> None:
        self.seen = 0

    def __call__(self, row: Any) -> str:
        self.seen += 1
        return "skip"


def _line_spans(batch: pa.RecordBatch) -> np.ndarray:
    """Physical lines each record spans: one, plus the line breaks inside its cells."""
    spans = np.ones(batch.num_rows, dtype=np.int64)
    for column in batch.columns:
        if has_line_break(column):  # rare: the common case is settled at memory speed
            spans += _line_breaks(column)
    return spans


def _line_breaks(column: pa.Array) -> np.ndarray:
    """Line breaks (`\\n`, `\\r\\n` or a lone `\\r`) in each cell of a string column: found
    as byte positions in its data buffer, then put in their cells by the offsets."""
    _, offsets, data = column.buffers()
    ends = np.frombuffer(offsets, np.int32)[column.offset : column.offset + len(column) + 1]
    text = np.frombuffer(data, np.uint8)[ends[0] : ends[-1]]
    newlines = np.flatnonzero(text == 10)
    returns = np.flatnonzero(text == 13)
    if len(returns):
        # A return counts unless a newline follows it in the same cell (CRLF is one break).
        follows = returns + 1 < len(text)
        follows[follows] = text[returns[follows] + 1] == 10
        cell = np.searchsorted(ends, returns + ends[0], side="right")
        same_cell = np.searchsorted(ends, returns + 1 + ends[0], side="right") == cell
        returns = returns[~(follows & same_cell)]
    at = np.concatenate([newlines, returns]) + ends[0]
    cells = np.searchsorted(ends, at, side="right") - 1
    return np.bincount(cells, minlength=len(column))


def _blank_row(resource: dict, path: str, line: int) -> Issue:
    from .frictionless_checks import describe

    message = describe({"type": "blank-row"}, resource, None)
    return Issue(resource.get("name"), path, line, None, "blank-row", message)


def _text_bytes(batch: pa.RecordBatch) -> int:
    """About the bytes a batch took in the file: its text, delimiters and line breaks."""
    total = batch.num_rows * batch.num_columns
    for column in batch.columns:
        offsets = column.buffers()[1]
        if offsets is not None and len(column):
            ends = np.frombuffer(offsets, np.int32)[[column.offset, column.offset + len(column)]]
            total += int(ends[1] - ends[0])
    return total


class FileFacts(threading.Thread):
    """Reads the data file beside the parser: counts its bytes and physical lines and, if
    the descriptor declares a hash, hashes it. numpy and hashlib let go of the GIL."""

    _CHUNK = 1 << 20
    #: Files from this size have their facts read while frictionless is being loaded.
    AHEAD_FROM = 16 << 20

    @classmethod
    def ahead(cls, package: Any) -> dict[str, FileFacts]:
        """Start reading the facts of the package's large local CSV files now, by resource
        name: the start-up that follows (loading frictionless, opening the package) keeps
        one core busy and leaves the other to this."""
        started = {}
        for resource in package.resources:
            path = package.local_path(resource)
            if path is None or not str(path).lower().endswith(".csv") or not path.is_file():
                continue
            if path.stat().st_size >= cls.AHEAD_FROM:
                facts = cls(path, resource.get("hash"))
                facts.start()
                started[str(resource.get("name"))] = facts
        return started

    def __init__(self, path: Path, declared: Any) -> None:
        super().__init__(name="opendata-jz file facts", daemon=True)
        self.path = path
        self.declared = declared if isinstance(declared, str) else None
        algorithm = "md5"
        if self.declared and ":" in self.declared:
            algorithm = self.declared.split(":", 1)[0]
        self.digest = hashlib.new(algorithm) if self.declared else None
        self.read_bytes = 0
        self.breaks = 0
        self.last = b""
        self.failure: BaseException | None = None

    def run(self) -> None:
        try:
            self._read()
        except BaseException as error:  # raised again in the reading thread
            self.failure = error

    def raise_failure(self) -> None:
        if self.failure is not None:
            raise self.failure

    def _read(self) -> None:
        buffer = bytearray(self._CHUNK)
        view = memoryview(buffer)
        with open(self.path, "rb", buffering=0) as handle:
            while count := handle.readinto(buffer):
                if self.digest is not None:
                    self.digest.update(view[:count])
                text = np.frombuffer(buffer, np.uint8, count)
                returns = text == 13
                breaks = np.count_nonzero(text == 10)
                if returns.any():
                    crlf = np.count_nonzero(returns[:-1] & (text[1:] == 10))
                    breaks += np.count_nonzero(returns) - crlf
                if self.last == b"\r" and text[0] == 10:
                    breaks -= 1  # a CRLF split between two reads
                self.breaks += int(breaks)
                self.last = bytes(view[count - 1 : count])
                self.read_bytes += count

    @property
    def lines(self) -> int:
        """Physical lines as Python's csv module counts them."""
        return self.breaks + (1 if self.last not in (b"\n", b"\r", b"") else 0)

    def file_issues(self, resource: dict, path: str) -> list[Issue]:
        """hash-count and byte-count issues, as frictionless words them."""
        from .frictionless_checks import describe

        issues = []
        name = resource.get("name")
        if self.digest is not None and self.declared:
            expected = self.declared.split(":", 1)[-1].lower()
            actual = self.digest.hexdigest()
            if actual != expected:
                note = f'expected is "{expected}" and actual is "{actual}"'
                message = describe({"type": "hash-count", "note": note}, resource, None)
                issues.append(Issue(name, path, None, None, "hash-count", message))
        declared_bytes = resource.get("bytes")
        if isinstance(declared_bytes, int) and declared_bytes and declared_bytes != self.read_bytes:
            note = f'expected is "{declared_bytes}" and actual is "{self.read_bytes}"'
            message = describe({"type": "byte-count", "note": note}, resource, None)
            issues.append(Issue(name, path, None, None, "byte-count", message))
        return issues
