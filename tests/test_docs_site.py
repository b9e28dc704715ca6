"""The documentation site as a reader meets it: `st_rl docs` builds it once (offline, installing nothing), then the
pages are checked as files and in a real browser (Debian chromium through Playwright, from a local static server).

`ST_RL_DOCS_SCREENSHOTS=DIR pytest tests/test_docs_site.py` also saves screenshots of the index, the PPO chapter and
a tutorial into DIR (the ones in nbs/images/ were made so)."""
import json
import os
import re
import subprocess
import sys
import time
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from tests.conftest import ROOT
from tests.browser import browser_page, chromium_path, static_server

pytest.importorskip("sphinx", reason="the docs need Sphinx (pip install -e '.[dev]')")
pytest.importorskip("myst_nb", reason="the docs need myst-nb (pip install -e '.[dev]')")

GROUPS = ["Tutorials", "Environments", "Storage", "Modules", "Algorithms", "Runners", "Workbench", "Command line",
          "Reference"]


def _pythons() -> list[str]:
    "The Python environments a build could install into: this one, its base interpreter and the system's."
    found = {}
    for exe in (sys.executable, str(Path(sys.base_prefix) / "bin" / "python3"), "/usr/bin/python3"):
        if Path(exe).exists() and subprocess.run([exe, "-m", "pip", "--version"], capture_output=True).returncode == 0:
            found.setdefault(os.path.realpath(exe) if exe != sys.executable else exe, exe)
    return list(found.values())


def _freeze(exe: str) -> str:
    return subprocess.run([exe, "-m", "pip", "freeze", "--all"], capture_output=True, text=True, timeout=120).stdout


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """`st_rl docs --out DIR` with traps first on PATH (`quarto`, `sudo`, `pip`, `pip3`: each notes that it ran) and
    every reachable Python's `pip freeze` taken before and after."""
    tmp = tmp_path_factory.mktemp("docs")
    traps, ran = tmp / "traps", tmp / "ran.txt"
    traps.mkdir()
    for name in ("quarto", "sudo", "pip", "pip3"):
        (traps / name).write_text(f"#!/bin/sh\necho {name} \"$@\" >> '{ran}'\nexit 1\n")
        (traps / name).chmod(0o755)
    pythons = _pythons()
    before = {exe: _freeze(exe) for exe in pythons}
    out = tmp / "_site"
    env = {**os.environ, "PATH": f"{traps}{os.pathsep}{os.environ.get('PATH', '')}"}
    t0 = time.perf_counter()
    r = subprocess.run([sys.executable, "-m", "st_rl", "docs", "--out", str(out)], cwd=ROOT, capture_output=True,
                       text=True, timeout=900, env=env)
    seconds = time.perf_counter() - t0
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    after = {exe: _freeze(exe) for exe in pythons}
    report = json.loads(r.stdout.strip().splitlines()[-1])
    print(f"\ndocs site: {report['pages']} pages, {report['warnings']} Sphinx warnings, built in {seconds:.0f} s")
    return dict(out=out, report=report, before=before, after=after, ran=ran, pythons=pythons)


class _Page(HTMLParser):
    """The parts of an HTML page the checks read: its links, scripts, stylesheets, images and visible text (prose, not
    code: a chapter may quote `#| export` in code)."""
    def __init__(self):
        super().__init__()
        self.refs, self.scripts, self.styles, self.text, self._skip = [], [], [], [], 0
        self.title, self.meta_description, self._in_title = "", None, False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in ("script", "style", "pre", "code"): self._skip += 1
        if tag == "title": self._in_title = True
        if tag == "script" and a.get("src"): self.scripts.append(a["src"])
        if tag == "link" and a.get("href"):
            self.styles.append(a["href"])
            self.refs.append(a["href"])
        if tag == "a" and a.get("href"): self.refs.append(a["href"])
        if tag in ("img", "script", "source") and a.get("src"): self.refs.append(a["src"])
        if tag == "meta" and a.get("name") == "description": self.meta_description = a.get("content", "")

    def handle_endtag(self, tag):
        if tag in ("script", "style", "pre", "code"): self._skip = max(0, self._skip - 1)
        if tag == "title": self._in_title = False

    def handle_data(self, data):
        if self._in_title: self.title += data
        elif not self._skip: self.text.append(data)


def _parse(path: Path) -> _Page:
    p = _Page()
    p.feed(path.read_text(encoding="utf-8"))
    return p


def _html_pages(out: Path) -> list[Path]:
    return [p for p in out.rglob("*.html") if "_modules" not in p.parts]


def test_build_installs_nothing(site):
    assert not site["ran"].exists(), f"the build ran {site['ran'].read_text()}"
    assert site["pythons"], "no Python with pip found to compare"
    for exe in site["pythons"]:
        assert site["before"][exe] == site["after"][exe], f"pip freeze of {exe} changed around st_rl docs"


def test_every_notebook_has_a_page(site):
    out, nbs = site["out"], ROOT / "nbs"
    names = [p.relative_to(nbs).with_suffix(".html") for p in nbs.rglob("*.ipynb")
             if not any(part.startswith((".", "_")) for part in p.relative_to(nbs).parts)]
    assert len(names) >= 50 and site["report"]["pages"] == len(names)
    missing = [str(n) for n in names if not (out / n).is_file()]
    assert not missing, missing
    assert (out / "searchindex.js").stat().st_size > 100_000 and (out / "search.html").is_file()
    assert "clip_param" in (out / "searchindex.js").read_text()


def test_no_leaks_prompts_or_network(site):
    leaks, prompts, network = [], [], []
    for page in _html_pages(site["out"]):
        p, rel = _parse(page), page.relative_to(site["out"])
        text = "".join(p.text)
        for pat in (r"\{target=", r"\{\.[\w-]+", r"\{#[\w-]+\}", r"^:::", r"#\| ", r"\bIn \[\d*\]:", r"\bOut\[\d*\]:"):
            for m in re.finditer(pat, text, re.M):
                (prompts if "In \\[" in pat or "Out\\[" in pat else leaks).append(f"{rel}: {text[m.start():m.start() + 40]!r}")
        html = page.read_text(encoding="utf-8")
        for m in re.finditer(r'<div class="cell_output docutils container">\s*</div>', html): prompts.append(f"{rel}: empty output")
        for ref in p.scripts + p.styles:
            if urlsplit(ref).scheme in ("http", "https") or ref.startswith("//"): network.append(f"{rel}: {ref}")
        assert "`" not in p.title, (rel, p.title)
        if p.meta_description is not None: assert "`" not in p.meta_description, (rel, p.meta_description)
    assert not leaks, leaks[:20]
    assert not prompts, prompts[:20]
    assert not network, network[:20]


def test_every_local_link_and_image_resolves(site):
    out, broken, checked = site["out"].resolve(), [], 0
    for page in out.rglob("*.html"):
        for ref in _parse(page).refs:
            parts = urlsplit(ref)
            if parts.scheme in ("http", "https", "mailto", "data") or ref.startswith(("#", "//")): continue
            assert not parts.scheme, (page, ref)
            target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
            checked += 1
            if not target.is_relative_to(out) or not target.exists(): broken.append(f"{page.relative_to(out)} -> {ref}")
    assert checked > 5000, checked
    assert not broken, broken[:20]


def test_pages_read_like_docs(site):
    out = site["out"]
    ppo = (out / "06_ppo.html").read_text(encoding="utf-8")
    assert 'id="st_rl.algorithms.ppo.surrogate_loss"' in ppo                        # an API entry, with its anchor
    assert 'href="_modules/st_rl/algorithms/ppo.html#surrogate_loss"' in ppo          # ... and its source lines
    assert 'href="_modules/st_rl/algorithms/ppo.html#PPO.update"' in ppo              # a @patch method's too
    assert "Show code cell source" in ppo and "PPO ratio clip epsilon" in ppo          # folded code; a field table
    src = (out / "_modules/st_rl/algorithms/ppo.html").read_text(encoding="utf-8")
    assert 'id="PPO.update"' in src
    table = re.search(r"<table.*?</table>", (out / "tutorials/00_course.html").read_text(encoding="utf-8"), re.S)
    order = [h for h in re.findall(r'href="([^"#]+)"', table.group(0))]       # the course: the 8 tutorials, in order
    assert order == sorted(p.with_suffix(".html").name for p in (ROOT / "nbs/tutorials").glob("0[1-9]_*.ipynb")), order
    runner = (out / "08_runner.html").read_text(encoding="utf-8")
    assert "Tutorials that use this chapter" in runner and "tutorials/01_first_ppo.html" in runner
    assert "What you will learn." in (out / "tutorials/01_first_ppo.html").read_text(encoding="utf-8")
    assert (out / "tutorials/07_motion_priors.html").is_file() and (out / "_images/panel_dashboard.png").stat().st_size
    assert "_images/panel_stepper.png" in (out / "14_widgets.html").read_text(encoding="utf-8")   # the panels' pictures


@pytest.mark.skipif(chromium_path() is None, reason="Debian's chromium is not on PATH (apt-get install chromium)")
def test_site_in_a_browser(site):
    pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install -e '.[dev]')")
    shots = os.environ.get("ST_RL_DOCS_SCREENSHOTS")
    with static_server(site["out"]) as url, browser_page(width=1400, height=900) as page:
        page.goto(url + "index.html")
        captions = [c.strip() for c in page.locator(".sidebar-tree p.caption").all_inner_texts()]
        assert captions == [g.upper() for g in GROUPS], captions          # the theme shows captions in capitals
        if shots: page.screenshot(path=f"{shots}/docs_index.png")
        page.goto(url + "06_ppo.html")
        page.wait_for_selector("mjx-container", state="attached")
        assert page.locator("mjx-container").count() >= 3
        assert "$\\" not in page.inner_text("article") and "\\(" not in page.inner_text("article")
        if shots: page.screenshot(path=f"{shots}/docs_ppo.png")
        page.goto(url + "search.html?q=clip_param")
        page.wait_for_selector("#search-results ul.search li a")
        # Sphinx adds the hits one by one: wait for the PPO chapter's (a timeout where it never comes)
        page.wait_for_function("() => [...document.querySelectorAll('#search-results ul.search li a')]"
                               ".some(a => a.getAttribute('href').split('?')[0].endsWith('06_ppo.html'))", timeout=30_000)
        hits = page.eval_on_selector_all("#search-results ul.search li a", "els => els.map(e => e.getAttribute('href'))")
        assert any(h.split("?")[0].endswith("06_ppo.html") for h in hits), hits
        page.goto(url + "tutorials/01_first_ppo.html")
        page.wait_for_selector("article h1")
        if shots: page.screenshot(path=f"{shots}/docs_tutorial.png")
        assert page.blocked_requests == [], page.blocked_requests
