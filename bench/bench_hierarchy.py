"""Contraction hierarchy build (issue 13, section 3): tl.Network.prepare_hierarchy on 1 and 2 threads, on the
SYNTHETIC 1e6-node road-like grid and on real OSM extracts of ../shared/osm-real, and its file (save / load).

One subprocess per (graph, threads), each with a FRESH tl.Network:

* build s: wall time of ``prepare_hierarchy(threads=T)``; CPU s: user + system time of the process over it (all
  threads); busy: mean number of cores kept busy by OTHER processes of the machine meanwhile (/proc/stat minus
  our own CPU time): this machine is shared, and busy near 1 or above inflates the times;
* shortcuts: from the saved file's header (arcs of the hierarchy that are not arcs of the graph);
* peak MB: the process's peak resident memory (VmHWM) above its resident memory just before the build;
* query s: median of 3 runs of a 1,000 x 1,000 ``travel_times(algorithm="hierarchy", threads=T)`` (origins and
  destinations drawn once, seed 42);
* save s, file MB, load s: ``save_hierarchy`` to /tmp, then a second fresh Network of the same arrays and
  ``load_hierarchy`` (checksums and shape checked), the cache's cost against the build's.

The grid is bench_accessibility.py's ``synthetic_grid`` (imported from it: ~100 m spacing +-10 m jitter, 10 % of the
edges removed, 30/50/80 km/h stripes, largest component, two-way), with its weights quantized to 1e-3 minute
(+1e-7) like bench_accessibility.py's, so that the build is that of its ``ours-ch`` rows. It is cached in
/tmp/tierslieux-bench-hierarchy. Real extracts are read with ``tl.Network.from_osm(path, crs=...)`` (car profile,
directed, the largest strongly connected part).

With ``--before SITE`` the same measures run against another build of the package (for the engine before this
change: ``SITE`` holds a ``tierslieux`` package with its ``_core`` module); an engine without the ``threads``
argument of ``prepare_hierarchy`` (or without ``save_hierarchy``) is measured on one thread (and without file).

    .venv/bin/python bench/bench_hierarchy.py [--graphs 1e6 baltimore liechtenstein] [--threads 1 2]
                                              [--before SITE] [--label after]
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import struct
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_accessibility import quantize, synthetic_grid  # noqa: E402 - the grids of the accessibility bench

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
CACHE = Path("/tmp/tierslieux-bench-hierarchy")
OSM_REAL_DIR = REPO.parent / "shared" / "osm-real"
OSM_REAL = {"monaco": ("monaco.osm.pbf", "EPSG:32632"), "liechtenstein": ("liechtenstein.osm.pbf", "EPSG:32632"),
            "baltimore": ("baltimore.osm.pbf", "EPSG:32618"), "andorra": ("andorra.osm.pbf", "EPSG:32631")}
QUERY = 1000  # origins and destinations of the timed matrix


# ---------------------------------------------------------------------------------------------------- graphs
def grid_file(name: str) -> Path:
    path = CACHE / f"grid_{name}.npz"
    if not path.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        x, y, f, t, length, kmh = synthetic_grid(int(float(name)))
        minutes = length / (kmh * 1000.0 / 60.0)
        minutes = quantize(minutes)
        tmp = path.with_suffix(".part.npz")
        np.savez(tmp, x=x, y=y, f=f, t=t, length=length, minutes=minutes)
        os.replace(tmp, path)
    return path


def make_network(tl, name: str):
    """A fresh tl.Network of the graph, and how to make another of the same arrays."""
    if name in OSM_REAL:
        file, crs = OSM_REAL[name]

        def make():
            try:
                return tl.Network.from_osm(str(OSM_REAL_DIR / file), crs=crs, hierarchy_cache=False)
            except TypeError:  # an engine without the cache
                return tl.Network.from_osm(str(OSM_REAL_DIR / file), crs=crs)
    else:
        g = np.load(grid_file(name))

        def make():
            return tl.Network(g["x"], g["y"], g["f"], g["t"], g["minutes"], True, edge_length_m=g["length"])
    return make(), make


# ---------------------------------------------------------------------------------------------------- measures
def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _machine_cpu() -> float:
    with open("/proc/stat") as fh:
        fields = [float(v) for v in fh.readline().split()[1:]]
    return (sum(fields) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")  # all but idle and iowait


def _rss_mb(key: str) -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(key):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def _reset_peak() -> None:
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
    except OSError:
        pass


def measure_one(name: str, threads: int) -> dict:
    import tierslieux as tl

    net, make = make_network(tl, name)
    n = net.node_count
    rng = np.random.default_rng(42)
    origins, destinations = rng.choice(n, min(QUERY, n), replace=False), rng.choice(n, min(QUERY, n), replace=False)
    _reset_peak()
    base = _rss_mb("VmRSS")
    wall0, cpu0, machine0 = time.perf_counter(), _cpu(), _machine_cpu()
    try:
        net.prepare_hierarchy(threads=threads)
        used_threads = threads
    except TypeError:  # the engine before: one thread, no argument
        net.prepare_hierarchy()
        used_threads = 1
    build_s = time.perf_counter() - wall0
    cpu_s = _cpu() - cpu0
    busy = max(0.0, (_machine_cpu() - machine0 - cpu_s) / build_s)
    peak = _rss_mb("VmHWM") - base
    queries = []
    for _ in range(3):
        t0 = time.perf_counter()
        net.travel_times(origins, destinations, threads=threads, algorithm="hierarchy")
        queries.append(time.perf_counter() - t0)
    out = {"graph": name, "nodes": n, "arcs": int(net._core.arc_count), "threads": used_threads,
           "build_s": build_s, "cpu_s": cpu_s, "busy": busy, "peak_mb": peak, "query_s": float(np.median(queries)),
           "engine": tl._core.__file__}
    if hasattr(net, "save_hierarchy"):
        file = CACHE / f"{name}-{threads}.ch"
        CACHE.mkdir(parents=True, exist_ok=True)
        t0 = time.perf_counter()
        net.save_hierarchy(file)
        out["save_s"] = time.perf_counter() - t0
        header = file.read_bytes()[:64]
        assert header[:4] == b"TLCH"
        out["shortcuts"] = struct.unpack_from("<Q", header, 40)[0]
        out["file_mb"] = file.stat().st_size / 1e6
        other = make()
        t0 = time.perf_counter()
        other.load_hierarchy(file)
        out["load_s"] = time.perf_counter() - t0
        assert other.hierarchy_origin["source"] == "loaded"
        a = net.travel_times(origins[:50], destinations, algorithm="hierarchy")
        b = other.travel_times(origins[:50], destinations, algorithm="hierarchy")
        assert np.array_equal(a, b, equal_nan=True), "the loaded hierarchy gives other times"
        file.unlink()
    return out


def _fmt(v, digits=3):
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:.{digits}g}"
    return f"{v:,}" if isinstance(v, int) else str(v)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--graphs", nargs="+", default=["1e6", "baltimore", "liechtenstein"])
    ap.add_argument("--threads", nargs="+", type=int, default=[1, 2])
    ap.add_argument("--before", help="a folder holding another build of the tierslieux package (PYTHONPATH)")
    ap.add_argument("--label", default=None, help="the engine's name in the table (default: after / before)")
    ap.add_argument("--one", nargs=2, metavar=("GRAPH", "THREADS"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(measure_one(args.one[0], int(args.one[1]))))
        return
    label = args.label or ("before" if args.before else "after")
    env = dict(os.environ)
    if args.before:
        env["PYTHONPATH"] = os.pathsep.join([args.before, env.get("PYTHONPATH", "")])
    for name in args.graphs:
        if name not in OSM_REAL:
            grid_file(name)  # built once, outside the timed subprocesses
    rows = []
    for name in args.graphs:
        for threads in args.threads:
            run = subprocess.run([sys.executable, __file__, "--one", name, str(threads)], env=env, cwd="/tmp",
                                 capture_output=True, text=True)
            if run.returncode != 0:
                print(run.stderr, file=sys.stderr)
                raise SystemExit(f"{name}, {threads} thread(s): failed")
            row = json.loads(run.stdout.strip().splitlines()[-1])
            row["engine"] = label
            rows.append(row)
            print(json.dumps(row), file=sys.stderr, flush=True)
    print("| graph | nodes | arcs | engine | threads | build s | CPU s | busy | shortcuts | peak MB | "
          f"query s ({QUERY} x {QUERY}) | save s | file MB | load s |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        graph = f"synthetic {r['graph']}" if r["graph"] not in OSM_REAL else f"{r['graph']} (OSM)"
        print(f"| {graph} | {r['nodes']:,} | {r['arcs']:,} | {r['engine']} | {r['threads']} | {_fmt(r['build_s'])} | "
              f"{_fmt(r['cpu_s'])} | {r['busy']:.2f} | {_fmt(r.get('shortcuts'))} | {r['peak_mb']:.0f} | "
              f"{_fmt(r['query_s'])} | {_fmt(r.get('save_s'))} | {_fmt(r.get('file_mb'))} | {_fmt(r.get('load_s'))} |")


if __name__ == "__main__":
    main()
