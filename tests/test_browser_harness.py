"""The real-browser harness itself (tests/browser.py): Voilà serves a small ipywidgets notebook on 127.0.0.1,
headless Debian chromium (driven by Playwright) clicks, types, reads widgets and takes a screenshot.

Skipped, with the reason, where chromium (apt-get install chromium), voila or playwright is missing."""
import re
import time
from pathlib import Path

import pytest

from tests.browser import (browser_page, chromium_path, click_button, expect_text, expect_value, input_value,
                           open_voila, read_text, set_text, voila_server)

pytest.importorskip("voila", reason="voila is not installed (pip install -e '.[dev]')")
pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install -e '.[dev]')")
nbformat = pytest.importorskip("nbformat")
pytestmark = pytest.mark.skipif(chromium_path() is None,
                                reason="Debian's chromium is not on PATH (apt-get install chromium)")

PANEL = '''
import io
import numpy as np
import ipywidgets as W
from PIL import Image as PILImage

def frame_png(n):
    "A 16x16 PNG that differs on every step."
    a = np.zeros((16, 16, 3), np.uint8)
    a[..., 0] = (60 * n) % 256
    a[n % 16, :, 1] = 255
    buf = io.BytesIO()
    PILImage.fromarray(a).save(buf, format="PNG")
    return buf.getvalue()

step = W.Button(description="Step")
count = W.IntText(value=0, description="count")
lr = W.FloatText(value=0.001, description="lr")
msg = W.HTML(value="lr=0.001")
frame = W.Image(value=frame_png(0), format="png", width=64, height=64)

def on_step(_):
    count.value += 1
    frame.value = frame_png(count.value)

step.on_click(on_step)
lr.observe(lambda change: setattr(msg, "value", f"lr={change['new']}"), names="value")
W.VBox([step, count, lr, msg, frame])
'''


def write_panel_notebook(path: Path) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(PANEL)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


def img_src(page) -> str:
    return page.locator("img.widget-image").first.get_attribute("src") or ""


def test_voila_panel_in_chromium(tmp_path):
    t0 = time.monotonic()
    nb = write_panel_notebook(tmp_path / "panel.ipynb")
    with voila_server(nb, timeout=60) as url, browser_page() as page:
        assert url.startswith("http://127.0.0.1:")
        open_voila(page, url, selector="button.widget-button", timeout=60)
        expect_value(page, "count", "0")
        assert read_text(page, ".widget-html") == "lr=0.001"
        src0 = img_src(page)
        assert src0, "the Image widget has no src"

        click_button(page, "Step")
        click_button(page, "Step")
        set_text(page, "lr", 0.005)

        expect_value(page, "count", "2")
        expect_text(page, ".widget-html", "lr=0.005")
        assert read_text(page, ".widget-html") == "lr=0.005"
        assert input_value(page, "lr") == "0.005"
        src2 = img_src(page)
        assert src2 and src2 != src0, "the Image widget was not updated by the clicks"
        assert src2.startswith(("blob:", "data:image/png"))
        # the new frame really decoded: a 16x16 PNG shown at 64x64
        assert page.locator("img.widget-image").first.evaluate("e => e.complete && e.naturalWidth") == 16

        shot = tmp_path / "panel.png"
        page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 0 and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

        # Everything the widgets need came from Voilà itself: external requests were aborted, and none of
        # them was for code (the lab template's only CDN links are Font Awesome stylesheets).
        assert not [u for u in page.blocked_requests if re.search(r"\.m?js(\?|$)", u)], page.blocked_requests
    assert time.monotonic() - t0 < 60
