"""exports: SQLite and Parquet files typed from the Table Schema, deterministic."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from opendata_jz.exports import ExportError, write_parquet, write_sqlite

from conftest import ROOT

TYPES = {
    "name": "types",
    "resources": [
        {
            "name": "people",
            "path": "people.csv",
            "title": "People",
            "description": "One row per person.",
            "schema": {
                "fields": [
                    {
                        "name": "code",
                        "type": "string",
                        "title": "Code",
                        "description": "Two letters.",
                        "constraints": {"required": True},
                    },
                    {"name": "group", "type": "integer"},
                    {"name": "age", "type": "integer"},
                    {"name": "score", "type": "number"},
                    {"name": "active", "type": "boolean"},
                    {"name": "born", "type": "date"},
                    {"name": "seen", "type": "datetime"},
                    {"name": "note", "type": "string"},
                    {"name": "boss", "type": "string"},
                ],
                "primaryKey": ["code", "group"],
                "foreignKeys": [
                    {
                        "fields": ["boss", "group"],
                        "reference": {"resource": "", "fields": ["code", "group"]},
                    }
                ],
                "missingValues": ["", "-"],
            },
        }
    ],
}
TYPES_CSV = (
    "code,group,age,score,active,born,seen,note,boss\n"
    "NA,1,41,2.5,true,1983-04-01,2024-01-02T03:04:05Z,=SUM(A1),\n"
    "jz,1,-,-1,false,-,2024-01-02T04:04:05+01:00,-,NA\n"
)


def types_package(root: Path, csv_text: str = TYPES_CSV) -> Path:
    """A one-table package that uses every common type, missing values and a composite key."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "datapackage.json").write_text(json.dumps(TYPES), encoding="utf-8")
    (root / "people.csv").write_text(csv_text, encoding="utf-8")
    return root


def test_sqlite_columns_are_typed_from_the_schema(tmp_path: Path) -> None:
    """The flagship's metrics table has SQL types, NOT NULL and the primary key."""
    target = tmp_path / "jz.sqlite"
    write_sqlite(ROOT, target)
    with sqlite3.connect(target) as db:
        info = {row[1]: row for row in db.execute("PRAGMA table_info(metrics)")}
        count = db.execute("SELECT count(*) FROM metrics").fetchone()[0]
        kinds = db.execute(
            "SELECT typeof(value), typeof(quote_start), typeof(id) FROM metrics LIMIT 1"
        ).fetchone()
    assert (info["value"][2], info["quote_start"][2], info["id"][2]) == ("REAL", "INTEGER", "TEXT")
    assert info["id"][5] == 1  # primary key position
    assert info["value"][3] == 1 and info["parent_id"][3] == 0  # NOT NULL only where required
    assert count == 33
    assert kinds == ("real", "integer", "text")


def test_sqlite_has_the_foreign_keys_and_they_hold(tmp_path: Path) -> None:
    """Every foreign key of the schema is declared, and the data satisfies them."""
    target = tmp_path / "jz.sqlite"
    write_sqlite(ROOT, target)
    with sqlite3.connect(target) as db:
        keys = sorted(
            (row[2], row[3], row[4]) for row in db.execute("PRAGMA foreign_key_list(metrics)")
        )
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert keys == [
        ("indicators", "indicator_id", "id"),
        ("metrics", "parent_id", "id"),
        ("sources", "source_id", "id"),
    ]


def test_sqlite_keeps_titles_and_descriptions(tmp_path: Path) -> None:
    """Resource and field documentation, the descriptor and a Datasette metadata.json are
    stored in metadata tables."""
    target = tmp_path / "jz.sqlite"
    write_sqlite(ROOT, target)
    with sqlite3.connect(target) as db:
        title = db.execute("SELECT title FROM _resources WHERE name = 'metrics'").fetchone()[0]
        field = db.execute(
            "SELECT type, title, description FROM _fields"
            " WHERE resource = 'metrics' AND name = 'value'"
        ).fetchone()
        package = dict(db.execute("SELECT key, value FROM _package"))
        sql = db.execute("SELECT sql FROM sqlite_master WHERE name = 'metrics'").fetchone()[0]
    assert title == "Figures stated in the article"
    assert field == ("number", "Value as printed", "The number as printed: 70 for 「70余萬元」.")
    assert json.loads(package["datapackage.json"])["name"] == "jinzhou-quality"
    datasette = json.loads(package["datasette-metadata.json"])
    tables = datasette["databases"]["jz"]["tables"]
    assert tables["metrics"]["title"] == "Figures stated in the article"
    assert tables["metrics"]["columns"]["value"].startswith("Value as printed: ")
    assert tables["_fields"] == {"hidden": True}
    assert "-- Value as printed: The number as printed" in sql


def test_sqlite_casts_every_type_and_missing_value(tmp_path: Path) -> None:
    """Booleans become 0/1, dates ISO text, `missingValues` NULL, and "NA" stays a string."""
    package = types_package(tmp_path / "pkg")
    target = tmp_path / "types.sqlite"
    write_sqlite(package, target)
    with sqlite3.connect(target) as db:
        rows = db.execute("SELECT * FROM people ORDER BY code").fetchall()
        pk = [row[1] for row in db.execute("PRAGMA table_info(people)") if row[5]]
        fk = [(row[2], row[3], row[4]) for row in db.execute("PRAGMA foreign_key_list(people)")]
    assert rows == [
        ("NA", 1, 41, 2.5, 1, "1983-04-01", "2024-01-02T03:04:05+00:00", "=SUM(A1)", None),
        ("jz", 1, None, -1.0, 0, None, "2024-01-02T03:04:05+00:00", None, "NA"),
    ]
    assert pk == ["code", "group"]
    assert sorted(fk) == [("people", "boss", "code"), ("people", "group", "group")]


def test_parquet_types_follow_the_schema(tmp_path: Path) -> None:
    """Parquet columns are int64, float64, bool, date32, timestamp and string, with nulls."""
    import datetime as dt

    import pyarrow as pa
    import pyarrow.parquet as pq

    package = types_package(tmp_path / "pkg")
    target = tmp_path / "people.parquet"
    write_parquet(package, "people", target)
    table = pq.read_table(target)
    types = {field.name: field.type for field in table.schema}
    assert types == {
        "code": pa.string(),
        "group": pa.int64(),
        "age": pa.int64(),
        "score": pa.float64(),
        "active": pa.bool_(),
        "born": pa.date32(),
        "seen": pa.timestamp("us", tz="UTC"),
        "note": pa.string(),
        "boss": pa.string(),
    }
    assert table.column("age").to_pylist() == [41, None]
    assert table.column("born").to_pylist() == [dt.date(1983, 4, 1), None]
    assert table.column("code").to_pylist() == ["NA", "jz"]
    assert table.schema.field("code").metadata[b"description"] == b"Two letters."
    resource = json.loads(table.schema.metadata[b"datapackage.resource"])
    assert resource["title"] == "People"


def test_flagship_parquet_holds_typed_metrics(tmp_path: Path) -> None:
    """The metrics table as Parquet has float values, integer offsets and all 33 rows."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    target = tmp_path / "metrics.parquet"
    write_parquet(ROOT, "metrics", target)
    table = pq.read_table(target)
    assert table.num_rows == 33
    assert table.schema.field("value").type == pa.float64()
    assert table.schema.field("quote_start").type == pa.int64()
    assert table.schema.field("parent_id").type == pa.string()
    assert table.column("parent_id").null_count == 25


def test_exports_are_byte_identical_across_runs(tmp_path: Path) -> None:
    """Writing the same package twice gives the same SQLite and Parquet bytes."""
    for run in ("a", "b"):
        (tmp_path / run).mkdir()
        write_sqlite(ROOT, tmp_path / run / "jz.sqlite")
        write_parquet(ROOT, "metrics", tmp_path / run / "metrics.parquet")
    for name in ("jz.sqlite", "metrics.parquet"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_spreadsheet_like_text_is_stored_unchanged(tmp_path: Path) -> None:
    """SQLite and Parquet are not spreadsheet formats: a formula-like cell is kept as is."""
    import pyarrow.parquet as pq

    package = types_package(tmp_path / "pkg")
    write_sqlite(package, tmp_path / "t.sqlite")
    write_parquet(package, "people", tmp_path / "t.parquet")
    with sqlite3.connect(tmp_path / "t.sqlite") as db:
        note = db.execute("SELECT note FROM people WHERE code = 'NA'").fetchone()[0]
    assert note == "=SUM(A1)"
    assert pq.read_table(tmp_path / "t.parquet").column("note")[0].as_py() == "=SUM(A1)"


def test_invalid_cell_is_refused_and_nothing_is_written(tmp_path: Path) -> None:
    """A cell its type cannot hold raises ExportError naming line and field; no file appears."""
    package = types_package(tmp_path / "pkg", TYPES_CSV.replace("41", "forty-one"))
    target = tmp_path / "out" / "t.sqlite"
    target.parent.mkdir()
    with pytest.raises(ExportError, match=r"line 2, field age: 'forty-one'"):
        write_sqlite(package, target)
    with pytest.raises(ExportError):
        write_parquet(package, "people", tmp_path / "out" / "t.parquet")
    assert list(target.parent.iterdir()) == []


def test_failed_export_leaves_the_previous_file(tmp_path: Path) -> None:
    """An export that fails does not touch a file already at the target path."""
    target = tmp_path / "t.sqlite"
    target.write_bytes(b"previous")
    package = types_package(tmp_path / "pkg", TYPES_CSV.replace("2.5", "two"))
    with pytest.raises(ExportError):
        write_sqlite(package, target)
    assert target.read_bytes() == b"previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pkg", "t.sqlite"]
