"""Batch (Dask) benchmark (issue 13, section 3), on SYNTHETIC instances or real territory files.

Runs `tierslieux batch --by epci_code --workers W` as a subprocess on a territory written by
bench/synthetic_national.py (SYNTHETIC data) or a real one (geodata/departements-26-05-04-84.gpkg: the four
départements; each territory is labelled SYNTHETIC or real from its sites' `source` field), once per W (default 1 and 2), each from scratch (fresh --out, so no
checkpoint is reused), and reports:

* wall: the subprocess's wall time (CLI start, partitioning, LocalCluster start, scoring, gathering);
* partition_s: tl.partition_territory alone on the same file, timed once in this process (part of wall);
* per-partition seconds (`seconds` of the output's `partitions` table): n, min / median / p95 / max, sum;
* peak RSS per process of the subprocess tree (psutil, sampled every 0.2 s; the workers are the
  multiprocessing children of the CLI process): max over processes other than the CLI process;
* overhead per task = (wall x W - sum of partition seconds) / tasks. It charges to each task everything that is
  not scoring inside a task: imports, partitioning, cluster start, scheduling, checkpoint writes, gathering, and
  the idle time of workers at the end (so on small instances it is dominated by fixed costs);
* projection to 8 / 32 / 128 workers. Since commit b23e243 each partition is cut (its file written) by the task
  that scores it: a task's `seconds` include the cutting, and the client only reads, plans and gathers. Residual
  of the W=1 run R = wall - sum(seconds) = F + n x o (F: imports, reading, cluster start, fixed part of planning and
  gathering; o: per-task planning, dispatch, gathering). Given two territories (--territory SMALL LARGE), o and F
  are the slope and intercept of the line through their (n, R); with one, o = R / n and F = 0 (an upper bound on
  o). The per-partition seconds of the W=1 run of the largest territory (no second worker competing for the 2
  cores) are resampled with replacement (numpy default_rng(0)) to --project-partitions tasks (1,250); each task
  costs t_i + o; tasks are placed by LPT (longest first onto the least-loaded worker). Makespan(W) = F + LPT
  makespan; a variant charges n x o serially to the client: F + n x o + LPT(t_i). The single-process loop = the
  sum of the resampled t_i (cutting and scoring each partition in turn). `partition_s` (tl.partition_territory
  alone, serial) is still printed, for comparison.

Usage:
    .venv/bin/python bench/synthetic_national.py --communes 3500 --partitions 125 --sites 10000 \
        --out /tmp/tlbench/share.gpkg
    .venv/bin/python bench/bench_batch.py --territory /tmp/tlbench/share.gpkg --workers 1 2
"""
from __future__ import annotations

import argparse
import heapq
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import psutil
import pyogrio

import tierslieux as tl

HERE = Path(__file__).resolve().parent
CLI = Path(sys.executable).parent / "tierslieux"


def _label(path) -> str:
    """SYNTHETIC when the file's sites say so in their `source` field (bench/synthetic_national.py), else real."""
    sites = pyogrio.read_dataframe(path, layer="sites", read_geometry=False, max_features=1)
    source = str(sites["source"].iloc[0]) if "source" in sites.columns and len(sites) else ""
    return "SYNTHETIC" if "synthetic" in source.lower() else "real"


def _watch(proc, peaks, stop):
    root = psutil.Process(proc.pid)
    while not stop.is_set():
        try:
            procs = [root] + root.children(recursive=True)
        except psutil.NoSuchProcess:
            break
        for p in procs:
            try:
                peaks[p.pid] = max(peaks.get(p.pid, 0), p.memory_info().rss)
            except psutil.Error:
                pass
        time.sleep(0.2)


def run_batch(territory, workers, workdir, by="epci_code", halo_km=20.0, extra=()):
    out = Path(workdir) / f"batch_w{workers}.gpkg"
    parts = out.with_suffix(".parts")
    for p in (out, parts):
        if p.is_dir():
            shutil.rmtree(p)
        elif p.exists():
            p.unlink()
    cmd = [str(CLI), "batch", "--territory", str(territory), "--by", by, "--halo-km", str(halo_km),
           "--workers", str(workers), "--out", str(out), "--quiet", *extra]
    peaks, stop = {}, threading.Event()
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    th = threading.Thread(target=_watch, args=(proc, peaks, stop), daemon=True)
    th.start()
    so, se = proc.communicate()
    wall = time.perf_counter() - t0
    stop.set()
    th.join()
    if proc.returncode != 0:
        raise SystemExit(f"batch failed ({proc.returncode}): {' '.join(cmd)}\n{se[-3000:]}")
    table = pyogrio.read_dataframe(out, layer="partitions")
    cli_rss = peaks.pop(proc.pid, 0)
    return {"cmd": " ".join(cmd), "wall": wall, "table": table, "cli_peak_mb": cli_rss / 2**20,
            "worker_peak_mb": sorted((v / 2**20 for v in peaks.values()), reverse=True)}


def lpt(times, workers):
    loads = [0.0] * workers
    heapq.heapify(loads)
    for t in sorted(times, reverse=True):
        heapq.heappush(loads, heapq.heappop(loads) + t)
    return max(loads)


def stats(x):
    x = np.asarray(x, float)
    return {"n": int(x.size), "min": float(x.min()), "median": float(np.median(x)),
            "p95": float(np.percentile(x, 95)), "max": float(x.max()), "sum": float(x.sum())}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--territory", required=True, nargs="+",
                    help="territory files (bench/synthetic_national.py's SYNTHETIC ones, or real ones); "
                         "two sizes fit o and F")
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--by", default="epci_code")
    ap.add_argument("--halo-km", type=float, default=20.0)
    ap.add_argument("--project-partitions", type=int, default=1250)
    ap.add_argument("--project-workers", type=int, nargs="+", default=[8, 32, 128])
    ap.add_argument("--workdir", default=None)
    ap.add_argument("--json", default=None, help="write the figures here as JSON")
    a = ap.parse_args(argv)
    workdir = Path(a.workdir or tempfile.mkdtemp(prefix="tl-bench-batch-"))
    workdir.mkdir(parents=True, exist_ok=True)

    load0 = os.getloadavg()
    print(f"load average before: {load0[0]:.2f} {load0[1]:.2f} {load0[2]:.2f} (shared machine)")
    results = []
    for terr in a.territory:
        t0 = time.perf_counter()
        pt = tl.partition_territory(terr, a.by, halo_km=a.halo_km, out_dir=workdir / (Path(terr).stem + "_parts"))
        part_s = time.perf_counter() - t0
        n_parts = len(pt)
        print(f"{_label(terr)} territory {terr}: {n_parts} partitions; tl.partition_territory alone {part_s:.1f} s")
        runs = {}
        for w in a.workers:
            r = run_batch(terr, w, workdir / Path(terr).stem, a.by, a.halo_km)
            r["load"] = os.getloadavg()
            t = r["table"]
            secs = t["seconds"].dropna().astype(float).to_numpy()
            secs = secs[secs > 0]
            tasks = len(secs)
            if "worker_peak_mb" in t:
                r["table_worker_peak_mb"] = t.groupby("worker")["worker_peak_mb"].max().round(0).to_dict()
            r.update(tasks=tasks, stats=stats(secs), status=t["status"].value_counts().to_dict(), secs=secs,
                     overhead_per_task=(r["wall"] * w - secs.sum()) / tasks)
            runs[w] = r
            s = r["stats"]
            print(f"  W={w}: wall {r['wall']:.1f} s, {tasks} tasks, per-partition s min {s['min']:.2f} median "
                  f"{s['median']:.2f} p95 {s['p95']:.2f} max {s['max']:.2f} sum {s['sum']:.1f}; overhead/task "
                  f"(wall*W - sum)/tasks = {r['overhead_per_task']:.3f} s; peak RSS CLI {r['cli_peak_mb']:.0f} MB, "
                  f"other processes {', '.join(f'{m:.0f}' for m in r['worker_peak_mb'])} MB; load after "
                  f"{r['load'][0]:.2f}; status {r['status']}; worker_peak_mb (partitions table) "
                  f"{r.get('table_worker_peak_mb')}")
        results.append({"territory": terr, "partitions": n_parts, "partition_s": part_s, "runs": runs})

    # Projection (model stated in RESULTS.md). Since commit b23e243 each partition is cut (its file written) by the
    # task that scores it, so a task's `seconds` include the cutting and the client only plans. Residual of the
    # W=1 run: R = wall - sum(seconds) = F + n*o (F: imports, reading and planning's fixed part, cluster start,
    # gathering's fixed part; o: per-task planning, dispatch, gathering). With two territories, o and F come from
    # the line through the two (n, R) points; with one, o = R / n (an upper bound: F charged to the tasks).
    w1 = min(a.workers)
    pts = sorted((r["runs"][w1]["tasks"], r["runs"][w1]["wall"] - r["runs"][w1]["stats"]["sum"]) for r in results)
    if len(pts) >= 2 and pts[-1][0] != pts[0][0]:
        o = (pts[-1][1] - pts[0][1]) / (pts[-1][0] - pts[0][0])
        F = pts[-1][1] - o * pts[-1][0]
    else:
        o, F = pts[-1][1] / pts[-1][0], 0.0
    o, F = max(o, 0.0), max(F, 0.0)
    big = max(results, key=lambda r: r["partitions"])
    rng = np.random.default_rng(0)
    sample = rng.choice(big["runs"][w1]["secs"], size=a.project_partitions, replace=True)
    loop = sample.sum()  # one process cutting and scoring every partition, one after the other
    proj = {w: F + lpt(sample + o, w) for w in [1] + a.project_workers}
    # conservative variant: the residual per task is serial work in the client (planning, gathering each
    # checkpoint), so it does not shrink with workers
    proj_serial = {w: F + o * a.project_partitions + lpt(sample, w) for w in [1] + a.project_workers}
    print(f"projection to {a.project_partitions} partitions (per-partition seconds, cutting included, of W={w1} on "
          f"{big['territory']} resampled, seed 0): o = {o:.3f} s/task, F = {F:.1f} s; sum of sampled seconds "
          f"{sample.sum():.0f} s = single-process loop (cut and score each partition)")
    for w, v in proj.items():
        print(f"  W={w}: makespan {v:.0f} s = F + LPT {v - F:.0f} s; loop / makespan {loop / v:.1f}x; if o is "
              f"serial client work: {proj_serial[w]:.0f} s ({loop / proj_serial[w]:.1f}x)")
    if a.json:
        out = {"load_before": load0, "o": o, "F": F, "loop": loop, "sample_sum": float(sample.sum()), "projection": proj,
               "projection_serial_o": proj_serial,
               "results": [{**{k: v for k, v in r.items() if k != "runs"},
                            "runs": {w: {k: v for k, v in x.items() if k not in ("table", "secs")}
                                     for w, x in r["runs"].items()}} for r in results]}
        Path(a.json).write_text(json.dumps(out, indent=1, default=float))


if __name__ == "__main__":
    main()
