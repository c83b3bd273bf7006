"""The engine's shape (issue 11, docs/architecture.md): the layering of engine/src, one of each building block, a
short run() driver, and criteria that come from one registry."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "engine" / "src"
INCLUDE = ROOT / "engine" / "include" / "tierslieux"

# engine/src/detail: the lowest layer; it may use only these public headers (no network, territory, criteria…)
LOWEST_PUBLIC = {"errors.hpp", "geometry.hpp"}


def _sources():
    return sorted(p for p in SRC.rglob("*") if p.suffix in (".cpp", ".hpp"))


def _includes(path: Path):
    return re.findall(r'#include [<"]([^>"]+)[>"]', path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("header", sorted(p.name for p in (SRC / "detail").iterdir()))
def test_detail_includes_nothing_above_it(header):
    for inc in _includes(SRC / "detail" / header):
        if inc.startswith("tierslieux/"):
            assert inc.split("/", 1)[1] in LOWEST_PUBLIC, f"detail/{header} includes {inc}"
        assert not inc.startswith(("run/", "criteria/", "graph/")), f"detail/{header} includes {inc}"


def test_the_graph_layer_does_not_know_the_run():
    for path in [SRC / "network.cpp", SRC / "hierarchy.cpp", SRC / "osm.cpp", *(SRC / "graph").iterdir()]:
        for inc in _includes(path):
            assert not inc.startswith(("run/", "criteria/")), f"{path.name} includes {inc}"
            assert inc not in ("tierslieux/pipeline.hpp", "tierslieux/territory.hpp"), f"{path.name} includes {inc}"


def _function_lengths(text: str):
    """(name, lines) of each function defined at namespace level: a signature at column 0 up to its '}' line."""
    lines = text.split("\n")
    out, start, name = [], None, None
    for i, line in enumerate(lines):
        if start is None:
            m = re.match(r"^[A-Za-z_][\w:<>,\s*&]*?\b([\w:~]+)\(", line)
            if m and not line.startswith(("namespace", "using", "struct", "class", "template", "static_assert")) \
                    and not line.rstrip().endswith(";"):
                j = i
                while j < len(lines) and not lines[j].rstrip().endswith(("{", ";")):
                    j += 1
                if j < len(lines) and lines[j].rstrip().endswith("{"):
                    start, name = i, m.group(1)
        elif line.startswith("}"):
            out.append((name, i - start + 1))
            start = None
    return out


def test_run_is_a_short_driver():
    lengths = dict(_function_lengths((SRC / "pipeline.cpp").read_text(encoding="utf-8")))
    assert "run" in lengths
    assert lengths["run"] <= 80
    # the measure sees a long function
    long = "void f() {\n" + "    x();\n" * 200 + "}\n"
    assert _function_lengths(long) == [("f", 202)]


def test_no_function_of_the_engine_is_long():
    for path in _sources():
        for name, n in _function_lengths(path.read_text(encoding="utf-8")):
            assert n <= 150, f"{path.relative_to(ROOT)}: {name} has {n} lines"


def test_one_of_each_building_block():
    def files_with(pattern):
        rx = re.compile(pattern)
        return sorted(str(p.relative_to(SRC)) for p in _sources() if rx.search(p.read_text(encoding="utf-8")))

    assert files_with(r"std::partial_sum") == ["detail/csr.hpp"]          # one CSR builder
    assert files_with(r"std::vector<std::thread>") == ["detail/parallel.hpp"]  # one thread pool
    assert files_with(r"bgi::rtree<") == ["network.cpp"]                  # one nearest-point index
    assert files_with(r"class length_search|PointIndex") == []
    # one Dijkstra: Network's (hierarchy.cpp's witness and upward searches keep their heap in a std::vector with
    # std::push_heap, in per-thread scratch; portfolio.cpp's queue is not a graph search)
    assert files_with(r"priority_queue<") == ["portfolio.cpp"]
    assert files_with(r"grouped_by_node\{") == ["run/graph.cpp"]        # communes by node, built once


def test_each_criterion_family_has_its_file_and_the_catalogue_comes_from_the_registry():
    import tierslieux as tl

    families = {p.stem for p in (SRC / "criteria").glob("*.cpp")} - {"registry"}
    assert families == {"demand", "broadband", "commute", "building", "competition", "observed"}
    names = []
    for family in sorted(families):
        names += re.findall(r'\{\{"([a-z_<>T0-9]+)", "', (SRC / "criteria" / f"{family}.cpp").read_text("utf-8"))
    assert sorted(names) == sorted(tl.criteria()["name"])


def test_docs_criteria_tables_are_the_registry():
    import importlib.util

    spec = importlib.util.spec_from_file_location("criteria_tables", ROOT / "scripts" / "criteria_tables.py")
    tables = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tables)
    text = (ROOT / "docs" / "criteria.md").read_text(encoding="utf-8")
    generated = tables.tables()
    assert tables.with_tables(text, generated) == text, "run scripts/criteria_tables.py --write"
    assert sum(body.count("\n| `") for body in generated.values()) == 15
    # the comparison can fail: a changed registry text is seen
    changed = dict(generated, demand=generated["demand"].replace("people", "persons", 1))
    assert tables.with_tables(text, changed) != text


def test_run_headers_do_not_include_the_criteria():
    for header in (SRC / "run").glob("*.hpp"):
        for inc in _includes(header):
            assert not inc.startswith("criteria/"), f"run/{header.name} includes {inc}"
