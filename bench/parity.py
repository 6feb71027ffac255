"""Check that opendata-jz reports frictionless's errors, one for one, on generated packages.

    python bench/parity.py [--rows 20000] [--seeds 101 202 303] [--faults all] [--out DIR]

For each seed it writes the invalid metrics package with bench/workload.py (faults of every
kind given in about one row in a thousand), validates it with frictionless's Python API and
with `opendata_jz.validate`, and compares the two as sets of (resource, line, field) errors.

opendata-jz names physical CSV lines; frictionless numbers logical rows (header = 1), which
drift from the lines after a cell that spans lines, so each row number is mapped to the line
its row starts on by reading the CSV with Python's csv module. An error of a whole row
(blank-row) has no field; frictionless's primary-key error is named by the key's first field,
and is the same fault as the unique-error or required-constraint error opendata-jz reports
there, or as the blank row, whose key is empty because the whole row is. opendata-jz's own
stricter rules (full-width digits, NaN, placeholders, formula starts) are not frictionless's:
they are counted and printed, not compared.

Each fault in the package's truth.json is checked too: frictionless reports the error it
expects at its line and field, or nothing on that line where it expects none. Prints a line
per seed and the first differences; exits 1 if any seed differs.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: Codes of opendata-jz's own stricter rules, which frictionless does not check.
OWN_CODES = {
    "non-ascii-digits",
    "non-finite-number",
    "missing-value-literal",
    "spreadsheet-formula",
}
SHOWN = 5  # differences printed per seed


def record_starts(path: Path) -> list[int]:
    """The physical line (header = 1) where each CSV record starts, by record number - 1."""
    starts, line = [], 1
    with open(path, encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        for _ in reader:
            starts.append(line)
            line = reader.line_num + 1
    return starts


def frictionless_errors(package: Path) -> tuple[set[tuple], set[tuple], int]:
    """frictionless's errors as (resource, line, field) pairs, the same with the error type
    (primary-key errors kept), and how many errors it reported."""
    from frictionless import Package

    report = Package(str(package / "datapackage.json")).validate(limit_errors=10**9)
    return errors_of(package, report.to_dict())


def errors_of(package: Path, report: dict) -> tuple[set[tuple], set[tuple], int]:
    """`frictionless_errors` of a frictionless report as a dict (`report.to_dict()`, or what
    `frictionless validate --json` prints)."""
    descriptor = json.loads((package / "datapackage.json").read_text(encoding="utf-8"))
    resources = {r["name"]: r for r in descriptor["resources"]}
    pairs, typed, count = set(), set(), 0
    for task in report["tasks"]:
        resource = resources[task["name"]]
        key = resource.get("schema", {}).get("primaryKey") or [None]
        errors = task["errors"]
        count += len(errors)
        starts = record_starts(package / resource["path"]) if errors else []
        blank = {e.get("rowNumber") for e in errors if e["type"] == "blank-row"}
        for error in errors:
            row = error.get("rowNumber")
            line = starts[row - 1] if row else None
            if error["type"] == "primary-key":
                field = key[0]
            else:
                field = error.get("fieldName") or (error.get("fieldNames") or [None])[0] or None
            typed.add((task["name"], line, field, error["type"]))
            if error["type"] == "primary-key" and row in blank:
                continue  # the key of a blank row is empty because the row is
            pairs.add((task["name"], line, field))
    return pairs, typed, count


def opendata_errors(package: Path) -> tuple[set[tuple], Counter]:
    """opendata-jz's errors as (resource, line, field) pairs, and its own rules' counts."""
    from opendata_jz import validate

    report = validate(package)
    pairs = {(i.resource, i.line, i.field) for i in report.errors if i.code not in OWN_CODES}
    return pairs, Counter(i.code for i in report.issues if i.code in OWN_CODES)


def engine_read(package: Path) -> list[str]:
    """The resources opendata-jz's engine read on its fast path."""
    from opendata_jz.package import open_package
    from opendata_jz.validation import check_rows

    with open_package(package) as opened:
        return sorted(check_rows(opened)[2])


def truth_misses(package: Path, typed: set[tuple]) -> list[str]:
    """The faults of truth.json frictionless does not report as the file expects."""
    faults = json.loads((package / "truth.json").read_text(encoding="utf-8"))["faults"]
    lines = {(resource, line) for resource, line, _, _ in typed}
    misses = []
    for fault in faults:
        expected, line, field = fault["expected"], fault["line"], fault["field"]
        if expected and ("metrics", line, field, expected) not in typed:
            misses.append(f"{fault['kind']} at line {line} {field}: no {expected}")
        if not expected and ("metrics", line) in lines:
            found = sorted(f"{t[2]} {t[3]}" for t in typed if t[:2] == ("metrics", line))
            misses.append(f"{fault['kind']} at line {line}: expected nothing, got {found}")
    return misses


def show(pair: tuple) -> str:
    resource, line, field = pair
    return f"{resource} line {line} {field or '(row)'}"


def main() -> None:
    import workload  # beside this script

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--seeds", type=int, nargs="+", default=[101, 202, 303])
    parser.add_argument("--faults", type=workload.parse_kinds, default=list(workload.DEFAULT_KINDS))
    parser.add_argument("--fault-rate", type=float, default=0.001)
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "odjz-parity")
    args = parser.parse_args()
    failed = False
    print(
        f"{'seed':>6} {'rows':>8} {'faults':>6} {'frictionless':>12} {'opendata-jz':>11} "
        f"{'extra':>5} {'missing':>7}  verdict"
    )
    for seed in args.seeds:
        base = workload.generate(
            args.rows, args.out / f"seed-{seed}", seed, args.faults, args.fault_rate
        )
        package = base / "invalid"
        faults = json.loads((package / "truth.json").read_text(encoding="utf-8"))["faults"]
        start = time.perf_counter()
        theirs, typed, reported = frictionless_errors(package)
        their_time = time.perf_counter() - start
        start = time.perf_counter()
        ours, own = opendata_errors(package)
        our_time = time.perf_counter() - start
        extra, missing = sorted(ours - theirs, key=str), sorted(theirs - ours, key=str)
        verdict = "same" if not extra and not missing else "DIFFERENT"
        print(
            f"{seed:>6} {args.rows:>8} {len(faults):>6} {len(theirs):>12} {len(ours):>11} "
            f"{len(extra):>5} {len(missing):>7}  {verdict}"
        )
        for pair in extra[:SHOWN]:
            print(f"{'':>8}only opendata-jz: {show(pair)}")
        for pair in missing[:SHOWN]:
            print(f"{'':>8}only frictionless: {show(pair)}")
        rules = ", ".join(f"{code} {n}" for code, n in sorted(own.items())) or "none"
        print(
            f"{'':>8}frictionless {reported} errors in {their_time:.1f} s, opendata-jz "
            f"{our_time:.1f} s (engine read: {', '.join(engine_read(package)) or 'none'}); "
            f"own rules, not compared: {rules}"
        )
        misses = truth_misses(package, typed)
        print(f"{'':>8}truth.json: {len(faults) - len(misses)} of {len(faults)} as expected")
        for miss in misses[:SHOWN]:
            print(f"{'':>8}  {miss}")
        failed |= bool(extra or missing or misses)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
