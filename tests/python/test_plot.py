"""The maps (tl.plot_sites, tl.plot_portfolio): what is drawn is checked on the figure itself (text boxes measured
with the renderer, colour norms, legend entries, scale bar in data units), on the default Baronnies territory and
on tiny synthetic territories (conftest.py)."""
from __future__ import annotations

import dataclasses
import itertools
import re
import warnings
from pathlib import Path

import geopandas as gpd
import matplotlib

matplotlib.use("Agg")  # tests only: the package never switches the backend (notebook 01 checks it shows inline)
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from shapely.geometry import box  # noqa: E402

import tierslieux as tl  # noqa: E402
from tierslieux import _api, plot  # noqa: E402
from tierslieux._i18n import kind_label, number, percent  # noqa: E402
from conftest import write_territory  # noqa: E402

#: The territory file the package ships (tests/python/test_geodata.py checks the shipped copy is this file).
BARONNIES = Path(__file__).resolve().parents[2] / "geodata" / "baronnies.gpkg"


def quiet_score(path, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", tl.DataWarning)
        return tl.score(path, progress=False, **kw)


@pytest.fixture(scope="module")
def baronnies():
    return quiet_score(BARONNIES)


@pytest.fixture(scope="module")
def portfolio(baronnies):
    return tl.choose_sites(baronnies, 5, 20)


@pytest.fixture
def tiny(tiny_territory):
    return quiet_score(tiny_territory, thresholds=(1, 2, 3))


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def texts(fig) -> list:
    """Every text on the figure: figure texts, axes texts, legend titles and entries, colour bar titles."""
    out = list(fig.texts)
    for ax in fig.axes:
        out += list(ax.texts) + [ax.title, ax._left_title, ax._right_title]
        out += list(ax.get_xticklabels())
    for legend in fig.legends:
        out += [legend.get_title(), *legend.get_texts()]
    return [t for t in out if t.get_text()]


def words(fig) -> str:
    return "\n".join(t.get_text() for t in texts(fig))


def by_gid(fig, gid: str) -> list:
    return [a for a in fig.findobj() if a.get_gid() == gid]


def text_boxes(fig, gids=("site-label", "town-label")):
    """Display boxes (x0, y0, x1, y1) of the labels, measured with the renderer after a full draw."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    labels = [t for t in fig.axes[0].texts if t.get_gid() in gids]
    return labels, [matplotlib.text.Text.get_window_extent(t, renderer).extents for t in labels]


def intersect(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def assert_apart(boxes, what):
    for (i, a), (j, b) in itertools.combinations(enumerate(boxes), 2):
        assert not intersect(a, b), f"{what} {i} and {j} overlap: {a} {b}"


def squash(text: str) -> str:
    return "".join(text.split())


# ------------------------------------------------------------------------------------------------ plot_sites


def test_labels_of_the_default_map_do_not_overlap(baronnies):
    fig = tl.plot_sites(baronnies, top=10)
    labels, boxes = text_boxes(fig)
    sites = [t for t in labels if t.get_gid() == "site-label"]
    assert len(sites) == 10
    best = baronnies.nsmallest(10, "rank")
    # "rank. name", names from the data (long names wrap over two lines)
    assert [squash(t.get_text()) for t in sites] == [squash(f"{r}. {n}") for r, n in zip(best["rank"], best["name"])]
    assert_apart(boxes, "labels")
    # and none covers the north arrow or the scale bar, or leaves the map
    renderer = fig.canvas.get_renderer()
    furniture = [a.get_window_extent(renderer).extents for a in
                 by_gid(fig, "scale-bar") + by_gid(fig, "scale-bar-label") + by_gid(fig, "north-letter")]
    for label_box in boxes:
        assert not any(intersect(label_box, f) for f in furniture)
    frame = fig.axes[0].get_window_extent(renderer).extents
    for x0, y0, x1, y1 in boxes:
        assert frame[0] <= x0 and x1 <= frame[2] and frame[1] <= y0 and y1 <= frame[3]


def test_label_placer_keeps_a_crowd_of_labels_apart():
    """Twelve long labels on points a few metres apart: a fixed offset would pile them up; the placer must not."""
    fig = plt.figure(figsize=(8, 6))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, 1000)
    ax.set_ylim(0, 750)
    placer = plot.LabelPlacer(ax)
    for i in range(12):
        placer.add(500 + i, 375 + (i % 3), f"{i + 1}. Médiathèque intercommunale n° {i}", radius_pt=5,
                   gid="site-label", fontsize=9)
    labels, boxes = text_boxes(fig)
    assert len(labels) == 12
    assert_apart(boxes, "labels")


def test_optional_label_without_room_is_left_out():
    fig = plt.figure(figsize=(3, 2))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, 10)
    ax.set_ylim(0, 10)
    placer = plot.LabelPlacer(ax)
    placer.block_box((-1e6, -1e6, 1e6, 1e6))  # everything taken
    assert placer.add(5, 5, "Nyons", optional=True, gid="town-label") is None
    assert not ax.texts


def test_colour_scale_is_fitted_to_the_scores(baronnies):
    fig = tl.plot_sites(baronnies)
    collections = [c for c in fig.axes[0].collections if (c.get_gid() or "").startswith("sites-")]
    assert sum(len(c.get_offsets()) for c in collections) == len(baronnies)
    low, high = baronnies["score"].min(), baronnies["score"].max()
    assert high < 65  # the old 0-100 scale left every marker pale
    for c in collections:
        assert (c.norm.vmin, c.norm.vmax) == (pytest.approx(low), pytest.approx(high))
    # the colour bar shares the norm and prints both ends
    bar = [ax for ax in fig.axes if ax is not fig.axes[0] and "Score" in ax._left_title.get_text()]
    assert len(bar) == 1
    ticks = [t.get_text() for t in bar[0].get_xticklabels()]
    assert ticks[0] == number(low, "fr", 1) and ticks[-1] == number(high, "fr", 1)
    # no near-white colour: the palest marker is still clearly coloured
    rgba = np.concatenate([c.get_facecolors() for c in collections])
    assert (rgba[:, :3].min(axis=1) < 0.6).all()


def test_one_marker_and_one_legend_entry_per_kind(baronnies, tiny):
    for result in (baronnies, tiny):
        fig = tl.plot_sites(result)
        counts = result["kind"].value_counts()
        (legend,) = [lg for lg in fig.legends if lg.get_gid() == "kinds-legend"]
        entries = [t.get_text() for t in legend.get_texts()]
        assert sorted(entries) == sorted(f"{kind_label(k, 'fr', plural=n > 1)} ({n})" for k, n in counts.items())
        markers = [h.get_marker() for h in legend.legend_handles]
        assert len(set(markers)) == len(counts) == len(markers)
        for kind, n in counts.items():
            (points,) = [c for c in fig.axes[0].collections if c.get_gid() == f"sites-{kind}"]
            assert len(points.get_offsets()) == n


def test_scale_bar_is_as_long_as_it_says(baronnies, tiny):
    for result in (baronnies, tiny):
        fig = tl.plot_sites(result)
        ax = fig.axes[0]
        bars = by_gid(fig, "scale-bar")
        assert len(bars) >= 2
        left = min(b.get_x() for b in bars)
        right = max(b.get_x() + b.get_width() for b in bars)
        assert sum(b.get_width() for b in bars) == pytest.approx(right - left)  # contiguous segments
        (label,) = by_gid(fig, "scale-bar-label")
        km = float(re.fullmatch(r"([\d,.]+) km", label.get_text()).group(1).replace(",", "."))
        assert right - left == pytest.approx(km * 1000)  # EPSG:2154 is in metres
        width = np.diff(ax.get_xlim())[0]
        assert 0.08 * width <= right - left <= 0.25 * width
        assert ax.get_xlim()[0] < left and right < ax.get_xlim()[1]


def test_no_scale_bar_in_degrees():
    fig = plt.figure()
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(4.9, 5.9)
    ax.set_ylim(44.1, 44.6)
    with pytest.warns(tl.DataWarning, match="geographic CRS"):
        assert plot.add_scale_bar(ax, "EPSG:4326") == []
    assert not ax.patches


def test_north_arrow_follows_true_north(baronnies):
    """Lambert-93 east of its central meridian (3° E): true north leans west by the meridian convergence."""
    from pyproj import CRS, Proj, Transformer

    fig = tl.plot_sites(baronnies)
    ax = fig.axes[0]
    angle = np.degrees(plot._north_angle(ax, baronnies.crs))
    lon, lat = Transformer.from_crs(baronnies.crs, "EPSG:4326", always_xy=True).transform(
        np.mean(ax.get_xlim()), np.mean(ax.get_ylim()))
    convergence = Proj(CRS("EPSG:2154")).get_factors(lon, lat).meridian_convergence
    assert angle == pytest.approx(-convergence, abs=0.05) and -3 < angle < -1
    assert [t.get_text() for t in by_gid(fig, "north-letter")] == ["N"]


def test_title_says_only_what_is_drawn(baronnies, tiny, tiny_layers, tmp_path):
    # the default territory has an approximate outline: drawn, and said
    fig = tl.plot_sites(baronnies, top=10)
    (title,) = by_gid(fig, "title")
    (subtitle,) = by_gid(fig, "subtitle")
    assert title.get_text().startswith("Potentiel tiers-lieu des 145 sites candidats")
    assert "Parc naturel régional des Baronnies provençales" in title.get_text()
    assert "10 mieux classés" in subtitle.get_text()
    assert "contour du territoire (approximatif)" in subtitle.get_text()
    assert by_gid(fig, "outline")
    # no territory layer: no outline, and no word about one anywhere on the figure
    for lang, word in (("fr", "contour"), ("en", "outline")):
        fig = tl.plot_sites(tiny, top=10, lang=lang)
        assert not by_gid(fig, "outline")
        assert word not in words(fig).lower()
    fig = tl.plot_sites(tiny, top=10)
    assert by_gid(fig, "title")[0].get_text() == "Potentiel tiers-lieu des 2 sites candidats"
    assert by_gid(fig, "subtitle")[0].get_text() == "Les 2 mieux classés portent leur rang"
    fig = tl.plot_sites(tiny, top=0)
    assert not by_gid(fig, "subtitle") and not by_gid(fig, "site-label")
    # an outline that is not marked approximate is not called approximate
    outline = gpd.GeoDataFrame({"name": ["Synthetic study area"]}, geometry=[box(900_000, 6_400_000, 904_000,
                                                                                   6_401_000)], crs="EPSG:2154")
    path = write_territory(tmp_path / "with_outline.gpkg", {**tiny_layers, "territory": outline})
    fig = tl.plot_sites(quiet_score(path, thresholds=(1, 2, 3)))
    assert by_gid(fig, "outline")
    assert "contour du territoire" in by_gid(fig, "subtitle")[0].get_text()
    assert "approximatif" not in words(fig)
    assert by_gid(fig, "title")[0].get_text().endswith("— Synthetic study area")


def test_town_names_come_from_the_data(baronnies):
    fig = tl.plot_sites(baronnies, towns=6)
    communes = baronnies.attrs["tierslieux"].communes
    biggest = communes[communes["in_territory"]].nlargest(6, "population")["name"].tolist()
    towns = [t.get_text() for t in by_gid(fig, "town-label")]
    assert towns and set(towns) <= set(biggest) and "Nyons" in towns  # a town with no room is left out
    assert not by_gid(tl.plot_sites(baronnies, towns=0), "town-label")


def test_english_and_unsupported_language(baronnies, portfolio):
    fig = tl.plot_sites(baronnies, lang="en")
    text = words(fig)
    assert by_gid(fig, "title")[0].get_text().startswith("Tiers-lieu potential of the 145 candidate sites")
    assert "town halls (98)" in text and "Kind of building" in text and "people within" in text
    for french in ("mairies", "Type de bâtiment", "mieux classés", "contour", "Calcul", "habitants"):
        assert french not in text
    fig = tl.plot_portfolio(baronnies, portfolio, lang="en")
    assert "people within 20 min" in by_gid(fig, "title")[0].get_text()
    assert "Minutes to the nearest chosen site" in words(fig) and "habitants" not in words(fig)
    before = plt.get_fignums()
    with pytest.raises(tl.InputError, match="lang 'de'"):
        tl.plot_sites(baronnies, lang="de")
    with pytest.raises(tl.InputError, match="lang 'de'"):
        tl.plot_portfolio(baronnies, portfolio, lang="de")
    assert plt.get_fignums() == before  # refused before a figure is made


def test_source_line_names_the_sources_of_the_embedded_file_only(baronnies, tiny, monkeypatch):
    # the package ships geodata/baronnies.gpkg as its default territory
    monkeypatch.setattr(_api, "default_territory_path", lambda: BARONNIES)
    line = by_gid(tl.plot_sites(baronnies), "source-line")[0].get_text()
    for producer in ("INSEE", "IGN ADMIN EXPRESS", "ANCT", "ARCEP", "La Poste", "MNHN/INPN", "Licence Ouverte"):
        assert producer in line
    assert "tierslieux" in line
    line = by_gid(tl.plot_sites(tiny), "source-line")[0].get_text()
    assert "tiny.gpkg" in line and "IGN" not in line and "INSEE" not in line
    line = by_gid(tl.plot_sites(tiny, source="Données synthétiques de test."), "source-line")[0].get_text()
    assert line.startswith("Données synthétiques de test.")
    monkeypatch.setattr(_api, "default_territory_path", lambda: Path("/nonexistent/baronnies.gpkg"))
    assert "IGN" not in by_gid(tl.plot_sites(baronnies), "source-line")[0].get_text()


@pytest.mark.parametrize("kwargs, message", [({"top": -1}, "top must be"), ({"towns": 2.5}, "towns must be"),
                                             ({"column": "nope"}, "column 'nope'")])
def test_bad_arguments_are_refused(tiny, kwargs, message):
    with pytest.raises(tl.InputError, match=message):
        tl.plot_sites(tiny, **kwargs)


def test_only_a_score_result_is_mapped(tiny):
    plain = gpd.GeoDataFrame(tiny.drop(columns="geometry"), geometry=list(tiny.geometry), crs=tiny.crs)
    plain.attrs = {}
    with pytest.raises(tl.InputError, match="returned by tierslieux.score"):
        tl.plot_sites(plain)
    with pytest.raises(tl.InputError, match="returned by tierslieux.score"):
        tl.plot_portfolio(plain, tiny)


# ------------------------------------------------------------------------------------------------ files


def test_png_is_written_at_150_dpi(tiny, tmp_path):
    from PIL import Image

    out = tmp_path / "maps" / "tiny.png"
    fig = tl.plot_sites(tiny, out)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with Image.open(out) as image:
        assert image.format == "PNG"
        width, height = image.size
    assert abs(width - fig.get_figwidth() * 150) <= 1 and abs(height - fig.get_figheight() * 150) <= 1
    assert sorted(p.name for p in out.parent.iterdir()) == ["tiny.png"]


def test_failed_write_leaves_the_old_file(tiny, tmp_path, monkeypatch):
    out = tmp_path / "maps" / "map.png"
    out.parent.mkdir()
    out.write_bytes(b"old map")

    def broken(self, fname, **kwargs):
        Path(fname).write_bytes(b"\x89PNG half")
        raise OSError("disk full")

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", broken)
    with pytest.raises(OSError, match="disk full"):
        tl.plot_sites(tiny, out)
    assert out.read_bytes() == b"old map"
    assert sorted(p.name for p in out.parent.iterdir()) == ["map.png"]  # no temporary left


def test_bad_paths_are_refused_before_any_work(tiny, tiny_territory, tmp_path):
    folder = tmp_path / "a_folder"
    folder.mkdir()
    (folder / "keep.txt").write_text("x")
    before = plt.get_fignums()
    with pytest.raises(tl.InputError, match="is a folder"):
        tl.plot_sites(tiny, folder)
    assert folder.is_dir() and (folder / "keep.txt").read_text() == "x"
    territory_bytes = Path(tiny_territory).read_bytes()
    with pytest.raises(tl.InputError, match="input"):
        tl.plot_sites(tiny, tiny_territory)
    assert Path(tiny_territory).read_bytes() == territory_bytes
    with pytest.raises(tl.InputError, match="not an image format"):
        tl.plot_sites(tiny, tmp_path / "map.xyz")
    assert plt.get_fignums() == before


def test_the_backend_is_left_alone(tiny, tmp_path):
    backend = matplotlib.get_backend()
    tl.plot_sites(tiny, tmp_path / "m.png")
    assert matplotlib.get_backend() == backend


# ------------------------------------------------------------------------------------------------ plot_portfolio


def test_portfolio_numbers_each_chosen_site_in_order(baronnies, portfolio):
    fig = tl.plot_portfolio(baronnies, portfolio)
    numbers = by_gid(fig, "portfolio-number")
    assert [t.get_text() for t in numbers] == ["1", "2", "3", "4", "5"]
    ordered = portfolio.sort_values("order")
    for t, (x, y) in zip(numbers, zip(ordered.geometry.x, ordered.geometry.y)):
        assert t.get_position() == pytest.approx((x, y))
    (discs,) = by_gid(fig, "chosen-sites")
    assert len(discs.get_offsets()) == 5
    (others,) = by_gid(fig, "other-sites")
    assert len(others.get_offsets()) == len(baronnies) - 5
    labels, boxes = text_boxes(fig)
    assert [squash(t.get_text()) for t in labels if t.get_gid() == "site-label"] == [
        squash(f"{o}. {n}") for o, n in zip(ordered["order"], ordered["name"])]
    renderer = fig.canvas.get_renderer()
    assert_apart(boxes + [t.get_window_extent(renderer).extents for t in numbers], "labels and numbers")


def test_portfolio_catchments_are_the_people_it_covers(baronnies, portfolio):
    """20 minutes is not a threshold of the run: the catchments are built from the communes (the run's rule), and
    the territory's people inside them are the people choose_sites counts as covered."""
    meta = baronnies.attrs["tierslieux"]
    areas, how = plot.portfolio_catchments(baronnies, portfolio)
    assert how == "communes" and list(areas["site_id"]) == list(portfolio.sort_values("order")["site_id"])
    covered = areas.union_all()
    inside = meta.communes[meta.communes["in_territory"]]
    within = inside.representative_point().within(covered)
    assert inside.loc[within, "population"].sum() == pytest.approx(portfolio["covered_population"].iloc[-1])
    # nested between the run's own 15- and 30-minute catchments of the same site
    run = meta.catchments.set_index(["site_id", "minutes"]).geometry
    for site_id, area in zip(areas["site_id"], areas.geometry):
        assert run[(site_id, 15)].buffer(-1).within(area.buffer(1))
        assert area.buffer(-1).within(run[(site_id, 30)].buffer(1))
    fig = tl.plot_portfolio(baronnies, portfolio)
    assert len(by_gid(fig, "catchment")) == 5
    share = portfolio["covered_population"].iloc[-1] / inside["population"].sum()
    assert by_gid(fig, "title")[0].get_text() == (f"5 sites choisis ensemble : {percent(share, 'fr')} des habitants "
                                                  "du territoire à moins de 20 min")
    # the list of the order of choice gives the people each adds, from the frame
    listed = by_gid(fig, "chosen-list")[0].get_text().splitlines()
    assert [line.rsplit("+", 1)[1] for line in listed] == [
        f"{number(v, 'fr')} hab." for v in portfolio.sort_values("order")["marginal_population"]]


def test_portfolio_at_a_threshold_of_the_run_uses_its_catchments(baronnies):
    chosen = tl.choose_sites(baronnies, 3, 15)
    areas, how = plot.portfolio_catchments(baronnies, chosen)
    assert how == "run"
    run = baronnies.attrs["tierslieux"].catchments.set_index(["site_id", "minutes"]).geometry
    for site_id, area in zip(areas["site_id"], areas.geometry):
        assert area.equals(run[(site_id, 15)])
    fig = tl.plot_portfolio(baronnies, chosen)
    assert len(by_gid(fig, "catchment")) == 3 and "bassin à 15 min" in by_gid(fig, "subtitle")[0].get_text()


def test_portfolio_on_a_road_graph_without_that_threshold_says_nothing_is_drawn(baronnies, portfolio):
    road = baronnies.copy()
    road.attrs["tierslieux"] = dataclasses.replace(baronnies.attrs["tierslieux"], graph_kind="osm")
    assert plot.portfolio_catchments(road, portfolio)[1] is None
    fig = tl.plot_portfolio(road, portfolio)
    assert not by_gid(fig, "catchment")
    assert "bassins à 20 min non dessinés" in by_gid(fig, "subtitle")[0].get_text()
    assert "Bassin à" not in words(fig)  # no legend entry for what is not drawn


def test_portfolio_minutes_and_bad_chosen_frames(baronnies, portfolio, tmp_path):
    fig = tl.plot_portfolio(baronnies, portfolio, minutes=30)
    assert "à moins de 30 min" in by_gid(fig, "title")[0].get_text()
    assert not by_gid(fig, "chosen-list")  # the people gained were counted at 20 minutes, not 30
    bare = portfolio.drop(columns="geometry").copy()
    bare.attrs = {}
    with pytest.raises(tl.InputError, match="give minutes="):
        tl.plot_portfolio(baronnies, bare)
    assert by_gid(tl.plot_portfolio(baronnies, bare, minutes=20), "portfolio-number")
    with pytest.raises(tl.InputError, match="not in the result: nowhere"):
        tl.plot_portfolio(baronnies, bare.assign(site_id=["nowhere", *bare["site_id"][1:]]), minutes=20)
    with pytest.raises(tl.InputError, match="site_id"):
        tl.plot_portfolio(baronnies, bare.drop(columns="site_id"), minutes=20)
    with pytest.raises(tl.InputError, match="minutes must be"):
        tl.plot_portfolio(baronnies, portfolio, minutes=-5)
    with pytest.raises(tl.InputError, match="no chosen site"):
        tl.plot_portfolio(baronnies, bare.head(0), minutes=20)


def test_portfolio_png_is_written_atomically(baronnies, portfolio, tmp_path):
    out = tmp_path / "portfolio.png"
    out.write_bytes(b"old map")
    fig = tl.plot_portfolio(baronnies, portfolio, out)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert isinstance(fig, matplotlib.figure.Figure)
    with pytest.raises(tl.InputError, match="is a folder"):
        tl.plot_portfolio(baronnies, portfolio, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["portfolio.png"]
    written = out.read_bytes()
    with pytest.raises(tl.InputError, match="not an image format"):
        tl.plot_portfolio(baronnies, portfolio, tmp_path / "portfolio.doc")
    assert out.read_bytes() == written
