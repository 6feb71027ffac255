"""The engine's parts: repeated keys found by fingerprints, line breaks per cell, the order
resources are read in, and the progress bar."""

from __future__ import annotations

import json
import random
import sys

import numpy as np
import pyarrow as pa

from opendata_jz.keys import _fingerprints, _repeats_by_sorting, _repeats_of_text


def _column(values: list[str | None]) -> pa.Array:
    # Sliced, so that the offsets do not start at zero, as in a batch of a larger read.
    return pa.array(["offset", *values], pa.string()).slice(1)


def test_fingerprints_depend_only_on_the_text() -> None:
    texts = ["", "a", "abcdefg", "abcdefgh", "abcdefghi", "錦州市質量", "jz-std-0000001", "x" * 40]
    first = _fingerprints(_column(texts))
    again = _fingerprints(_column(list(reversed(texts))))
    assert list(first) == list(reversed(again))


def test_texts_sharing_a_fingerprint_are_not_repeats() -> None:
    """Long texts with the same length, first and last eight bytes share a fingerprint but
    differ in the middle: only the true repeats are reported, at their lines."""
    middle = [f"{i:06d}" for i in range(5000)]
    values = [f"prefix--{m}--suffix" for m in middle] + ["prefix--000007--suffix", None, ""]
    column = _column(values)
    assert len(set(_fingerprints(column).tolist())) == 2  # one shared by all long texts, ""
    lines = np.arange(len(values)) + 2
    found = list(_repeats_of_text(column, lines))
    assert found == [(5002, 9, 5000)]
    assert found == list(_repeats_by_sorting(column, lines))


def test_repeats_of_text_match_sorting_on_random_texts() -> None:
    rng = random.Random(20261128)
    stems = ["", "a", "ab", "abcdefgh", "abcdefghi", "標準化", "jz-std-00000", "y" * 30]
    values = [
        None if rng.random() < 0.05 else rng.choice(stems) + str(rng.randrange(3000))
        for _ in range(20_000)
    ]
    column = _column(values)
    lines = np.arange(len(values)) * 2 + 2  # as if every record spanned two lines
    expected = list(_repeats_by_sorting(column, lines))
    assert expected, "the sample should repeat some values"
    assert list(_repeats_of_text(column, lines)) == expected
    # Kept as the engine keeps them: in the pieces of the batches they were read in.
    pieces = pa.chunked_array([column.slice(i, 777) for i in range(0, len(values), 777)])
    assert list(_repeats_of_text(pieces, lines)) == expected
    assert list(_repeats_by_sorting(pieces, lines)) == expected


def test_a_foreign_key_target_is_read_once_by_the_engine(tmp_path, monkeypatch) -> None:
    """A resource listed before the one its foreign key points to: the engine reads the
    target first and checks the key against it, rather than reading it again through
    frictionless."""
    from opendata_jz import validate
    from opendata_jz.rows import EngineRun

    (tmp_path / "facts.csv").write_text("id,source\n1,a\n2,b\n3,z\n", encoding="utf-8")
    (tmp_path / "sources.csv").write_text("source\na\nb\n", encoding="utf-8")
    facts = {
        "fields": [{"name": "id", "type": "integer"}, {"name": "source", "type": "string"}],
        "foreignKeys": [
            {"fields": ["source"], "reference": {"resource": "sources", "fields": ["source"]}}
        ],
    }
    sources = {"fields": [{"name": "source", "type": "string"}], "primaryKey": ["source"]}
    descriptor = {
        "name": "ordered",
        "resources": [
            {"name": "facts", "path": "facts.csv", "schema": facts},
            {"name": "sources", "path": "sources.csv", "schema": sources},
        ],
    }
    (tmp_path / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")

    def read_again(*_: object) -> None:
        raise AssertionError("the target was read again through frictionless")

    monkeypatch.setattr(EngineRun, "_read_with_frictionless", read_again)
    report = validate(tmp_path / "datapackage.json")
    assert [(i.line, i.field, i.code) for i in report.issues] == [(4, "source", "foreign-key")]


def test_line_breaks_per_cell_count_crlf_once_and_stay_in_their_cell() -> None:
    """A cell's line breaks as Python's str.splitlines counts `\\n`, `\\r\\n` and `\\r`; a `\\r`
    ending one cell and a `\\n` starting the next are two breaks, one in each."""
    from opendata_jz.engine import _line_breaks

    cells = ["a\r\nb", "a\rb", "\r", "\n", "x\r", "\ny", "", "plain", "\r\n\r\n", "\n\r", "錦\n州"]
    column = _column(cells * 3)
    expected = [len(c.replace("\r\n", "\n").replace("\r", "\n").split("\n")) - 1 for c in cells]
    assert list(_line_breaks(column)) == expected * 3


def test_a_progress_bar_is_drawn_on_a_terminal_while_the_engine_reads(
    tmp_path, monkeypatch, capsys
) -> None:
    """On a terminal, reading a large resource draws a bar on stderr and clears it after;
    off a terminal nothing is drawn."""
    from opendata_jz import progress, validate

    rows = "".join(f"{i},{'x' * 40}\n" for i in range(5000))
    (tmp_path / "t.csv").write_text("id,t\n" + rows, encoding="utf-8")
    fields = [{"name": "id", "type": "integer"}, {"name": "t", "type": "string"}]
    descriptor = {
        "name": "p",
        "resources": [{"name": "t", "path": "t.csv", "schema": {"fields": fields}}],
    }
    import json

    (tmp_path / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    monkeypatch.setattr(progress, "MIN_BYTES", 1)
    assert validate(tmp_path).valid
    assert capsys.readouterr().err == ""
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    assert validate(tmp_path).valid
    drawn = capsys.readouterr().err
    assert "t.csv [" in drawn and "%" in drawn and drawn.endswith("\r")


def test_a_progress_bar_in_rows_while_frictionless_reads_a_resource(
    tmp_path, monkeypatch, capsys
) -> None:
    """A resource handed back to frictionless (a ragged row) gets a bar too, counted in
    rows, drawn as frictionless reads them."""
    from opendata_jz import progress, validate

    rows = "".join(f"{i},{'x' * 40}\n" for i in range(5000)) + "5000\n"
    (tmp_path / "t.csv").write_text("id,t\n" + rows, encoding="utf-8")
    fields = [{"name": "id", "type": "integer"}, {"name": "t", "type": "string"}]
    resource = {"name": "t", "path": "t.csv", "schema": {"fields": fields}}
    (tmp_path / "datapackage.json").write_text(
        json.dumps({"name": "p", "resources": [resource]}), encoding="utf-8"
    )
    from opendata_jz.engine import FileFacts

    monkeypatch.setattr(progress, "MIN_BYTES", 1)
    monkeypatch.setattr(FileFacts, "AHEAD_FROM", 1)  # its line count gives the rows
    monkeypatch.setattr(progress, "_ROWS_PER_LOOK", 1)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    report = validate(tmp_path)
    assert [(i.line, i.code) for i in report.errors] == [(5002, "missing-cell")]
    drawn = capsys.readouterr().err
    assert "/5,001 rows" in drawn and drawn.endswith("\r")


def test_file_facts_read_ahead_are_the_ones_the_engine_uses(tmp_path, monkeypatch) -> None:
    """A large file's size, lines and hash are read while frictionless loads, once: the
    engine uses those facts (a wrong declared hash is still reported) rather than reading
    the file again."""
    from opendata_jz import validate
    from opendata_jz.engine import FileFacts

    (tmp_path / "t.csv").write_text("id\n" + "".join(f"{i}\n" for i in range(999)))
    fields = [{"name": "id", "type": "integer"}]
    resource = {"name": "t", "path": "t.csv", "schema": {"fields": fields}, "hash": "0" * 32}
    (tmp_path / "datapackage.json").write_text(
        json.dumps({"name": "p", "resources": [resource]}), encoding="utf-8"
    )
    from opendata_jz import frictionless_checks

    events = []
    original, opening = FileFacts.__init__, frictionless_checks.open_with_frictionless

    def counted(self, *args) -> None:
        events.append(("facts", args[0]))
        original(self, *args)

    def opened(package):
        events.append(("frictionless", None))
        return opening(package)

    monkeypatch.setattr(FileFacts, "__init__", counted)
    monkeypatch.setattr(frictionless_checks, "open_with_frictionless", opened)
    monkeypatch.setattr(FileFacts, "AHEAD_FROM", 1)
    report = validate(tmp_path)
    assert [i.code for i in report.errors] == ["hash-count"]
    assert events == [("facts", tmp_path / "t.csv"), ("frictionless", None)]


def test_plain_datetimes_are_the_seconds_python_reads() -> None:
    """Each cell in the form YYYY-MM-DDTHH:MM:SS (years from 1000, hours to 23) is plain,
    and its value is the second Python reads; a day that does not exist has no value."""
    from datetime import datetime, timedelta

    from opendata_jz.calendar_cells import plain_datetimes

    moment, cells = datetime(1000, 1, 1, 0, 0, 0), []
    while moment.year < 9999:
        cells.append(moment.isoformat())
        moment += timedelta(days=89, seconds=3607)
    cells += [
        "2023-02-29T10:00:00",
        "2024-01-01T24:00:00",
        "2024-01-01 10:00:00",
        "0999-01-01T00:00:00",
    ]
    plain, values = plain_datetimes(_column(cells), np.ones(len(cells), dtype=bool))
    epoch = datetime(1970, 1, 1)
    for index, cell in enumerate(cells):
        try:
            expected = datetime.fromisoformat(cell) if cell[10] == "T" and cell[0] != "0" else None
        except ValueError:
            expected = None
        second = values[index].value if values[index].is_valid else None
        assert second == (
            None if expected is None else (expected - epoch) // timedelta(seconds=1)
        ), cell
    assert list(plain[-4:]) == [True, False, False, False]  # 02-29 has the form; no value


FIXED_WIDTH = [
    "jz-[a-z]{3}-[0-9]{7}",
    "^jz-[a-z]{3}-[0-9]{7}$",
    "[A-Z]{2}[0-9]{4}",
    "abc",
    "[a-c-]{2}x",
    "[]a]b",
    "a{0}b[0-9]",
    "\\.\\-x",
    "[0-9]{3}\\.[0-9]{2}",
    "[-z]{2}",
]
NOT_FIXED_WIDTH = ["a|b", "a+", "a{2,3}", "[^a]", "\\d{3}", ".x", "(ab)", "a{3}?", "[z-a]", "錦州"]


def test_fixed_width_patterns_match_as_python_re_does() -> None:
    """Position-by-position matching gives re.match('^' + pattern + '$') on every cell, and
    any pattern beyond fixed widths of ASCII literals and classes is left to a regex."""
    import re

    from opendata_jz.patterns import byte_classes, matches

    rng = random.Random(7)
    alphabet = "abcxyzAZ09-.]jz錦 "
    samples = ["jz-std-0000001", "JZ-std-0000001", "AB1234", "abc", "b-x", "]b", "5", "123.45"]
    for pattern in FIXED_WIDTH:
        classes = byte_classes(pattern)
        assert classes is not None, pattern
        width = len(classes)
        cells = samples + [
            "".join(rng.choice(alphabet) for _ in range(rng.choice([width - 1, width, width + 1])))
            for _ in range(400)
        ]
        expected = [bool(re.match(f"^{pattern}$", c)) for c in cells]
        found = matches(_column(cells), np.ones(len(cells), dtype=bool), classes)
        assert list(found) == expected, pattern
    assert [byte_classes(p) for p in NOT_FIXED_WIDTH] == [None] * len(NOT_FIXED_WIDTH)
