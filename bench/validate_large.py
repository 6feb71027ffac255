"""Validate large generated packages with frictionless and with opendata-jz, side by side.

    python bench/validate_large.py --rows 1000000 [--rows 5000000] [--out DIR]

Workloads come from ../shared/bench/gen_metrics.py (a metrics package of about 240 bytes a row,
valid and invalid variants). For each size it prints wall time, rows/s and peak RSS of each
tool as a whole process, their ratios, peak memory against the CSV's size, and whether the
two report the same (line, field) errors on the invalid variant. frictionless is run only up
to --frictionless-max rows; above that its time is extrapolated from the largest size it ran
(it streams at a steady rate), and the output says so.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GENERATOR = ROOT.parent / "shared" / "bench" / "gen_metrics.py"
BIN = Path(sys.executable).parent
OWN_CODES = {
    "non-ascii-digits",
    "non-finite-number",
    "missing-value-literal",
    "spreadsheet-formula",
}


def run_measured(command: list[str]) -> tuple[float, float, str]:
    """Wall seconds, peak RSS in MiB (from /usr/bin/time, if present) and stdout."""
    timer = Path("/usr/bin/time")
    if not timer.exists():
        start = time.perf_counter()
        done = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        return time.perf_counter() - start, float("nan"), done.stdout.decode("utf-8")
    with tempfile.NamedTemporaryFile("r", suffix=".time") as report:
        start = time.perf_counter()
        done = subprocess.run(
            [str(timer), "-f", "%M", "-o", report.name, *command],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            check=False,
        )
        wall = time.perf_counter() - start
        lines = [x for x in Path(report.name).read_text().split() if x.isdigit()]
        peak = int(lines[-1]) / 1024 if lines else float("nan")
    return wall, peak, done.stdout.decode("utf-8")


def generate(rows: int, out: Path) -> Path:
    base = out / str(rows)
    if not (base / "invalid" / "metrics.csv").is_file():
        if not GENERATOR.is_file():
            sys.exit(f"the workload generator is missing: {GENERATOR}")
        subprocess.run(
            [sys.executable, str(GENERATOR), "--out", str(out), str(rows)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    return base


def frictionless_pairs(text: str) -> set[tuple]:
    report = json.loads(text)
    pairs = set()
    for task in report["tasks"]:
        for error in task["errors"]:
            field = error.get("fieldName") or (error.get("fieldNames") or [None])[0]
            if error["type"] == "primary-key":
                field = "metric_id" if task["name"] == "metrics" else "source_id"
            pairs.add((task["name"], error.get("rowNumber"), field))
    return pairs


def our_pairs(text: str) -> set[tuple]:
    issues = json.loads(text)["issues"]
    return {
        (i["resource"], i["line"], i["field"])
        for i in issues
        if i["severity"] == "error" and i["code"] not in OWN_CODES
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, action="append", help="rows (repeatable)")
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "odjz-bench")
    parser.add_argument("--frictionless-max", type=int, default=1_000_000)
    parser.add_argument(
        "--skip-frictionless",
        action="store_true",
        help="time opendata-jz alone (no ratio, no parity check)",
    )
    args = parser.parse_args()
    sizes = args.rows or [1_000_000]
    frictionless_rate: float | None = None
    print(
        f"{'rows':>9} {'variant':8} {'tool':13} {'wall s':>8} {'rows/s':>10} "
        f"{'peak MiB':>9} {'peak/CSV':>8}"
    )
    for rows in sizes:
        base = generate(rows, args.out)
        for variant in ("valid", "invalid"):
            package = base / variant
            csv_mib = (package / "metrics.csv").stat().st_size / 2**20
            ours = run_measured(
                [str(BIN / "opendata-jz"), "validate", str(package), "--format", "json"]
            )
            if args.skip_frictionless:
                theirs = (float("nan"), float("nan"), "")
                label = "frictionless-"
            elif rows <= args.frictionless_max:
                theirs = run_measured(
                    [
                        str(BIN / "frictionless"),
                        "validate",
                        str(package / "datapackage.json"),
                        "--json",
                        "--limit-errors",
                        str(10**9),
                    ]
                )
                frictionless_rate = rows / theirs[0]
                label = "frictionless"
            else:
                estimate = rows / frictionless_rate if frictionless_rate else float("nan")
                theirs = (estimate, float("nan"), "")
                label = "frictionless*"
            for name, (wall, peak, _) in ((label, theirs), ("opendata-jz", ours)):
                print(
                    f"{rows:>9} {variant:8} {name:13} {wall:8.2f} {rows / wall:10.0f} "
                    f"{peak:9.0f} {peak / csv_mib:8.2f}"
                )
            print(
                f"{'':>9} {variant:8} {'ratio':13} {theirs[0] / ours[0]:7.1f}x "
                f"(CSV {csv_mib:.0f} MiB)"
            )
            if variant == "invalid" and theirs[2]:
                mine, reference = our_pairs(ours[2]), frictionless_pairs(theirs[2])
                verdict = "same" if mine == reference else "DIFFERENT"
                print(
                    f"{'':>9} parity: {verdict} ({len(reference)} frictionless errors, "
                    f"{len(mine - reference)} extra, {len(reference - mine)} missing)"
                )
    if not args.skip_frictionless and any(rows > args.frictionless_max for rows in sizes):
        print("* frictionless extrapolated from its rate on the largest size it ran")


if __name__ == "__main__":
    main()
