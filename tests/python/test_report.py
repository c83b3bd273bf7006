"""tl.report: the self-contained HTML report, checked in a real browser.

Headless Chromium (Debian's) opens the report from disk with the network switched off (DevTools
``Network.emulateNetworkConditions offline``). The test drives it over the DevTools protocol through
``--remote-debugging-pipe`` (standard library only: no Selenium, no chromedriver), records every request the page
makes and every console message and uncaught exception, clicks with real mouse events (table headers, a site on
the map, a table row) and checks the DOM after the scripts ran. It saves the screenshot docs/images/report.png
(with TIERSLIEUX_DOCS_IMAGES=1; otherwise into the temporary folder).
A machine without Chromium fails these tests (the test set-up installs it: ``apt-get install chromium``).
"""
from __future__ import annotations

import base64
import fcntl
import hashlib
import json
import os
import re
import select
import shutil
import struct
import subprocess
import tempfile
import time
import warnings
from pathlib import Path

import pandas as pd
import pytest

import tierslieux as tl
from tierslieux import _report

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT = ROOT / "docs" / "images" / "report.png"                  # the map, best site selected
SCREENSHOT_SUMMARY = ROOT / "docs" / "images" / "report_summary.png"  # the top of the page
WIDTH, HEIGHT = 1400, 900


# ----------------------------------------------------------------------------------------------------------------
# a small DevTools-protocol client over --remote-debugging-pipe (fd 3: commands in, fd 4: replies out, each JSON
# message ended by a NUL byte)

class Chromium:
    """Headless Chromium driven over its DevTools pipe; ``events`` keeps every event received."""

    def __init__(self, width: int = WIDTH, height: int = HEIGHT):
        binary = shutil.which("chromium") or shutil.which("chromium-browser")
        if binary is None:
            pytest.fail("Chromium is not installed: the report's browser test needs it (apt-get install chromium)")
        self.profile = tempfile.TemporaryDirectory(prefix="tl-chromium-")
        r_cmd, self._write_fd = os.pipe()
        self._read_fd, w_out = os.pipe()
        # the child's ends above 10 (so that placing them at 3 and 4 cannot clobber one another), closed on exec
        child_in = fcntl.fcntl(r_cmd, fcntl.F_DUPFD_CLOEXEC, 10)
        child_out = fcntl.fcntl(w_out, fcntl.F_DUPFD_CLOEXEC, 10)
        os.close(r_cmd)
        os.close(w_out)

        def pipes_at_3_and_4():
            os.dup2(child_in, 3)  # dup2 leaves 3 and 4 open across exec
            os.dup2(child_out, 4)

        args = [binary, "--headless=new", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe",
                f"--user-data-dir={self.profile.name}", "--no-first-run", "--no-default-browser-check",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-extensions", "--disable-default-apps", "--mute-audio", f"--window-size={width},{height}",
                "about:blank"]
        self.stderr = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=self.stderr,
                                     close_fds=False, preexec_fn=pipes_at_3_and_4)
        os.close(child_in)
        os.close(child_out)
        self._id = 0
        self._buffer = b""
        self.events: list = []
        self.session = None

    def _receive(self, deadline: float) -> list:
        wait = deadline - time.monotonic()
        ready, _, _ = select.select([self._read_fd], [], [], max(wait, 0))
        if not ready:
            raise TimeoutError("no answer from Chromium")
        chunk = os.read(self._read_fd, 1 << 20)
        if not chunk:
            self.stderr.seek(0)
            log = self.stderr.read().decode(errors="replace")[-2000:]
            raise RuntimeError(f"Chromium closed its DevTools pipe: {log}")
        self._buffer += chunk
        *messages, self._buffer = self._buffer.split(b"\0")
        return [json.loads(m) for m in messages]

    def send(self, method: str, params: dict = None, *, session: bool = True, timeout: float = 60):
        self._id += 1
        message = {"id": self._id, "method": method, "params": params or {}}
        if session and self.session:
            message["sessionId"] = self.session
        os.write(self._write_fd, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            for m in self._receive(deadline):
                if m.get("id") == self._id:
                    if "error" in m:
                        raise RuntimeError(f"{method}: {m['error']}")
                    return m.get("result", {})
                self.events.append(m)

    def wait_for(self, method: str, timeout: float = 60) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            for m in self.events:
                if m.get("method") == method:
                    return m
            self.events.extend(self._receive(deadline))

    def open_offline(self, url: str) -> None:
        """A new tab with the network off, every request and console message recorded; then ``url`` loaded."""
        target = self.send("Target.createTarget", {"url": "about:blank"}, session=False)["targetId"]
        self.session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True},
                                 session=False)["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.send(f"{domain}.enable")
        self.send("Network.emulateNetworkConditions", {"offline": True, "latency": 0, "downloadThroughput": -1,
                                                       "uploadThroughput": -1})
        self.send("Emulation.setDeviceMetricsOverride", {"width": WIDTH, "height": HEIGHT, "deviceScaleFactor": 1,
                                                         "mobile": False})
        self.events.clear()
        self.send("Page.navigate", {"url": url})
        self.wait_for("Page.loadEventFired")

    def js(self, expression: str):
        """The value of a JavaScript expression in the page (an exception in it fails the test)."""
        r = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True})
        if "exceptionDetails" in r:
            raise AssertionError(f"{expression}: {r['exceptionDetails']}")
        return r["result"].get("value")

    def click(self, selector: str) -> None:
        """A real mouse click (move, press, release) at the centre of the element, scrolled into view first (by the
        page, not the map: scrolling one of Leaflet's panes would shift the map under its own layers)."""
        box = self.js(f"""(function () {{
            var el = document.querySelector({json.dumps(selector)});
            if (!el) {{ return null; }}
            if (el.closest(".leaflet-container")) {{  // scroll the page only: never the map's own panes
                var r = el.getBoundingClientRect();
                window.scrollBy({{top: r.top + r.height / 2 - window.innerHeight / 2, behavior: "instant"}});
            }} else {{
                el.scrollIntoView({{block: "center", behavior: "instant"}});
            }}
            // two frames, so that the compositor hit-tests the scrolled page (a busy machine lags a frame)
            return new Promise(function (done) {{ requestAnimationFrame(function () {{ requestAnimationFrame(
                function () {{ var b = el.getBoundingClientRect();
                              done([b.left + b.width / 2, b.top + b.height / 2]); }}); }}); }}); }})()""")
        assert box is not None, f"nothing matches {selector}"
        for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
            self.send("Input.dispatchMouseEvent", {"type": kind, "x": box[0], "y": box[1], "button": "left",
                                                   "clickCount": 1})

    def screenshot(self) -> bytes:
        return base64.b64decode(self.send("Page.captureScreenshot", {"format": "png"})["data"])

    def problems(self) -> list:
        """Console errors and warnings, uncaught exceptions and failed loads, as text."""
        out = []
        for e in self.events:
            method, p = e.get("method"), e.get("params", {})
            if method == "Runtime.exceptionThrown":
                out.append(f"exception: {p['exceptionDetails']}")
            elif method == "Runtime.consoleAPICalled" and p.get("type") in ("error", "warning", "assert"):
                out.append(f"console.{p['type']}: {p.get('args')}")
            elif method == "Log.entryAdded" and p["entry"].get("level") in ("error", "warning"):
                out.append(f"log: {p['entry'].get('text')} {p['entry'].get('url', '')}")
            elif method == "Network.loadingFailed":
                out.append(f"failed load: {p.get('errorText')}")
        return out

    def requests(self) -> list:
        return [e["params"]["request"]["url"] for e in self.events if e.get("method") == "Network.requestWillBeSent"]

    def close(self) -> None:
        try:
            self.send("Browser.close", session=False, timeout=10)
        except Exception:  # noqa: BLE001 - closed below either way
            pass
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._write_fd)
        os.close(self._read_fd)
        self.stderr.close()
        self.profile.cleanup()


@pytest.fixture
def browser():
    b = Chromium()
    try:
        yield b
    finally:
        b.close()


# ----------------------------------------------------------------------------------------------------------------
# results

def _territory_path() -> Path:
    """The embedded territory; in a source tree whose package was not installed, its source geodata/baronnies.gpkg."""
    p = tl.default_territory_path()
    return p if p.is_file() else ROOT / "geodata" / "baronnies.gpkg"


@pytest.fixture(scope="module")
def result():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", tl.DataWarning)  # the default territory's one warning: test_api checks it
        return tl.score(tl.load_territory(_territory_path()), progress=False)


@pytest.fixture(scope="module")
def report_fr(result, tmp_path_factory):
    path = tmp_path_factory.mktemp("report") / "baronnies.html"
    start = time.perf_counter()
    out = tl.report(result, path, k=5, minutes=20)
    seconds = time.perf_counter() - start
    print(f"report: {out.stat().st_size} bytes in {seconds:.2f} s")
    return out


def _save_png(path: Path, data: bytes) -> None:
    """A screenshot for docs/, checked (1400 × 900, not blank) and written to a temporary file then renamed. The
    test run leaves the repository alone: the files go to the temporary folder, and into docs/images only with
    TIERSLIEUX_DOCS_IMAGES=1 (`TIERSLIEUX_DOCS_IMAGES=1 make test-python` refreshes them)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", data[16:24]) == (WIDTH, HEIGHT)
    assert len(data) > 50_000  # a blank page is a few kilobytes
    if os.environ.get("TIERSLIEUX_DOCS_IMAGES") != "1":
        path = Path(tempfile.gettempdir()) / "tierslieux-screenshots" / path.name
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


# ----------------------------------------------------------------------------------------------------------------
# in the browser

def test_report_renders_offline_in_chromium(report_fr, result, browser):
    url = report_fr.resolve().as_uri()
    browser.open_offline(url)
    assert browser.js("document.documentElement.getAttribute('data-ready')") == "1", browser.problems()
    meta = result.attrs["tierslieux"]

    # the map: Leaflet's container with one path per commune, one marker per site, the study-area outline
    assert browser.js("document.querySelector('#map').classList.contains('leaflet-container')")
    assert browser.js("document.querySelectorAll('#map path.commune').length") == len(meta.communes)
    assert browser.js("document.querySelectorAll('#map path.site-marker').length") == len(result)
    assert browser.js("document.querySelectorAll('#map path.study-area').length") == 1
    assert browser.js("document.querySelectorAll('#map .pf-label').length") == 5
    assert browser.js("document.querySelectorAll('#map path.catchment').length") == 0  # nothing selected yet

    # the ranking: one row per site, by rank
    ranks = browser.js("Array.from(document.querySelectorAll('#ranking tbody tr')).map(r => +r.cells[0].dataset.v)")
    assert ranks == list(range(1, len(result) + 1))

    def column(key):
        return browser.js(f"""(function () {{
            var th = document.querySelector('#ranking th[data-key="{key}"]');
            var i = Array.prototype.indexOf.call(th.parentNode.children, th);
            return Array.from(document.querySelectorAll('#ranking tbody tr')).map(r => r.cells[i].dataset.v); }})()""")

    # a click on "Score" sorts by score, highest first; a second click reverses; "Rang" restores the ranking
    browser.click('#ranking th[data-key="score"] button')
    scores = [float(v) for v in column("score")]
    assert scores == sorted(result["score"].round(4).tolist(), reverse=True)
    assert browser.js("document.querySelector('#ranking th[data-key=\"score\"]').getAttribute('aria-sort')") \
        == "descending"
    browser.click('#ranking th[data-key="score"] button')
    assert [float(v) for v in column("score")] == sorted(scores)
    browser.click('#ranking th[data-key="pop_15min"] button')
    pops = [float(v) for v in column("pop_15min")]
    assert pops == sorted(pops, reverse=True) and pops[0] == pytest.approx(result["pop_15min"].max(), abs=0.1)
    browser.click('#ranking th[data-key="rank"] button')
    assert [int(v) for v in column("rank")] == list(range(1, len(result) + 1))

    # a click on a site of the map shows its catchment polygons and its details
    best = result.sort_values("rank").iloc[0]
    browser.js("document.documentElement.style.scrollBehavior = 'auto'")
    browser.click(f'#map path.site-marker[data-site="{best.site_id}"]')
    assert browser.js("document.getElementById('map').dataset.selected") == best.site_id
    expected = int((meta.catchments["site_id"] == best.site_id).sum())
    assert expected == 2
    assert browser.js("document.querySelectorAll('#map path.catchment').length") == expected
    assert best["name"] in browser.js("document.getElementById('site-info-body').textContent")
    assert browser.js(f"document.querySelector('#ranking tr[data-site=\"{best.site_id}\"]').classList"
                      ".contains('selected')")

    # and a click on a row of the table selects that site instead
    third = result.sort_values("rank").iloc[2]
    browser.click(f'#ranking tr[data-site="{third.site_id}"] td:nth-child(2)')
    assert browser.js("document.getElementById('map').dataset.selected") == third.site_id
    assert browser.js("document.querySelectorAll('#map path.catchment').length") == \
        int((meta.catchments["site_id"] == third.site_id).sum())

    # the communes' colour follows the choice in the legend
    before = browser.js("Array.from(document.querySelectorAll('#map path.commune')).map(p => p.getAttribute('fill'))")
    browser.click('input[name="shade"][value="1"]')  # people within 30 min instead of 15
    after = browser.js("Array.from(document.querySelectorAll('#map path.commune')).map(p => p.getAttribute('fill'))")
    assert before != after

    # nothing left the file: the one request is the report itself, and no element points anywhere else
    assert browser.requests() == [url], browser.requests()
    assert browser.js("Array.from(document.querySelectorAll('[src],[href]'))"
                      ".map(e => e.getAttribute('src') || e.getAttribute('href'))"
                      ".filter(v => !v.startsWith('#'))") == []
    assert browser.js("document.querySelectorAll('link, iframe, img, object, embed').length") == 0
    assert browser.problems() == []

    # the screenshot for docs/: the page as it opens, scrolled to the map, the best site clicked (its catchment
    # and details shown)
    browser.events.clear()
    browser.send("Page.reload")
    browser.wait_for("Page.loadEventFired")
    assert browser.js("document.documentElement.getAttribute('data-ready')") == "1"
    browser.js("document.documentElement.style.scrollBehavior = 'auto'; window.scrollTo(0, 0)")  # a reload keeps
    _save_png(SCREENSHOT_SUMMARY, browser.screenshot())                                          # the scroll
    browser.js("window.scrollTo(0, document.getElementById('map-section').getBoundingClientRect().top"
               " + window.scrollY - 6)")
    browser.click(f'#map path.site-marker[data-site="{best.site_id}"]')
    time.sleep(0.3)  # let the tooltip and styles settle
    _save_png(SCREENSHOT, browser.screenshot())
    assert browser.requests() == [url]
    assert browser.problems() == []


def test_english_report_in_chromium(result, tmp_path, browser):
    path = tl.report(result, tmp_path / "baronnies_en.html", lang="en", top=3)
    text = path.read_text(encoding="utf-8")
    assert '<html lang="en">' in text
    for words in ("Summary", "Ranking", "Methods", "What a score means", "relative to the candidates compared",
                  "People within 15 min", "33,195"):
        assert words in text, words
    for mot in ("Classement", "Méthode", "Ce que dit un score", "habitants"):
        assert mot not in text, mot
    assert text.count('<article class="card"') == 3 and 'id="portfolio"' not in text
    browser.open_offline(path.resolve().as_uri())
    assert browser.js("document.documentElement.getAttribute('data-ready')") == "1"
    assert browser.js("document.querySelectorAll('#ranking tbody tr').length") == len(result)
    assert browser.js("document.querySelectorAll('#map path.site-marker').length") == len(result)
    assert browser.requests() == [path.resolve().as_uri()]
    assert browser.problems() == []


# ----------------------------------------------------------------------------------------------------------------
# the file

def test_french_content(report_fr, result):
    text = report_fr.read_text(encoding="utf-8")
    meta = result.attrs["tierslieux"]
    assert '<html lang="fr">' in text
    best = result.sort_values("rank").iloc[0]
    for words in ("En bref", "Classement", "Ce que dit un score", "relatif aux candidats comparés",
                  "33\u202f195", "98 communes", "145 bâtiments candidats", "entre communes qui se touchent",
                  "comptent aussi dans la demande", best["name"], "Parc naturel régional des Baronnies provençales",
                  "Portefeuille : choisir 5 sites ensemble", "<svg class=\"curve\"", "Licence Ouverte 2.0",
                  "non vérifiée", "commute_pole_missing", "stability_seed = 20261128", "BSD 2-Clause License"):
        assert words in text, words
    assert text.count('<article class="card"') == 20  # top 20 by default
    assert text.count("<tr data-site=") == len(result) + 5  # the ranking and the portfolio's table
    assert "Habitants à 15 min" in text or "Hab. à 15 min" in text
    assert meta.inputs[0]["sha256"] in text


def test_size_and_time(result, tmp_path):
    start = time.perf_counter()
    path = tl.report(result, tmp_path / "r.html", k=5, minutes=20)
    seconds = time.perf_counter() - start
    size = path.stat().st_size
    assert size < 3_000_000, size  # the default territory, every commune and catchment inline
    assert seconds < 20, seconds  # about 1 s on the test machine; generous for a loaded CI


def test_no_url_outside_leaflet(report_fr):
    """No http:// or https:// anywhere in the file except inside Leaflet's own script and stylesheet, inlined as
    released (leaflet_assets: less the source-map line and the three icon urls): the script's header comment
    (leafletjs.com), the SVG namespace name it passes to createElementNS (an identifier, never fetched) and the
    link of its attribution prefix (switched off by the report, prefix: false); two bug-tracker references in
    comments of the stylesheet. The licence text has none."""
    text = report_fr.read_text(encoding="utf-8")
    js, css, licence = _report.leaflet_assets()
    assert text.count(js) == 1 and text.count(css) == 1
    rest = text.replace(js, "").replace(css, "")
    assert not re.search(r"https?://", rest, re.IGNORECASE), re.findall(r".{0,60}https?://.{0,60}", rest, re.I)
    assert not re.search(r"""\b(src|href)\s*=(?!\s*["']?#)""", rest, re.IGNORECASE)  # only links within the page
    assert "@import" not in text and "@font-face" not in text and "sourceMappingURL" not in text
    assert "url(" not in rest
    assert re.findall(r"url\([^)]*\)", css) == ["url(#default#VML)"]  # an old-IE behaviour, not a file

    def urls(t):
        return sorted(set(re.findall(r"https?://[^\s\"'<>)]+", t)))

    assert urls(js) == ["http://www.w3.org/2000/svg", "https://leafletjs.com"]
    assert urls(css) == ["https://bugs.chromium.org/p/chromium/issues/detail?id=600120",
                         "https://bugzilla.mozilla.org/show_bug.cgi?id=888319"]
    assert urls(licence) == []


def test_vendored_leaflet_is_the_release():
    vendor = Path(_report.__file__).resolve().parent / "_vendor" / "leaflet"
    sha = {name: hashlib.sha256((vendor / name).read_bytes()).hexdigest() for name in ("leaflet.js", "leaflet.css")}
    assert sha == {"leaflet.js": "db49d009c841f5ca34a888c96511ae936fd9f5533e90d8b2c4d57596f4e5641a",
                   "leaflet.css": "a7837102824184820dfa198d1ebcd109ff6d0ff9a2672a074b9a1b4d147d04c6"}
    assert "BSD 2-Clause License" in (vendor / "LICENSE").read_text(encoding="utf-8")
    assert _report.LEAFLET_VERSION in (vendor / "leaflet.js").read_text(encoding="utf-8")[:200]


def test_bad_lang_is_an_input_error(result, tmp_path):
    out = tmp_path / "r.html"
    with pytest.raises(tl.InputError, match="lang 'de' is not supported"):
        tl.report(result, out, lang="de")
    assert not out.exists()


@pytest.mark.parametrize("kwargs, message", [
    ({"top": -1}, "top must be a whole number"),
    ({"top": 2.5}, "top must be a whole number"),
    ({"k": 3}, "k and minutes go together"),
    ({"minutes": 20}, "k and minutes go together"),
    ({"k": 0, "minutes": 20}, "k must be a whole number"),
])
def test_bad_arguments(result, tmp_path, kwargs, message):
    out = tmp_path / "r.html"
    with pytest.raises(tl.InputError, match=message):
        tl.report(result, out, **kwargs)
    assert not out.exists()


def test_bad_path_and_result(result, tmp_path):
    with pytest.raises(tl.InputError, match="must end in .html"):
        tl.report(result, tmp_path / "r.pdf")
    with pytest.raises(tl.InputError, match="GeoDataFrame returned by tierslieux.score"):
        tl.report(pd.DataFrame({"a": [1]}), tmp_path / "r.html")
    portfolio = tl.choose_sites(result, 2, 20)
    with pytest.raises(tl.InputError, match="either portfolio"):
        tl.report(result, tmp_path / "r.html", portfolio=portfolio, k=2, minutes=20)
    with pytest.raises(tl.InputError, match="tierslieux.choose_sites"):
        tl.report(result, tmp_path / "r.html", portfolio=result.head(2))
    assert not (tmp_path / "r.html").exists()


def test_given_portfolio_is_shown(result, tmp_path):
    portfolio = tl.choose_sites(result, 3, 20, objective="p-median")
    text = tl.report(result, tmp_path / "r.html", portfolio=portfolio, top=0).read_text(encoding="utf-8")
    assert "p-médiane" in text and 'id="cards"' not in text
    data = json.loads(re.search(r'id="report-data">(.*?)</script>', text, re.S).group(1))
    assert [p["id"] for p in data["portfolio"]] == portfolio.sort_values("order")["site_id"].tolist()


def test_failed_write_leaves_the_old_file(result, tmp_path, monkeypatch):
    out = tmp_path / "report.html"
    out.write_text("the report of last week", encoding="utf-8")

    def broken(tmp, text):
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text[: len(text) // 2])
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(_report, "_write", broken)
    with pytest.raises(OSError, match="disk full"):
        tl.report(result, out)
    assert out.read_text(encoding="utf-8") == "the report of last week"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]  # no temporary left behind


def test_a_folder_is_refused(result, tmp_path):
    folder = tmp_path / "named.html"
    folder.mkdir()
    with pytest.raises(tl.InputError, match="is a folder"):
        tl.report(result, folder)
    assert folder.is_dir() and not any(folder.iterdir())


def test_other_territory_says_its_sources_are_not_known(tiny_territory, tmp_path):
    """Synthetic territory (conftest): no embedded source table, the file's vintage fields instead."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", tl.DataWarning)
        small = tl.score(tl.load_territory(tiny_territory), progress=False, stability_draws=0)
    text = tl.report(small, tmp_path / "tiny.html", lang="en").read_text(encoding="utf-8")
    assert "not the one shipped with the tool" in text
    assert "broadband.vintage: synthetic" in text
    assert "IGN – ADMIN EXPRESS" not in text and "ADMIN EXPRESS" not in text  # no source named that is not known
    assert "Rank stability was not measured" in text
    assert "— tiny</title>" in text  # no territory layer: the file's name stands for the territory's
