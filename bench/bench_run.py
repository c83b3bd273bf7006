#!/usr/bin/env python3
"""Wall time of `tierslieux run` on the default territory: one warm-up run, then the median of N runs.

    .venv/bin/python bench/bench_run.py [--runs 5]
"""
from __future__ import annotations

import argparse
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
        cmd = [str(exe), "run", "--out", str(Path(tmp) / "baronnies.gpkg"), "--quiet"]
        subprocess.run(cmd, check=True, capture_output=True)  # warm-up (first run: file cache, imports)
        times = []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            subprocess.run(cmd, check=True, capture_output=True)
            times.append(time.perf_counter() - t0)
    print(f"tierslieux run (default territory, with map): median {statistics.median(times):.2f} s over "
          f"{args.runs} runs (min {min(times):.2f}, max {max(times):.2f})")


if __name__ == "__main__":
    main()
