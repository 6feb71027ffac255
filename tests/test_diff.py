"""diff: schema and row changes between two package versions, and the bump they require."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from opendata_jz.diff import diff_packages
from opendata_jz.package import PackageError

from conftest import edit_csv

FIGURES = {
    "name": "figures",
    "path": "figures.csv",
    "title": "Figures",
    "schema": {
        "fields": [
            {"name": "id", "type": "string", "constraints": {"required": True}},
            {"name": "region", "type": "string"},
            {"name": "value", "type": "number", "constraints": {"minimum": 0}},
            {"name": "kind", "type": "string", "constraints": {"enum": ["stock", "flow"]}},
        ],
        "primaryKey": ["id"],
    },
}
FIGURES_CSV = "id,region,value,kind\na,jz,15,stock\nb,dl,2.5,flow\nc,jz,70,stock\n"
REGIONS = {
    "name": "regions",
    "path": "regions.csv",
    "schema": {"fields": [{"name": "id", "type": "string"}], "primaryKey": ["id"]},
}


def write_package(
    root: Path, resources: list[dict] | None = None, files: dict | None = None, **extra
) -> Path:
    """A package directory with the given resources and CSV files (defaults: figures)."""
    root.mkdir(parents=True, exist_ok=True)
    descriptor = {"name": "demo", "version": "1.0.0", **extra}
    descriptor["resources"] = copy.deepcopy(resources if resources is not None else [FIGURES])
    (root / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    for name, text in (files or {"figures.csv": FIGURES_CSV}).items():
        (root / name).write_text(text, encoding="utf-8")
    return root


def figures_with(**schema_changes) -> dict:
    """The figures resource with its schema's top-level keys replaced."""
    resource = copy.deepcopy(FIGURES)
    resource["schema"].update(schema_changes)
    return resource


def field_edit(name: str, **changes) -> dict:
    """The figures resource with one field's properties replaced (None removes a key)."""
    resource = copy.deepcopy(FIGURES)
    for spec in resource["schema"]["fields"]:
        if spec["name"] == name:
            for key, value in changes.items():
                if value is None:
                    spec.pop(key, None)
                else:
                    spec[key] = value
    return resource


def test_identical_packages_need_no_bump(tmp_path: Path) -> None:
    """Two copies of the same package have no changes and no bump."""
    old = write_package(tmp_path / "old")
    new = write_package(tmp_path / "new")
    diff = diff_packages(old, new)
    assert diff.bump is None
    assert not diff.changed
    assert "No changes" in diff.render_text()
    assert "No changes to the data or the descriptor." in diff.changelog_entry(
        "1.0.1", "2024-05-01"
    )


def test_changed_cell_is_a_patch_with_old_and_new_values(tmp_path: Path) -> None:
    """A corrected value is a patch, reported by primary key with old → new under Fixed."""
    old = write_package(tmp_path / "old")
    new = write_package(tmp_path / "new", files={"figures.csv": FIGURES_CSV.replace("15", "16")})
    diff = diff_packages(old, new)
    assert diff.bump == "patch"
    assert [(r.kind, r.key, r.cells) for r in diff.rows] == [
        ("changed", ("a",), (("value", "15", "16"),))
    ]
    entry = diff.changelog_entry("1.0.1", "2024-05-01")
    assert entry.startswith("## [1.0.1] - 2024-05-01\n")
    assert "### Fixed\n\n- figures: row a value 15 → 16\n" in entry


def test_added_row_is_minor_and_removed_row_is_patch(tmp_path: Path) -> None:
    """A new row needs a minor bump; a removed row alone is a patch (a correction)."""
    old = write_package(tmp_path / "old")
    added = write_package(tmp_path / "added", files={"figures.csv": FIGURES_CSV + "d,dl,1,flow\n"})
    removed = write_package(
        tmp_path / "removed", files={"figures.csv": FIGURES_CSV.replace("b,dl,2.5,flow\n", "")}
    )
    grown = diff_packages(old, added)
    assert grown.bump == "minor"
    assert "### Added\n\n- figures: row d added\n" in grown.changelog_entry("1.1.0", "2024-05-01")
    shrunk = diff_packages(old, removed)
    assert shrunk.bump == "patch"
    assert [(r.kind, r.key) for r in shrunk.rows] == [("removed", ("b",))]
    assert "### Removed\n\n- figures: row b removed\n" in shrunk.changelog_entry("1.0.1", "x")


def test_removed_field_is_major(tmp_path: Path) -> None:
    """Dropping a field (schema and column) is a breaking change."""
    old = write_package(tmp_path / "old")
    resource = copy.deepcopy(FIGURES)
    resource["schema"]["fields"] = resource["schema"]["fields"][:3]
    csv_text = "id,region,value\na,jz,15\nb,dl,2.5\nc,jz,70\n"
    new = write_package(tmp_path / "new", [resource], {"figures.csv": csv_text})
    diff = diff_packages(old, new)
    assert diff.bump == "major"
    assert [(c.kind, c.field) for c in diff.schema] == [("field-removed", "kind")]
    assert diff.rows == []
    assert "### Removed\n\n- figures.kind: field removed\n" in diff.changelog_entry("2.0.0", "x")


def test_added_field_is_minor(tmp_path: Path) -> None:
    """A new optional field is an addition, not a change to existing rows."""
    old = write_package(tmp_path / "old")
    resource = copy.deepcopy(FIGURES)
    resource["schema"]["fields"].append({"name": "note", "type": "string"})
    csv_text = "id,region,value,kind,note\na,jz,15,stock,x\nb,dl,2.5,flow,\nc,jz,70,stock,\n"
    new = write_package(tmp_path / "new", [resource], {"figures.csv": csv_text})
    diff = diff_packages(old, new)
    assert diff.bump == "minor"
    assert [(c.kind, c.field) for c in diff.schema] == [("field-added", "note")]
    assert diff.rows == []


def test_retyped_field_is_major(tmp_path: Path) -> None:
    """Changing a field's type from number to integer is breaking."""
    old = write_package(tmp_path / "old")
    new = write_package(tmp_path / "new", [field_edit("value", type="integer")])
    diff = diff_packages(old, new)
    assert diff.bump == "major"
    change = diff.schema[0]
    assert (change.kind, change.field, change.old, change.new) == (
        "field-retyped",
        "value",
        "number",
        "integer",
    )
    assert "figures.value: type number → integer" in diff.changelog_entry("2.0.0", "x")


def test_key_changes_are_major(tmp_path: Path) -> None:
    """A new primary key or a new foreign key is a breaking change."""
    old = write_package(
        tmp_path / "old",
        [FIGURES, REGIONS],
        {"figures.csv": FIGURES_CSV, "regions.csv": "id\njz\ndl\n"},
    )
    primary = write_package(
        tmp_path / "pk",
        [figures_with(primaryKey=["id", "region"]), REGIONS],
        {"figures.csv": FIGURES_CSV, "regions.csv": "id\njz\ndl\n"},
    )
    foreign = figures_with(
        foreignKeys=[{"fields": ["region"], "reference": {"resource": "regions", "fields": "id"}}]
    )
    linked = write_package(
        tmp_path / "fk",
        [foreign, REGIONS],
        {"figures.csv": FIGURES_CSV, "regions.csv": "id\njz\ndl\n"},
    )
    assert [c.kind for c in diff_packages(old, primary).schema] == ["primary-key-changed"]
    assert diff_packages(old, primary).bump == "major"
    fk = diff_packages(old, linked)
    assert [c.kind for c in fk.schema] == ["foreign-keys-changed"]
    assert fk.bump == "major"
    assert fk.schema[0].new == [
        {"fields": ["region"], "reference": {"resource": "regions", "fields": ["id"]}}
    ]


@pytest.mark.parametrize(
    ("field", "constraints", "kind", "bump"),
    [
        ("region", {"required": True}, "constraint-tightened", "major"),
        ("value", {"minimum": 1}, "constraint-tightened", "major"),
        ("value", {"minimum": 0, "maximum": 100}, "constraint-tightened", "major"),
        ("kind", {"enum": ["stock"]}, "constraint-tightened", "major"),
        ("kind", {"enum": ["stock", "flow", "other"]}, "constraint-loosened", "minor"),
        ("id", {}, "constraint-loosened", "minor"),
        ("value", {}, "constraint-loosened", "minor"),
    ],
)
def test_constraint_direction_sets_the_bump(
    tmp_path: Path, field: str, constraints: dict, kind: str, bump: str
) -> None:
    """A tightened constraint is major, a loosened one minor."""
    old = write_package(tmp_path / "old")
    new = write_package(tmp_path / "new", [field_edit(field, constraints=constraints)])
    diff = diff_packages(old, new)
    assert {c.kind for c in diff.schema} == {kind}
    assert diff.bump == bump


def test_descriptor_only_edit_is_a_patch(tmp_path: Path) -> None:
    """Changing titles and descriptions is a patch listed under Changed."""
    old = write_package(tmp_path / "old", title="Old title")
    new = write_package(
        tmp_path / "new", [field_edit("value", description="The amount.")], title="New title"
    )
    diff = diff_packages(old, new)
    assert diff.bump == "patch"
    described = [c.describe() for c in diff.schema]
    assert described == [
        "descriptor: title changed (Old title → New title)",
        "figures.value: description added (The amount.)",
    ]
    assert "### Changed\n\n- descriptor: title changed" in diff.changelog_entry("1.0.1", "x")


def test_version_and_hash_are_not_changes(tmp_path: Path) -> None:
    """A new version number and added hash/bytes are release bookkeeping, not changes."""
    old = write_package(tmp_path / "old")
    resource = copy.deepcopy(FIGURES)
    resource.update({"hash": "sha256:" + "0" * 64, "bytes": 1})
    new = write_package(tmp_path / "new", [resource], version="9.9.9")
    assert diff_packages(old, new).bump is None


def test_resources_added_and_removed(tmp_path: Path) -> None:
    """A new resource is minor; a removed resource is major."""
    old = write_package(tmp_path / "old")
    both = write_package(
        tmp_path / "both",
        [FIGURES, REGIONS],
        {"figures.csv": FIGURES_CSV, "regions.csv": "id\njz\n"},
    )
    grown = diff_packages(old, both)
    assert grown.bump == "minor"
    assert [(c.kind, c.resource) for c in grown.schema] == [("resource-added", "regions")]
    assert "- regions: new resource (1 row)" in grown.changelog_entry("1.1.0", "x")
    shrunk = diff_packages(both, old)
    assert shrunk.bump == "major"
    assert [(c.kind, c.resource) for c in shrunk.schema] == [("resource-removed", "regions")]


def test_reordered_rows_are_a_file_change_only(tmp_path: Path) -> None:
    """Same rows in another order: no row change, but the file change is a patch."""
    old = write_package(tmp_path / "old")
    lines = FIGURES_CSV.splitlines(keepends=True)
    new = write_package(tmp_path / "new", files={"figures.csv": lines[0] + "".join(lines[:0:-1])})
    diff = diff_packages(old, new)
    assert diff.rows == []
    assert [c.kind for c in diff.schema] == ["file-changed"]
    assert diff.bump == "patch"


def test_rows_without_primary_key_compare_as_a_multiset(tmp_path: Path) -> None:
    """Without a key, a duplicated row counts as an addition and a missing one as a removal."""
    resource = figures_with(primaryKey=None)
    old = write_package(tmp_path / "old", [resource])
    text = FIGURES_CSV.replace("c,jz,70,stock\n", "a,jz,15,stock\n")
    new = write_package(tmp_path / "new", [resource], {"figures.csv": text})
    diff = diff_packages(old, new)
    assert [(r.kind, r.key) for r in diff.rows] == [
        ("added", ("a", "jz", "15", "stock")),
        ("removed", ("c", "jz", "70", "stock")),
    ]
    assert diff.bump == "minor"


def test_first_release_lists_every_resource(tmp_path: Path) -> None:
    """Without an old package, every resource is new and the entry says it is the first."""
    new = write_package(tmp_path / "new")
    entry = diff_packages(None, new).changelog_entry("1.0.0", "2024-05-01")
    assert "- First release of demo.\n" in entry
    assert "- figures: new resource “Figures” (3 rows)\n" in entry


def test_to_dict_is_json_and_stable(tmp_path: Path) -> None:
    """The JSON form holds every change, and two runs give the same text."""
    old = write_package(tmp_path / "old")
    new = write_package(
        tmp_path / "new",
        [field_edit("value", type="integer")],
        {"figures.csv": FIGURES_CSV.replace("70", "71") + "d,dl,1,flow\n"},
    )
    first = json.dumps(diff_packages(old, new).to_dict(), ensure_ascii=False)
    second = json.dumps(diff_packages(old, new).to_dict(), ensure_ascii=False)
    assert first == second
    data = json.loads(first)
    assert data["bump"] == "major"
    assert [r["kind"] for r in data["rows"]] == ["changed", "added"]
    assert data["rows"][0]["cells"] == [{"field": "value", "old": "70", "new": "71"}]
    assert data["schema"][0]["level"] == "major"


def test_render_text_names_bump_and_changes(tmp_path: Path) -> None:
    """The text report starts with the versions and the bump, then lists rows by resource."""
    old = write_package(tmp_path / "old")
    new = write_package(tmp_path / "new", files={"figures.csv": FIGURES_CSV.replace("dl", "sy")})
    text = diff_packages(old, new).render_text()
    assert text.splitlines()[0] == "demo 1.0.0 → 1.0.0: bump patch"
    assert "  figures: 0 added, 1 changed, 0 removed" in text
    assert "    row b region dl → sy" in text


def test_flagship_value_edit_reads_like_a_changelog(flagship: Path) -> None:
    """Editing one figure of the bundled package gives the changelog line a curator expects."""
    from conftest import ROOT

    edit_csv(flagship / "data" / "metrics.csv", "m012", value="16")
    diff = diff_packages(ROOT / "datapackage.json", flagship)
    assert diff.bump == "patch"
    assert "- metrics: row m012 value 15 → 16\n" in diff.changelog_entry("1.0.1", "2024-05-01")


def test_unreadable_package_raises_package_error(tmp_path: Path) -> None:
    """A missing package cannot be compared (exit 2 in the CLI)."""
    new = write_package(tmp_path / "new")
    with pytest.raises(PackageError):
        diff_packages(tmp_path / "missing", new)
