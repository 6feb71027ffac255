"""Time `opendata-jz validate` against `frictionless validate` on the bundled package.

Both run as whole processes, cold, alternately, several times; the script prints the median
wall time of each and their ratio. Absolute times are noisy on shared machines: quote the
ratio. Also times `opendata-jz --help`.

    python bench/validate_bundled.py [--runs 7] [--package datapackage.json]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def tool(name: str) -> str:
    beside = Path(sys.executable).with_name(name)
    found = str(beside) if beside.exists() else shutil.which(name)
    if not found:
        sys.exit(f"{name} is not installed (pip install -e . in this environment)")
    return found


def wall(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--package", default="datapackage.json")
    args = parser.parse_args()
    commands = {
        "opendata-jz validate": [tool("opendata-jz"), "validate", args.package],
        "frictionless validate": [tool("frictionless"), "validate", args.package],
        "opendata-jz --help": [tool("opendata-jz"), "--help"],
    }
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(args.runs):
        for name, command in commands.items():
            times[name].append(wall(command))
    medians = {name: statistics.median(values) for name, values in times.items()}
    for name, value in medians.items():
        print(f"{name:<24} median {value:6.3f} s over {args.runs} runs")
    ratio = medians["frictionless validate"] / medians["opendata-jz validate"]
    print(
        f"opendata-jz validate takes {1 / ratio:.2f}x the time of frictionless validate "
        f"(frictionless / opendata-jz = {ratio:.2f}), while running frictionless itself plus "
        "the pandera, rule and provenance layers"
    )


if __name__ == "__main__":
    main()
