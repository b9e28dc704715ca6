"""The live rollout viewer in a real browser: Voilà serves tests/notebooks/viewer.ipynb, where HalfCheetah trains in a
`BackgroundTrainer` while a `LiveRolloutViewer` shows two envs of its own; headless Debian chromium (Playwright) sees
the frames change and the policy re-synced as training goes on, pauses the view and steps it.

Screenshots go to `$ST_RL_SCREENSHOTS` (default: the test's tmp dir). Skipped, with the reason, where chromium, voila
or playwright is missing."""
import os
import re
from pathlib import Path

import pytest

from tests.browser import browser_page, chromium_path, click_button, open_voila, voila_server

pytest.importorskip("voila", reason="voila is not installed (pip install -e '.[dev]')")
pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install -e '.[dev]')")
pytestmark = pytest.mark.skipif(chromium_path() is None, reason="Debian's chromium is not on PATH (apt-get install chromium)")

NB = Path(__file__).parent / "notebooks" / "viewer.ipynb"
SRC = "document.querySelectorAll('.st-rl-viewer img.widget-image')[0].getAttribute('src') || ''"
STATUS = "document.querySelector('.st-rl-viewer .st-rl-status').innerText"


def test_viewer_in_chromium(tmp_path):
    shots = Path(os.environ.get("ST_RL_SCREENSHOTS", tmp_path)); shots.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "MUJOCO_GL": os.environ.get("MUJOCO_GL", "egl")}
    with voila_server(NB, timeout=120, env=env) as url, browser_page(width=1200, height=900) as page:
        open_voila(page, url, selector=".st-rl-viewer", timeout=180)
        page.wait_for_function(f"({SRC}).length > 0", timeout=60_000)
        first = page.evaluate(SRC)
        page.wait_for_function(f"src => ({SRC}) !== src", arg=first, timeout=60_000)        # the robots move
        page.wait_for_function(f"/policy of iteration [1-9]/.test({STATUS})", timeout=120_000)  # re-synced
        assert "reward_forward" in page.locator(".st-rl-viewer").inner_text()
        w, h = page.evaluate("(() => { const i = document.querySelector('.st-rl-viewer img.widget-image');"
                             " const r = i.getBoundingClientRect(); return [r.width, r.height]; })()")
        assert abs(w / h - 240 / 180) < 0.02, (w, h)                                      # not stretched
        click_button(page, "Pause")
        page.wait_for_function(f"/^paused/.test({STATUS})", timeout=30_000)
        shown = int(re.search(r"(\d+) steps shown", page.evaluate(STATUS)).group(1))
        click_button(page, "Step")
        page.wait_for_function(f"n => /(\\d+) steps shown/.exec({STATUS})[1] > n", arg=shown, timeout=30_000)
        page.locator(".st-rl-viewer").screenshot(path=str(shots / "panel_viewer.png"))
