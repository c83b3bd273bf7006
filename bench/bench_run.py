#!/usr/bin/env python3
"""Wall time of `tierslieux run` on the default territory (GeoPackage with its styles, and the PNG map): one warm-up
run, then the median of N runs, and where the time goes (the run's own --verbose timings; "start-up" is the wall
time minus the run's total: the interpreter, imports and argument parsing).

    .venv/bin/python bench/bench_run.py [--runs 5]
"""
from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    exe = Path(sys.executable).with_name("tierslieux")
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [str(exe), "run", "--out", str(Path(tmp) / "baronnies.gpkg"), "--quiet", "--verbose"]
        subprocess.run(cmd, check=True, capture_output=True)  # warm-up (first run: file cache, imports)
        times, splits = [], []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            done = subprocess.run(cmd, check=True, capture_output=True, text=True)
            times.append(time.perf_counter() - t0)
            split = {m.group(1).strip(): float(m.group(2))
                     for m in re.finditer(r"^ {2,4}(\S.*?)\s+(\d+\.\d+)$", done.stderr, re.M)}
            split["start-up"] = times[-1] - split["total"]
            splits.append(split)
    print(f"tierslieux run (default territory, with map): median {statistics.median(times):.2f} s over "
          f"{args.runs} runs (min {min(times):.2f}, max {max(times):.2f})")
    print("median seconds per step:")
    for step in splits[0]:
        print(f"  {step:<32} {statistics.median(s.get(step, 0.0) for s in splits):7.3f}")


if __name__ == "__main__":
    main()
