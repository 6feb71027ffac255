"""Validate large generated packages with frictionless and with opendata-jz, side by side.

    python bench/validate_large.py [--rows 1000000] [--rows 5000000] [--seed 1]
        [--faults all] [--hashes] [--repeat 3] [--frictionless-max 1000000] [--out DIR]

Workloads are made by bench/workload.py (a metrics package of about 240 bytes a row with
Chinese text; a valid variant and an invalid one with faults of every kind in about one row
in a thousand). Each tool runs as a whole process, as a user runs it: `frictionless validate
--json --limit-errors 1000000000` and `opendata-jz validate --format json`. For each size and
variant it prints the median wall time of --repeat runs (frictionless: --frictionless-repeat
runs), rows per second, peak RSS against the CSV's size, the ratio of the medians, and, on
the invalid variant, whether both report the same (resource, line, field) errors (compared
as bench/parity.py compares them).

frictionless streams at a steady rate, so above --frictionless-max rows it is not run: its
time is carried over from its rate on the largest size it ran, and the output says so.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def run_measured(command: list[str]) -> tuple[float, float, bytes]:
    """Wall seconds, peak RSS in MiB of the process, and what it printed."""
    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        printed = out.read()
    if process.returncode not in (0, 1):
        sys.exit(f"{command[0]} could not run (exit {process.returncode}): {' '.join(command)}")
    # ru_maxrss is in KiB on Linux and in bytes on macOS.
    peak = usage.ru_maxrss / (2**20 if sys.platform == "darwin" else 2**10)
    return wall, peak, printed


def measured(command: list[str], repeat: int) -> tuple[float, float, bytes]:
    """The median wall time of `repeat` runs, the largest peak RSS, the last output."""
    runs = [run_measured(command) for _ in range(repeat)]
    return statistics.median(r[0] for r in runs), max(r[1] for r in runs), runs[-1][2]


def generate(args: argparse.Namespace, rows: int) -> Path:
    """The workload of this size, made by bench/workload.py in a process of its own: this
    one stays small, since a child's peak RSS as the kernel reports it starts from its
    parent's (the memory it forked from)."""
    command = [sys.executable, str(ROOT / "bench" / "workload.py"), "--rows", str(rows)]
    command += ["--seed", str(args.seed), "--faults", args.faults, "--out", str(args.out)]
    command += ["--fault-rate", str(args.fault_rate)] + (["--hashes"] if args.hashes else [])
    if subprocess.run(command, stdout=subprocess.DEVNULL).returncode != 0:
        sys.exit("bench/workload.py could not make the workload (its error is above)")
    return args.out / str(rows)


def main() -> None:
    import parity  # beside this script

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, action="append", help="rows (repeatable)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--faults", default="all", help="fault kinds, as bench/workload.py")
    parser.add_argument("--fault-rate", type=float, default=0.001)
    parser.add_argument(
        "--hashes", action="store_true", help="declare each file's bytes and SHA-256, checked too"
    )
    parser.add_argument("--repeat", type=int, default=3, help="opendata-jz runs per package")
    parser.add_argument("--frictionless-repeat", type=int, default=1)
    parser.add_argument("--frictionless-max", type=int, default=1_000_000)
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "odjz-bench")
    parser.add_argument(
        "--skip-frictionless",
        action="store_true",
        help="time opendata-jz alone (no ratio, no parity check)",
    )
    args = parser.parse_args()
    sizes = args.rows or [1_000_000]
    print(
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"seed {args.seed}{', hashes declared' if args.hashes else ''}; "
        f"opendata-jz median of {args.repeat}, "
        f"frictionless median of {args.frictionless_repeat}"
    )
    print(
        f"{'rows':>9} {'variant':8} {'tool':13} {'wall s':>8} {'rows/s':>10} "
        f"{'peak MiB':>9} {'peak/CSV':>8}"
    )
    frictionless_rate: float | None = None
    for rows in sizes:
        base = generate(args, rows)
        for variant in ("valid", "invalid"):
            package = base / variant
            csv_mib = (package / "metrics.csv").stat().st_size / 2**20
            ours = measured(
                [str(BIN / "opendata-jz"), "validate", str(package), "--format", "json"],
                args.repeat,
            )
            if args.skip_frictionless:
                theirs, label = (float("nan"), float("nan"), b""), "frictionless-"
            elif rows <= args.frictionless_max:
                command = [str(BIN / "frictionless"), "validate", str(package / "datapackage.json")]
                command += ["--json", "--limit-errors", str(10**9)]
                theirs = measured(command, args.frictionless_repeat)
                frictionless_rate, label = rows / theirs[0], "frictionless"
            else:
                estimate = rows / frictionless_rate if frictionless_rate else float("nan")
                theirs, label = (estimate, float("nan"), b""), "frictionless*"
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
                report = json.loads(theirs[2])
                reference = parity.errors_of(package, report)[0]
                issues = json.loads(ours[2])["issues"]
                mine = {
                    (i["resource"], i["line"], i["field"])
                    for i in issues
                    if i["severity"] == "error" and i["code"] not in parity.OWN_CODES
                }
                verdict = "same" if mine == reference else "DIFFERENT"
                print(
                    f"{'':>9} parity: {verdict} ({len(reference)} frictionless errors, "
                    f"{len(mine - reference)} extra, {len(reference - mine)} missing)"
                )
    if not args.skip_frictionless and any(rows > args.frictionless_max for rows in sizes):
        print("* frictionless carried over from its rate on the largest size it ran")


if __name__ == "__main__":
    main()
