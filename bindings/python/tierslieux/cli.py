"""Command line: score candidate sites (run), choose k of them (portfolio), compare a scenario (compare), write
the report for a council (report), a blank table to fill in (template).

``tierslieux run`` scores a territory and writes a GeoPackage that opens styled in QGIS, a map and, with
``--report``, the HTML report; ``portfolio`` chooses k sites together; ``compare`` compares a scenario with the base
run; ``report`` writes the HTML report alone; ``template observations`` a blank site_observations table;
``batch`` scores every partition of a large territory file (EPCI, département…) on Dask (docs/scale.md).

Exit codes: 0 success, 2 bad command line, 3 bad input data, 4 file could not be read or written, 130 interrupted
(Ctrl-C), 143 terminated (SIGTERM), 1 anything else.
"""
from __future__ import annotations

import argparse
import signal
import sys
import time
import warnings
from pathlib import Path
from typing import List, Optional

EXIT_USAGE, EXIT_INPUT, EXIT_IO, EXIT_OTHER = 2, 3, 4, 1


def _settings_options(parser: argparse.ArgumentParser) -> None:
    """The options of a run (tl.Settings), the same for every subcommand."""
    from tierslieux._settings import Settings

    Settings.add_arguments(parser.add_argument_group("options of the run (tl.Settings; docs/outputs.md)"))


def _lang_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--lang", choices=["fr", "en"], default="fr",
                        help="language of what people read: summaries, map, field titles, explanations (fr)")


#: What the command line prints, in French and English (the tables keep their column names: the contract).
_SAY = {
    "fr": {"territory": "territoire : {}", "road": "graphe routier de {}", "commune": "graphe des communes",
           "counts": "communes : {} ({} dans le territoire), sites : {}, liaisons du réseau : {} ({})",
           "top": "Les {} meilleurs sites :", "wrote": "écrit {}", "and": " et ",
           "warning": "avertissement : {}", "more": "avertissement : … et {} autres (--verbose les affiche)",
           "scenario": "scénario : {}", "changed": "{} sites sur {} changent ; par leur rang dans le scénario :",
           "within_t": "habitants du territoire à moins de T minutes du site candidat le plus proche :",
           "best_k": "meilleurs ensembles de k sites, habitants à moins de {} minutes :",
           "covering": "{} sites à moins de {} minutes de {} habitants ({}) :",
           "pmedian": "{} sites (p-médian) pour {} habitants ({}) : {} minutes en moyenne jusqu'au plus proche",
           "left_out": "laissées de côté : {} communes ({} habitants) qu'aucun site n'atteint",
           "unserved": "non desservies : {} communes ({} habitants) qu'aucun site choisi n'atteint, comptées à leur "
                       "temps le plus long vers un site",
           "curve": "courbe de couverture :", "demand": {"territory": "territoire", "all": "tous"}},
    "en": {"territory": "territory: {}", "road": "road graph of {}", "commune": "commune commute graph",
           "counts": "communes: {} ({} in the territory), sites: {}, network edges: {} ({})",
           "top": "Top {} sites:", "wrote": "wrote {}", "and": " and ",
           "warning": "warning: {}", "more": "warning: … and {} more (--verbose shows them)",
           "scenario": "scenario: {}", "changed": "{} of {} sites change; by their rank in the scenario:",
           "within_t": "people of the territory within T minutes of the nearest candidate site:",
           "best_k": "best k sites, people within {} minutes:",
           "covering": "{} sites within {} minutes of {} people ({}):",
           "pmedian": "{} sites (p-median) for {} people ({}): {} minutes to the nearest on average",
           "left_out": "left out: {} communes ({} people) that no site reaches",
           "unserved": "unserved: {} communes ({} people) that no chosen site reaches, counted at their longest "
                       "time to any site",
           "curve": "coverage curve:", "demand": {"territory": "territory", "all": "all"}},
}


def build_parser() -> argparse.ArgumentParser:
    from tierslieux import __version__

    parser = argparse.ArgumentParser(prog="tierslieux", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"tierslieux {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = sub.add_parser("run", help="score the candidate sites of a territory",
                         description="Score and rank the candidate sites of a territory; write a GeoPackage "
                                     "(layers sites, communes, network_edges, catchments; docs/outputs.md) and a "
                                     "PNG map.")
    run.add_argument("--territory", metavar="PATH",
                     help="territory file (default: the embedded Baronnies provençales territory)")
    run.add_argument("--out", metavar="PATH", help="GeoPackage to write (default: out/<territory>.gpkg)")
    run.add_argument("--map", metavar="PATH", help="PNG map to write (default: <out>_sites.png)")
    run.add_argument("--no-map", action="store_true", help="do not draw the map")
    run.add_argument("--report", metavar="PATH.html", nargs="?", const="",
                     help="also write the HTML report for a council (default path: <out>.html; docs/report.md)")
    run.add_argument("--table", metavar="PATH.csv|PATH.xlsx",
                     help="also write the ranking with its explanation, one row per site, for a spreadsheet "
                          "(.csv or .xlsx)")
    _lang_option(run)
    _settings_options(run)
    run.add_argument("--top", type=int, default=10, help="how many sites to print and label (10)")
    run.add_argument("--verbose", "-v", action="store_true", help="print timings per stage and every warning")
    run.add_argument("--quiet", "-q", action="store_true", help="no progress bar, no table")

    pf = sub.add_parser("portfolio", help="choose k sites together (maximal covering or p-median)",
                        description="Choose the k sites that together put the most people within --minutes of one "
                                    "of them (--objective coverage) or give people the fewest minutes to the "
                                    "nearest one (--objective p-median); write a GeoPackage with the run's layers "
                                    "plus portfolio and coverage_curve (docs/criteria.md).")
    pf.add_argument("--k", type=int, required=True, help="number of sites, fixed ones included")
    pf.add_argument("--minutes", type=float, required=True,
                    help="travel time T in minutes (p-median: for the coverage reported alongside)")
    pf.add_argument("--objective", choices=["coverage", "p-median"], default="coverage",
                    help="most people within T (coverage, default) or fewest person-minutes to the nearest site "
                         "(p-median)")
    pf.add_argument("--fixed", metavar="SITE_ID", nargs="+", default=[],
                    help="sites kept in every solution (places that already exist)")
    pf.add_argument("--min-spacing-m", type=float, help="no two chosen sites closer than this (straight metres)")
    pf.add_argument("--score-floor", type=float, help="only sites scoring at least this may be chosen")
    pf.add_argument("--demand", choices=["territory", "all"], default="territory",
                    help="people of the study area only (default) or of the neighbouring communes too")
    pf.add_argument("--out", metavar="PATH", required=True, help="GeoPackage to write")
    pf.add_argument("--map", metavar="PATH", help="PNG map of the chosen sites (default: <out>_portfolio.png)")
    pf.add_argument("--no-map", action="store_true", help="do not draw the map")
    pf.add_argument("--territory", metavar="PATH",
                    help="territory file (default: the embedded Baronnies provençales territory)")
    _lang_option(pf)
    _settings_options(pf)
    pf.add_argument("--quiet", "-q", action="store_true", help="no table")

    cp = sub.add_parser("compare", help="compare a scenario with the base run",
                        description="Score the territory as it is (base) and under a scenario file (fibre that "
                                    "arrives, sites that close or open as tiers-lieux, other weights; "
                                    "docs/criteria.md, Scenarios), then print and write the score, rank and "
                                    "coverage differences: a GeoPackage with the scenario run's layers plus "
                                    "comparison (points), coverage_comparison and, with --k, "
                                    "portfolio_comparison (tables).")
    cp.add_argument("--scenario", metavar="FILE.toml", required=True, help="the scenario file")
    cp.add_argument("--out", metavar="PATH", required=True, help="GeoPackage to write")
    cp.add_argument("--territory", metavar="PATH",
                    help="territory file (default: the embedded Baronnies provençales territory)")
    cp.add_argument("--k", type=int, help="also compare the best k sites of each run (needs --minutes)")
    cp.add_argument("--minutes", type=float, help="travel time T of that portfolio comparison")
    _lang_option(cp)
    _settings_options(cp)
    cp.add_argument("--top", type=int, default=10, help="how many changed sites to print (10)")
    cp.add_argument("--quiet", "-q", action="store_true", help="no table")
    rp = sub.add_parser("report", help="write the HTML report of a run, for a council",
                        description="Score a territory and write one self-contained HTML file (map, ranking, "
                                    "one card per site, portfolio, methods, sources, settings) that opens offline "
                                    "in any browser (docs/report.md).")
    rp.add_argument("--out", metavar="PATH.html", required=True, help="HTML file to write")
    rp.add_argument("--territory", metavar="PATH",
                    help="territory file (default: the embedded Baronnies provençales territory)")
    rp.add_argument("--k", type=int, help="also choose k sites together and show them (needs --minutes)")
    rp.add_argument("--minutes", type=float, help="travel time T of that portfolio")
    rp.add_argument("--top", type=int, default=20, help="how many of the best sites get a card (20)")
    _lang_option(rp)
    _settings_options(rp)

    bt = sub.add_parser("batch", help="score every partition of a territory file (EPCI, département…) on Dask",
                        description="Cut a territory file by a field of its communes or a list of study areas "
                                    "(--by), score each partition as its own study area with its neighbours within "
                                    "--halo-km or --halo-min, as independent Dask tasks with a checkpoint each (a "
                                    "rerun with the same --out skips the finished ones), and gather sites, "
                                    "communes, catchments and a partitions table into one GeoPackage styled as a "
                                    "single run's (docs/scale.md).")
    bt.add_argument("--by", required=True, metavar="FIELD|FILE",
                    help="field of the communes layer to partition by (e.g. epci_code), or a table of study areas "
                         "(.csv, .gpkg…) with columns study_area and commune_code, one row per commune")
    bt.add_argument("--out", metavar="PATH.gpkg", required=True,
                    help="GeoPackage to write; checkpoints go to <out stem>.parts/")
    bt.add_argument("--territory", metavar="PATH",
                    help="territory file (default: the embedded Baronnies provençales territory)")
    halo = bt.add_mutually_exclusive_group()
    halo.add_argument("--halo-km", type=float, metavar="KM",
                      help="neighbours kept around each partition: communes within this polygon distance (20)")
    halo.add_argument("--halo-min", type=float, metavar="MIN",
                      help="neighbours kept around each partition: communes whose town hall is within this many "
                           "minutes of one of its town halls, on the run's travel-time graph (instead of --halo-km)")
    cluster = bt.add_mutually_exclusive_group()
    cluster.add_argument("--workers", type=int, metavar="N",
                         help="start a local Dask cluster of N processes (default: the machine's cores)")
    cluster.add_argument("--scheduler", metavar="ADDRESS",
                         help="use an existing Dask cluster (tcp://host:8786); its workers must see the files")
    _lang_option(bt)
    _settings_options(bt)
    bt.add_argument("--quiet", "-q", action="store_true", help="no table")

    tp = sub.add_parser("template", help="write a blank table to fill in (observations)",
                        description="Write a blank table for the study's own field data: site_observations (one "
                                    "row per site and period: visits, publics, needs, uses tested, source, date). "
                                    "Fill it in and add it to the territory file (docs/inputs.md).")
    tp.add_argument("what", choices=["observations"], help="which table")
    tp.add_argument("--out", metavar="PATH.csv|PATH.gpkg", required=True, help="file to write")
    _lang_option(tp)
    return parser


def _outputs(args: argparse.Namespace, settings) -> dict:
    """The files a command will write, checked before any work: a GeoPackage path, a map path that can be
    written, and neither of them one of the command's input files (territory, roads, weights, scenario), however
    the path spells it."""
    from tierslieux import InputError
    from tierslieux._api import default_territory_path
    from tierslieux.plot import check_output

    territory = Path(args.territory) if args.territory else default_territory_path()
    inputs = [str(territory)] + [str(p) for p in (settings.roads, settings.weights_file, getattr(args, "settings", None),
                                                  getattr(args, "scenario", None)) if p]
    out = Path(args.out) if args.out else Path("out") / (territory.stem + ".gpkg")
    if out.suffix != ".gpkg":
        raise InputError(f"--out '{out}' must end in .gpkg (the results are a GeoPackage)")
    paths = {"out": check_output(out, inputs)}
    command = getattr(args, "command", None)
    if command in ("run", "portfolio") and not args.no_map:
        default = "_sites.png" if command == "run" else "_portfolio.png"
        map_path = Path(args.map) if args.map else out.with_name(out.stem + default)
        if check_output(map_path, inputs).resolve() == out.resolve():
            raise InputError(f"--map '{map_path}' is the --out GeoPackage")
        paths["map"] = map_path
    if getattr(args, "report", None) is not None:
        report = Path(args.report) if args.report else out.with_suffix(".html")
        if report.suffix.lower() not in (".html", ".htm"):
            raise InputError(f"--report '{report}' must end in .html")
        if check_output(report, inputs).resolve() in {Path(p).resolve() for p in paths.values()}:
            raise InputError(f"--report '{report}' is another output of this run")
        paths["report"] = report
    if getattr(args, "table", None):
        table = Path(args.table)
        if table.suffix.lower() not in (".csv", ".xlsx"):
            raise InputError(f"--table '{table}' must end in .csv or .xlsx")
        if check_output(table, inputs).resolve() in {Path(p).resolve() for p in paths.values()}:
            raise InputError(f"--table '{table}' is another output of this run")
        paths["table"] = table
    return paths


def _compare(args: argparse.Namespace) -> int:
    import tierslieux as tl

    settings = tl.Settings.from_args(args)
    out = _outputs(args, settings)["out"]
    scenario = tl.Scenario.from_file(args.scenario)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", tl.DataWarning)
        territory = tl.load_territory(args.territory, crs=settings.crs, assume_crs=settings.assume_crs)
        base = tl.score(territory, settings=settings, progress=False)
        result = tl.run_scenario(base, scenario, progress=False)
        frame = tl.compare(base, result, k=args.k, minutes=args.minutes)
    coverage = frame.attrs["coverage"]
    extra = {"comparison": frame, "coverage_comparison": coverage}
    if "portfolio_curve" in frame.attrs:
        extra["portfolio_comparison"] = frame.attrs["portfolio_curve"]
    tl.write_gpkg(result, out, extra_layers=extra, lang=args.lang)
    say = _SAY[args.lang]
    for w in caught[:5]:
        if issubclass(w.category, tl.DataWarning):
            print(say["warning"].format(w.message), file=sys.stderr)
    if not args.quiet:
        print(say["scenario"].format(scenario.name + (f" ({scenario.description})" if scenario.description else "")))
        changed = frame[(frame["status"] != "kept") | (frame["rank_change"] != 0) |
                        (frame["score_delta"].abs() > 0.05)]
        shown = changed.head(args.top)[["site_id", "name", "status", "rank_base", "rank_scenario", "score_base",
                                        "score_scenario", "score_delta"]].copy()
        for c in ("rank_base", "rank_scenario"):
            shown[c] = shown[c].astype("Int64")
        for c in ("score_base", "score_scenario", "score_delta"):
            shown[c] = shown[c].round(1)
        print(say["changed"].format(len(changed), len(frame)))
        print(shown.to_string(index=False))
        table = coverage.copy()
        for c in ("population_base", "population_scenario", "population_delta"):
            table[c] = table[c].round(0).astype("int64")
        for c in ("share_base", "share_scenario"):
            table[c] = (100 * table[c]).round(1).astype(str) + " %"
        print("\n" + say["within_t"])
        print(table.to_string(index=False))
        if "portfolio_curve" in frame.attrs:
            curve = frame.attrs["portfolio_curve"].copy()
            for c in ("covered_share_base", "covered_share_scenario", "covered_share_delta"):
                curve[c] = (100 * curve[c]).round(1).astype(str) + " %"
            for c in ("mean_minutes_base", "mean_minutes_scenario"):
                curve[c] = curve[c].round(1)
            print("\n" + say["best_k"].format(f"{args.minutes:g}"))
            print(curve.to_string(index=False))
        print("\n" + say["wrote"].format(out))
    return 0


def _portfolio(args: argparse.Namespace) -> int:
    import tierslieux as tl
    from tierslieux._i18n import number

    settings = tl.Settings.from_args(args)
    outputs = _outputs(args, settings)
    out = outputs["out"]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", tl.DataWarning)
        territory = tl.load_territory(args.territory, crs=settings.crs, assume_crs=settings.assume_crs)
        result = tl.score(territory, settings=settings, progress=False)
        chosen = tl.choose_sites(result, args.k, args.minutes, fixed=args.fixed, min_spacing_m=args.min_spacing_m,
                                 score_floor=args.score_floor, demand=args.demand, objective=args.objective)
    curve = chosen.attrs["coverage_curve"]
    tl.write_gpkg(result, out, extra_layers={"portfolio": chosen, "coverage_curve": curve}, lang=args.lang)
    map_path = None
    if not args.no_map:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        map_path = outputs["map"]
        plt.close(tl.plot_portfolio(result, chosen, map_path, minutes=args.minutes, lang=args.lang))
    say = _SAY[args.lang]
    for w in caught[:5]:
        if issubclass(w.category, tl.DataWarning):
            print(say["warning"].format(w.message), file=sys.stderr)
    if not args.quiet:
        params = chosen.attrs["parameters"]
        people = params["demand_population"]
        if args.objective == "coverage":
            print(say["covering"].format(len(chosen), f"{args.minutes:g}", number(people, args.lang),
                                         say["demand"][args.demand]))
        else:
            print(say["pmedian"].format(len(chosen), number(people, args.lang), say["demand"][args.demand],
                                        number(chosen["mean_minutes"].iloc[-1], args.lang, 1)))
        table = chosen.drop(columns="geometry").copy()
        for c in ("marginal_population", "covered_population", "assigned_population", "person_minutes_saved"):
            table[c] = table[c].round(0).astype("int64")
        table["mean_minutes"] = table["mean_minutes"].round(1)
        print(table.to_string(index=False))
        if params["unreachable_communes"]:
            print(say["left_out"].format(params["unreachable_communes"],
                                         number(params["unreachable_population"], args.lang)))
        if params["unserved_communes"]:
            print(say["unserved"].format(params["unserved_communes"], number(params["unserved_population"], args.lang)))
        print("\n" + say["curve"])
        shown = curve.copy()
        for c in ("covered_population", "unserved_population"):
            shown[c] = shown[c].round(0).astype("int64")
        shown["covered_share"] = (100 * shown["covered_share"]).round(1).astype(str) + " %"
        shown["mean_minutes"] = shown["mean_minutes"].round(1)
        print(shown.to_string(index=False))
        print("\n" + say["wrote"].format(say["and"].join(
            str(p) for p in (out, map_path) if p)))
    return 0


def _report(args: argparse.Namespace) -> int:
    import tierslieux as tl
    from tierslieux._api import default_territory_path
    from tierslieux.plot import check_output

    settings = tl.Settings.from_args(args)
    if (args.k is None) != (args.minutes is None):
        raise tl.InputError("--k and --minutes go together (the portfolio shown in the report)")
    territory_path = Path(args.territory) if args.territory else default_territory_path()
    inputs = [str(territory_path)] + [str(p) for p in (settings.roads, settings.weights_file, args.settings) if p]
    if Path(args.out).suffix.lower() not in (".html", ".htm"):
        raise tl.InputError(f"--out '{args.out}' must end in .html")
    check_output(args.out, inputs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", tl.DataWarning)  # the report lists every warning itself
        territory = tl.load_territory(args.territory, crs=settings.crs, assume_crs=settings.assume_crs)
        result = tl.score(territory, settings=settings, progress=False)
    out = tl.report(result, args.out, lang=args.lang, k=args.k, minutes=args.minutes, top=args.top)
    print(_SAY[args.lang]["wrote"].format(out))
    return 0


def _batch(args: argparse.Namespace) -> int:
    import tierslieux as tl
    from tierslieux._api import default_territory_path

    settings = tl.Settings.from_args(args)
    territory = Path(args.territory) if args.territory else default_territory_path()
    partitions = tl.batch(territory, args.by, halo_km=args.halo_km, halo_minutes=args.halo_min, out=args.out,
                          workers=args.workers, scheduler=args.scheduler, settings=settings, lang=args.lang)
    if not args.quiet:
        table = partitions.copy()
        table["seconds"] = table["seconds"].round(1)
        print(table.to_string(index=False))
    print(_SAY[args.lang]["wrote"].format(partitions.attrs["out"]))
    return 0


def _template(args: argparse.Namespace) -> int:
    from tierslieux._template import observations_template

    out = observations_template(args.out, lang=args.lang)
    print(_SAY[args.lang]["wrote"].format(out))
    return 0


def _load_matplotlib() -> None:
    import matplotlib

    matplotlib.use("Agg")  # a command draws to files: no window, whatever the machine has
    import matplotlib.pyplot  # noqa: F401


def _run(args: argparse.Namespace) -> int:
    import threading

    import tierslieux as tl

    settings = tl.Settings.from_args(args)
    outputs = _outputs(args, settings)
    # matplotlib takes half a second to import: it loads while the engine works (which releases the GIL)
    preload = threading.Thread(target=_load_matplotlib, daemon=True) if "map" in outputs else None
    if preload is not None:
        preload.start()
    timings = {}
    t0 = time.perf_counter()
    progress = not args.quiet and sys.stderr.isatty()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", tl.DataWarning)
        territory = tl.load_territory(args.territory, crs=settings.crs, assume_crs=settings.assume_crs)
        timings["load territory"] = time.perf_counter() - t0
        t1 = time.perf_counter()
        result = tl.score(territory, settings=settings, progress=progress)
        timings["score (total)"] = time.perf_counter() - t1
    meta = result.attrs["tierslieux"]
    for stage, seconds in meta.stage_seconds.items():
        timings[f"  engine: {stage}"] = seconds

    out = outputs["out"]
    t1 = time.perf_counter()
    tl.write_gpkg(result, out, lang=args.lang, top=args.top)
    timings["write GeoPackage"] = time.perf_counter() - t1
    if "table" in outputs:
        t1 = time.perf_counter()
        tl.export_table(result, outputs["table"], lang=args.lang)
        timings["table"] = time.perf_counter() - t1
    map_path = None
    if not args.no_map:
        map_path = outputs["map"]
        t1 = time.perf_counter()
        preload.join()
        _load_matplotlib()  # already done: makes sure of it, whatever the thread met
        fig = tl.plot_sites(result, map_path, top=args.top, lang=args.lang)
        import matplotlib.pyplot as plt

        plt.close(fig)
        timings["map"] = time.perf_counter() - t1
    if "report" in outputs:
        t1 = time.perf_counter()
        tl.report(result, outputs["report"], lang=args.lang, top=max(args.top, 20))
        timings["report (html)"] = time.perf_counter() - t1
    timings["total"] = time.perf_counter() - t0

    say = _SAY[args.lang]
    messages = [str(w.message) for w in caught if issubclass(w.category, tl.DataWarning)]
    for m in (messages if args.verbose else messages[:5]):
        print(say["warning"].format(m), file=sys.stderr)
    if not args.verbose and len(messages) > 5:
        print(say["more"].format(len(messages) - 5), file=sys.stderr)

    if not args.quiet:
        communes = meta.communes
        n_in = int(communes["in_territory"].sum())
        print(say["territory"].format(territory.path))
        graph = say["road"].format(settings.roads) if meta.graph_kind == "osm" else say["commune"]
        print(say["counts"].format(len(communes), n_in, len(result), len(meta.network_edges), graph))
        pops = [c for c in result.columns if c.startswith("pop_") and c.endswith("min")]
        stability = ["p_top10", "rank_p05", "rank_p95"] if "p_top10" in result.columns else []
        commute = ["commute_km_avoided"] if "commute_km_avoided" in result.columns else []
        cols = ["rank", "site_id", "name", "kind", "score"] + pops + commute + stability
        table = result.nsmallest(args.top, "rank")[cols].copy()
        if commute:
            table["commute_km_avoided"] = table["commute_km_avoided"].round(-2).astype("int64")
        table["score"] = table["score"].round(1)
        if stability:
            table["p_top10"] = table["p_top10"].round(2)
        for p in pops:
            table[p] = table[p].round(0).astype("int64")
        print("\n" + say["top"].format(len(table)))
        print(table.to_string(index=False))
        written = [str(p) for p in (map_path, outputs.get("table"), outputs.get("report")) if p]
        print("\n" + say["wrote"].format(say["and"].join([str(out)] + written)))
    if args.verbose:
        print("\ntimings (s):", file=sys.stderr)
        for stage, seconds in timings.items():
            print(f"  {stage:<32} {seconds:8.3f}", file=sys.stderr)
    return 0


class _Terminated(KeyboardInterrupt):
    """SIGTERM, handled as Ctrl-C is: the write in progress is cancelled and cleaned up."""


def _on_sigterm(signum, frame):
    raise _Terminated()


def _interruption_in(e: BaseException) -> Optional[KeyboardInterrupt]:
    """The Ctrl-C or SIGTERM behind an exception, if any (its cause or context, at any depth)."""
    seen = set()
    while e is not None and id(e) not in seen:
        if isinstance(e, KeyboardInterrupt):
            return e
        seen.add(id(e))
        e = e.__cause__ or e.__context__
    return None


def _interrupted(e: KeyboardInterrupt) -> int:
    terminated = isinstance(e, _Terminated)
    print(f"tierslieux: interrupted{' (SIGTERM)' if terminated else ''}; no output was left half-written",
          file=sys.stderr)
    return 128 + (signal.SIGTERM if terminated else signal.SIGINT)


def main(argv: Optional[List[str]] = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if argv is None:  # the command itself, not a caller's process: SIGTERM interrupts like Ctrl-C
        signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        import tierslieux as tl

        if args.command == "run":
            return _run(args)
        if args.command == "portfolio":
            return _portfolio(args)
        if args.command == "compare":
            return _compare(args)
        if args.command == "report":
            return _report(args)
        if args.command == "batch":
            return _batch(args)
        if args.command == "template":
            return _template(args)
    except KeyboardInterrupt as e:
        return _interrupted(e)
    except (tl.InputError, tl.GeometryError, tl.ProjectionError) as e:
        print(f"tierslieux: error: {e}", file=sys.stderr)
        return EXIT_INPUT
    except (tl.IoError, OSError) as e:
        print(f"tierslieux: error: {e}", file=sys.stderr)
        return EXIT_IO
    except Exception as e:  # noqa: BLE001 - a bug of ours: say so, with the traceback in verbose mode
        cause = _interruption_in(e)
        if cause is not None:  # a signal during an extension's import surfaces as "ImportError: initialization failed"
            return _interrupted(cause)
        if getattr(args, "verbose", False):
            import traceback

            traceback.print_exc()
        print(f"tierslieux: unexpected error (please report it): {type(e).__name__}: {e}", file=sys.stderr)
        return EXIT_OTHER
    return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
