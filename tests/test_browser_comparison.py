"""The run comparison panel in a real browser: Voilà serves tests/notebooks/comparison.ipynb over two runs that differ
in their learning rate; headless Debian chromium (Playwright) sees both runs listed, their config diff and the
chart, zooms it with the mouse wheel and switches x to wall time.

Screenshots go to `$ST_RL_SCREENSHOTS` (default: the test's tmp dir). Skipped, with the reason, where chromium, voila
or playwright is missing."""
import json
import os
from pathlib import Path

import pytest

from tests.browser import browser_page, chromium_path, open_voila, voila_server

pytest.importorskip("voila", reason="voila is not installed (pip install -e '.[dev]')")
pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install -e '.[dev]')")
pytestmark = pytest.mark.skipif(chromium_path() is None, reason="Debian's chromium is not on PATH (apt-get install chromium)")

NB = Path(__file__).parent / "notebooks" / "comparison.ipynb"


def fake_run(run: Path, lr: float, slope: float) -> None:
    "A run directory as a runner leaves it: config.json and metrics.jsonl."
    run.mkdir(parents=True)
    (run / "config.json").write_text(json.dumps({"seed": 1, "algorithm": {"learning_rate": lr, "clip_param": 0.2}}))
    (run / "metrics.jsonl").write_text("".join(json.dumps({"iteration": i, "env_steps": 2048 * i, "time_elapsed": 2.0 * i,
                                                            "mean_return": slope * i}) + "\n" for i in range(1, 21)))


def test_comparison_panel_in_chromium(tmp_path):
    shots = Path(os.environ.get("ST_RL_SCREENSHOTS", tmp_path)); shots.mkdir(parents=True, exist_ok=True)
    logs = tmp_path / "logs"
    fake_run(logs / "HalfCheetah-v5" / "lr3e-4", 3e-4, 50.0)
    fake_run(logs / "HalfCheetah-v5" / "lr1e-3", 1e-3, 90.0)
    env = {**os.environ, "ST_RL_CMP_LOGS": str(logs)}
    with voila_server(NB, timeout=120, env=env) as url, browser_page(width=1200, height=1000) as page:
        open_voila(page, url, selector=".st-rl-comparison", timeout=120)
        panel = page.locator(".st-rl-comparison")
        options = panel.locator("select[multiple] option").all_inner_texts()
        assert sorted(options) == ["HalfCheetah-v5/lr1e-3", "HalfCheetah-v5/lr3e-4"], options
        page.wait_for_function("document.querySelector('.st-rl-comparison .st-rl-status').innerText.includes('2 group')")
        text = panel.inner_text()
        assert "algorithm.learning_rate" in text and "0.0003" in text and "0.001" in text, text
        chart = panel.locator(".bqplot").first
        chart.wait_for()
        ticks = lambda: panel.locator(".bqplot .axis").first.locator(".tick text").all_inner_texts()
        page.wait_for_function("document.querySelectorAll('.st-rl-comparison .bqplot .axis .tick').length > 2")
        before = ticks()
        box = chart.bounding_box()
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        for _ in range(3): page.mouse.wheel(0, -240); page.wait_for_timeout(150)
        page.wait_for_function("ticks => JSON.stringify([...document.querySelector('.st-rl-comparison .bqplot .axis')"
                               ".querySelectorAll('.tick text')].map(t => t.textContent)) !== ticks",
                               arg=__import__("json").dumps(before), timeout=15_000)
        assert ticks() != before, (before, ticks())                # a wheel zoom changed the x range
        panel.locator("button", has_text="wall time").click()
        page.wait_for_function("document.querySelector('.st-rl-comparison .bqplot').textContent.includes('wall time')")
        panel.screenshot(path=str(shots / "panel_comparison.png"))
        assert page.blocked_requests == [] or all("cdn.jsdelivr.net" in u for u in page.blocked_requests)
