"""Every workbench panel in a real browser: Voilà serves tests/notebooks/panels.ipynb on 127.0.0.1 and headless
Debian chromium (Playwright) steps the HalfCheetah stepper, browses the buffer, changes hyperparameters (a bad value
refused, a good one recorded in metrics.jsonl) and starts / pauses / resumes / stops training from the dashboard.

Screenshots go to `$ST_RL_SCREENSHOTS` (default: the test's tmp dir); `ST_RL_SCREENSHOTS=nbs/images` refreshes the
ones the docs show. Skipped, with the reason, where chromium, voila or playwright is missing."""
import json
import os
import re
import time
from pathlib import Path

import pytest

from tests.browser import browser_page, chromium_path, click_button, open_voila, set_text, voila_server

pytest.importorskip("voila", reason="voila is not installed (pip install -e '.[dev]')")
pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install -e '.[dev]')")
pytestmark = pytest.mark.skipif(chromium_path() is None, reason="Debian's chromium is not on PATH (apt-get install chromium)")

NB = Path(__file__).parent / "notebooks" / "panels.ipynb"


def status(page, panel: str) -> str:
    return page.locator(f".{panel} .st-rl-status").first.inner_text()


def wait_status(page, panel: str, pattern: str, timeout: float = 60) -> str:
    "Poll a panel's status line until it matches `pattern` (regex); return it."
    t0, text = time.monotonic(), ""
    while time.monotonic() - t0 < timeout:
        text = status(page, panel)
        if re.search(pattern, text): return text
        time.sleep(0.2)
    raise AssertionError(f"{panel} status never matched {pattern!r}; last: {text!r}")


def iteration(text: str) -> int:
    return int(re.search(r"iteration (\d+)", text).group(1))


def img_src(page, panel: str, index: int = 0) -> str:
    return page.locator(f".{panel} img.widget-image").nth(index).get_attribute("src") or ""


def test_every_panel_in_chromium(tmp_path):
    shots = Path(os.environ.get("ST_RL_SCREENSHOTS", tmp_path)); shots.mkdir(parents=True, exist_ok=True)
    log_dir = tmp_path / "run"
    env = {**os.environ, "ST_RL_PANELS_LOG_DIR": str(log_dir), "MUJOCO_GL": os.environ.get("MUJOCO_GL", "egl")}
    with voila_server(NB, timeout=120, env=env) as url, browser_page(width=1300, height=1000) as page:
        open_voila(page, url, selector=".st-rl-dashboard", timeout=180)

        # rollout stepper: one step, then ten; the robot's frame changes
        assert re.search(r"step 0 of the episode", status(page, "st-rl-stepper"))
        src0 = img_src(page, "st-rl-stepper")
        click_button(page, "Step")
        wait_status(page, "st-rl-stepper", r"step 1 of the episode")
        set_text(page, "n", 10)
        click_button(page, "Step n")
        wait_status(page, "st-rl-stepper", r"step 11 of the episode")
        assert img_src(page, "st-rl-stepper") not in ("", src0)
        assert "reward_forward" in page.locator(".st-rl-stepper").inner_text()
        box = page.locator(".st-rl-stepper img.widget-image").first.bounding_box()   # the 320x240 frame, as shown
        assert box["height"] > 100 and abs(box["width"] / box["height"] - 4 / 3) < 0.02, box   # beside a tall table
        page.locator(".st-rl-stepper").screenshot(path=str(shots / "panel_stepper.png"))

        # buffer inspector: another env, its plot is redrawn
        plot0 = img_src(page, "st-rl-buffer")
        set_text(page, "env", 2)
        wait_status(page, "st-rl-buffer", r"env 2")
        assert img_src(page, "st-rl-buffer") != plot0
        page.locator(".st-rl-buffer").screenshot(path=str(shots / "panel_buffer.png"))

        # hyperparameters: a bad value is refused in the panel, a good one is queued
        set_text(page, "clip_param", 5)
        click_button(page, "Apply")
        assert "refused: clip_param must be in (0, 1)" in page.locator(".st-rl-hyperparameters").inner_text()
        set_text(page, "entropy_coef", 0.005)
        click_button(page, "Apply")
        assert "queued: entropy_coef=0.005" in page.locator(".st-rl-hyperparameters").inner_text()
        page.locator(".st-rl-hyperparameters").screenshot(path=str(shots / "panel_hyperparameters.png"))

        # dashboard: start, pause (training holds), resume, stop
        set_text(page, "iterations", 100000)
        click_button(page, "Start", wait_idle=False)
        wait_status(page, "st-rl-dashboard", r"running · iteration [3-9]|running · iteration \d\d", timeout=120)
        click_button(page, "Pause")
        held = iteration(wait_status(page, "st-rl-dashboard", r"paused"))
        time.sleep(1.5)
        assert iteration(status(page, "st-rl-dashboard")) == held, "training moved while paused"
        click_button(page, "Resume", wait_idle=False)
        wait_status(page, "st-rl-dashboard", rf"running · iteration (?!{held}\b)\d+", timeout=120)
        time.sleep(2.5)                                   # the curves redraw (refresh_s=1)
        page.wait_for_function("[...document.querySelectorAll('.st-rl-dashboard .bqplot path.line')].some(p => (p.getAttribute('d') || '').length > 20)", timeout=60_000)   # the charts drew curves
        page.locator(".st-rl-dashboard").screenshot(path=str(shots / "panel_dashboard.png"))
        click_button(page, "Stop", wait_idle=False)
        final = iteration(wait_status(page, "st-rl-dashboard", r"stopped", timeout=120))
        page.screenshot(path=str(shots / "workbench_page.png"), full_page=True)

    lines = [json.loads(l) for l in (log_dir / "metrics.jsonl").read_text().splitlines()]
    assert len(lines) == final and final > held
    changed = [l for l in lines if "hyperparameters" in l]
    assert len(changed) == 1 and changed[0]["hyperparameters"] == {"entropy_coef": 0.005}
    assert (log_dir / f"model_{final}.pt").exists()               # stop() saved a checkpoint
    for name in ("panel_stepper", "panel_buffer", "panel_hyperparameters", "panel_dashboard", "workbench_page"):
        assert (shots / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
