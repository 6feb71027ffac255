"""Issues and reports: one issue per fault, sorted, and the validity verdict."""

from opendata_jz.report import Issue, Report


def issue(line, field, code, severity="error", resource="r"):
    return Issue(resource, "r.csv", line, field, code, f"{code}.", severity)


def test_later_layer_is_dropped_at_a_claimed_place() -> None:
    """An error a later layer finds where an earlier one already did is not repeated."""
    report = Report.merge(
        [issue(2, "v", "type-error")],
        [issue(2, "v", "constraint-error"), issue(3, "v", "constraint-error")],
    )
    assert [(i.line, i.code) for i in report.issues] == [(2, "type-error"), (3, "constraint-error")]


def test_warnings_are_kept_and_do_not_invalidate() -> None:
    """Warnings stay in the report, and a report with only warnings is valid."""
    report = Report.merge(
        [issue(2, "v", "type-error")], [issue(2, "v", "spreadsheet-formula", "warning")]
    )
    assert len(report.issues) == 2
    assert Report([issue(2, "v", "spreadsheet-formula", "warning")]).valid


def test_issues_sorted_by_path_and_line() -> None:
    """Issues come out sorted by path, then line (file-level issues first)."""
    report = Report([issue(9, "a", "x"), issue(None, None, "hash-count"), issue(3, "b", "y")])
    assert [i.line for i in report.issues] == [None, 3, 9]


def test_json_shape() -> None:
    """to_dict has valid and issues with the contract's fields."""
    data = Report([issue(2, "v", "type-error")]).to_dict()
    assert data == {
        "valid": False,
        "issues": [
            {
                "resource": "r",
                "path": "r.csv",
                "line": 2,
                "field": "v",
                "code": "type-error",
                "message": "type-error.",
                "severity": "error",
            }
        ],
    }
