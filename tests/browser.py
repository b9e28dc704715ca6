"""Real-browser helpers for testing ipywidgets panels: Voilà serves a notebook on 127.0.0.1 and
Playwright (Python, sync API) drives Debian's `chromium` (never a Playwright-downloaded browser).

This is a helper module, not a test file (pytest collects only `test_*.py`; nbdev reads only nbs/).

    with voila_server(nb) as url, browser_page() as page:
        open_voila(page, url)
        click_button(page, "Step")
        set_text(page, "lr", 0.005)
        expect_value(page, "count", "1")
        expect_text(page, ".widget-html", "lr=0.005")

Offline: Voilà serves the widget manager (the `@jupyter-widgets/jupyterlab-manager` labextension that
jupyterlab_widgets installs) and its own JS/CSS itself; nothing from a CDN is needed to render the core
ipywidgets. Its `lab` template still links two Font Awesome stylesheets on cdn.jsdelivr.net (button icons
only). `browser_page` aborts every request that is not for 127.0.0.1/localhost, so a sandbox with no
network neither hangs nor leaks, and records them in `page.blocked_requests` for tests to inspect.
"""
from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Optional

__all__ = ["chromium_path", "have_browser_stack", "free_port", "static_server", "voila_server", "browser_page", "open_voila",
           "wait_for_widgets", "wait_kernel_idle", "kernel_status", "widget_by_description", "click_button",
           "set_text", "input_value", "expect_value", "read_text", "expect_text", "CHROMIUM_ARGS", "VOILA_ARGS",
           "ERROR_OUTPUT"]

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-dev-shm-usage"]  # containers: /dev/shm is often 64 MB
"Flags for Debian's chromium (running as root in a container: `--no-sandbox` is required)."

VOILA_ARGS = ["--no-browser", "--Voila.ip=127.0.0.1", "--Voila.port_retries=0",
              "--VoilaConfiguration.show_tracebacks=True"]
"Flags for `python -m voila` besides the notebook and `--port` (Voilà needs no token and no --allow-root)."

LOCAL_HOSTS = ("127.0.0.1", "localhost", "[::1]")


def chromium_path() -> Optional[str]:
    "Debian's chromium (apt-get install chromium) on PATH, or None."
    return shutil.which("chromium")


def have_browser_stack() -> tuple[bool, str]:
    "(True, '') when chromium, voila and playwright are all available, else (False, why) for `pytest.skip`."
    missing = []
    if chromium_path() is None: missing.append("chromium not on PATH (apt-get install chromium)")
    import importlib.util
    for mod in ("voila", "playwright"):
        if importlib.util.find_spec(mod) is None: missing.append(f"python package {mod!r} not installed")
    return (not missing, "; ".join(missing))


def free_port() -> int:
    "A TCP port on 127.0.0.1 that was free a moment ago."
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tail(path: Path, n: int = 60) -> str:
    try: return "\n".join(path.read_text(errors="replace").splitlines()[-n:])
    except OSError: return "(no log)"


def _kill_group(proc: subprocess.Popen, grace: float = 5.0):
    "SIGTERM the process group (voila and its kernels), then SIGKILL what is left."
    if proc.poll() is None:
        try: os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError: pass
        try: proc.wait(grace)
        except subprocess.TimeoutExpired: pass
    try: os.killpg(proc.pid, signal.SIGKILL)  # kernels left behind in the group
    except (ProcessLookupError, PermissionError): pass
    try: proc.wait(grace)
    except subprocess.TimeoutExpired: pass


_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never send 127.0.0.1 to $http_proxy


@contextmanager
def static_server(folder: Path, timeout: float = 30) -> Iterator[str]:
    """Serve `folder` with Python's plain static file server on 127.0.0.1 at a free port; yields the URL. The server
    is killed on exit."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory",
                             str(folder)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            stdin=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with _NO_PROXY.open(url, timeout=2): break
            except (urllib.error.URLError, OSError):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the static server on {url} did not answer") from None
                time.sleep(0.1)
        yield url
    finally:
        _kill_group(proc)


@contextmanager
def voila_server(notebook: Path, timeout: float = 120, env: Optional[dict] = None,
                 extra_args: tuple = (), python: str = sys.executable) -> Iterator[str]:
    """Serve `notebook` with Voilà on 127.0.0.1 at a free port; yields the URL (`http://127.0.0.1:PORT/`).

    Runs `python -m voila NOTEBOOK --port=PORT *VOILA_ARGS *extra_args` in its own process group, cwd = the
    notebook's folder, environment = os.environ + `env`. Waits until the server answers a static file (that
    starts no kernel: the notebook is executed when a page opens the URL). On exit the process group (Voilà and
    its kernels) is killed. Raises RuntimeError with the tail of Voilà's log if it exits or does not answer
    within `timeout` s; if the body of the `with` raises, the log tail is printed to stderr (pytest shows it)."""
    notebook = Path(notebook).resolve()
    if not notebook.exists(): raise FileNotFoundError(notebook)
    full_env = {**os.environ, "PYTHONUNBUFFERED": "1", "MPLBACKEND": "Agg", **(env or {})}
    logdir = Path(tempfile.mkdtemp(prefix="voila-log-"))
    log_path = logdir / "voila.log"
    try:
        for attempt in range(3):  # the port may be taken between free_port() and voila's bind
            port = free_port()
            cmd = [python, "-m", "voila", str(notebook), f"--port={port}", *VOILA_ARGS, *extra_args]
            with open(log_path, "wb") as log:
                proc = subprocess.Popen(cmd, cwd=notebook.parent, env=full_env, stdout=log, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL, start_new_session=True)
            url = f"http://127.0.0.1:{port}/"
            try:
                deadline, up = time.monotonic() + timeout, False
                while time.monotonic() < deadline and proc.poll() is None:
                    try:
                        with _NO_PROXY.open(url + "voila/static/voila.js", timeout=2) as r:
                            if r.status == 200: up = True; break
                    except (urllib.error.URLError, OSError): pass
                    time.sleep(0.25)
                if not up:
                    rc, tail = proc.poll(), _tail(log_path)
                    if rc is not None and "already in use" in tail and attempt < 2: continue
                    why = f"exited with code {rc}" if rc is not None else f"did not answer within {timeout:.0f}s"
                    raise RuntimeError(f"voila {why}: {' '.join(cmd)}\n--- voila log (tail) ---\n{tail}")
                try:
                    yield url
                except BaseException:
                    print(f"--- voila log (tail), {' '.join(cmd)} ---\n{_tail(log_path)}", file=sys.stderr)
                    raise
                return
            finally:
                _kill_group(proc)
        raise RuntimeError("voila: the port was taken 3 times in a row")
    finally:
        shutil.rmtree(logdir, ignore_errors=True)


@contextmanager
def browser_page(width: int = 1280, height: int = 900, block_external: bool = True, default_timeout_ms: int = 30_000):
    """A Playwright page in headless Debian chromium (`chromium_path()`), `width`x`height` viewport.

    With `block_external`, every request to a host other than 127.0.0.1/localhost is aborted and its URL
    appended to `page.blocked_requests`. Browser console errors and page errors go to `page.console_errors`."""
    from playwright.sync_api import sync_playwright
    exe = chromium_path()
    if exe is None: raise RuntimeError("chromium not found on PATH (apt-get install chromium)")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=exe, headless=True, args=CHROMIUM_ARGS)
        try:
            ctx = browser.new_context(viewport={"width": width, "height": height}, service_workers="block")
            page = ctx.new_page()
            page.set_default_timeout(default_timeout_ms)
            page.blocked_requests, page.console_errors = [], []
            if block_external:
                def _route(route):
                    u = route.request.url
                    host = re.match(r"^[a-z]+://([^/:]+|\[[^\]]+\])", u)
                    if u.startswith(("data:", "blob:", "about:")) or (host and host.group(1) in LOCAL_HOSTS):
                        route.continue_()
                    else:
                        page.blocked_requests.append(u); route.abort()
                page.route("**/*", _route)
            page.on("console", lambda m: m.type == "error" and page.console_errors.append(m.text))
            page.on("pageerror", lambda e: page.console_errors.append(f"pageerror: {e}"))
            yield page
            ctx.close()
        finally:
            browser.close()


# --- Voilà / ipywidgets 8 -------------------------------------------------------------------------------------
# What ipywidgets 8.1 renders in Voilà 0.5 (lab template); every view is a Lumino widget with class `jupyter-widgets`:
#   Button                  <button class="jupyter-button widget-button" title=DESC>DESC</button>
#   IntText/FloatText/Text  <div class="widget-inline-hbox widget-text"><label class="widget-label">DESC</label><input>
#   Textarea                <div class="widget-inline-hbox widget-textarea"><label class="widget-label">DESC</label><textarea>
#   HTML / HTMLMath         <div class="widget-html"><label class="widget-label" hidden/><div class="widget-html-content">
#   Label                   <div class="widget-inline-hbox widget-label">TEXT</div>   (a description is <label class=widget-label>)
#   Image                   <img class="widget-image" src="blob:http://127.0.0.1:PORT/...">
# The page (cells, spinner `#loading`, `#rendered_cells`) is Voilà's; `window.jupyterapp.widgetManager.kernel` is the
# kernel the widgets talk to.

_KERNEL_JS = """() => {
  const app = window.jupyterapp;
  if (!app) return null;
  const wm = app.widgetManager || app._widgetManager;
  return (wm && wm.kernel) || null;
}"""

_KERNEL_STATUS_JS = f"""() => {{
  const k = ({_KERNEL_JS})();
  if (!window.jupyterapp) return 'no-app';
  if (!k) return 'no-kernel';
  if (!k.__st_rl_busy) {{  // count busy transitions, so an action can wait for "its" busy -> idle
    k.__st_rl_busy = {{n: 0}};
    k.statusChanged.connect((_, s) => {{ if (s === 'busy') k.__st_rl_busy.n++; }});
  }}
  return k.status + '/' + k.connectionStatus + '/' + k.__st_rl_busy.n;
}}"""


def kernel_status(page) -> str:
    """'idle/connected/N', 'busy/connected/N', ... (N: busy periods seen so far) for the kernel the browser's
    widget manager talks to; 'no-app' before Voilà's frontend has started, 'no-kernel' if it has none."""
    return page.evaluate(_KERNEL_STATUS_JS)


def _busy_count(status: str) -> int:
    parts = status.split("/")
    return int(parts[2]) if len(parts) == 3 else -1


def wait_kernel_idle(page, timeout: float = 30, settle: float = 0.2, after: Optional[int] = None,
                     busy_wait: float = 2.0) -> str:
    """Wait until the widgets' kernel is idle and connected, and has stayed so for `settle` s; returns its status.

    `after`: a busy count from `kernel_status` taken before an action (a click, a typed value); then first wait
    up to `busy_wait` s for the kernel to have gone busy since (the action's comm message reached it) so that an
    idle kernel that has not yet seen the message does not count. Falls back to a `settle` pause where this Voilà
    does not expose the kernel to the page."""
    deadline = time.monotonic() + timeout
    busy_deadline = time.monotonic() + busy_wait
    idle_since, status = None, ""
    while time.monotonic() < deadline:
        status = kernel_status(page)
        if status == "no-kernel" and page.query_selector(".jupyter-widgets"):
            time.sleep(settle); return status  # widgets are up but the kernel is not reachable from JS
        waiting_for_busy = after is not None and _busy_count(status) <= after and time.monotonic() < busy_deadline
        if status.startswith("idle/connected/") and not waiting_for_busy:
            idle_since = idle_since or time.monotonic()
            if time.monotonic() - idle_since >= settle: return status
        else:
            idle_since = None
        time.sleep(0.03)
    raise TimeoutError(f"kernel not idle after {timeout}s (last status {status!r})")


ERROR_OUTPUT = ("[data-mime-type='application/vnd.jupyter.stderr'], "
                "[data-mime-type='application/vnd.jupyter.error']")
"Selector of cell stderr / error outputs in Voilà's page (nbconvert renders a traceback as stderr)."

_WIDGETS_OR_TRACEBACK_JS = """([sel, err]) => {
  if (document.querySelector(sel)) return 'widgets';
  for (const e of document.querySelectorAll(err))
    if (/Traceback \\(most recent call last\\)|(^|\\n)\\s*\\w*(Error|Exception|Interrupt)\\b/.test(e.textContent))
      return 'traceback';
  return false;
}"""


def wait_for_widgets(page, selector: str = ".jupyter-widgets", timeout: float = 90, fail_on_error: bool = True):
    """Wait until Voilà has executed the notebook (spinner gone, `#rendered_cells` shown), `selector` is visible,
    the widget manager is up and the kernel is idle. With `fail_on_error`, a cell traceback on the page (and no
    `selector`) raises RuntimeError at once instead of waiting `timeout` for widgets that will never come."""
    ms = int(timeout * 1000)
    page.wait_for_selector("#rendered_cells", state="visible", timeout=ms)  # voila_finish(): all cells ran
    page.wait_for_function("() => !document.getElementById('loading')", timeout=ms)
    if fail_on_error:
        found = page.wait_for_function(_WIDGETS_OR_TRACEBACK_JS, arg=[selector, ERROR_OUTPUT], timeout=ms).json_value()
        if found == "traceback":
            raise RuntimeError("a notebook cell failed in Voilà:\n" + "\n".join(page.locator(ERROR_OUTPUT).all_inner_texts()))
    page.wait_for_selector(selector, state="visible", timeout=ms)
    page.wait_for_function("() => !!window.jupyterapp", timeout=ms)
    wait_kernel_idle(page, timeout=timeout)


def open_voila(page, url: str, selector: str = ".jupyter-widgets", timeout: float = 120, fail_on_error: bool = True):
    """Go to a Voilà URL and wait for the widgets (`wait_for_widgets`); returns `page`. On failure raises
    RuntimeError with the cells' tracebacks, the browser console errors and the end of the page text."""
    page.goto(url, wait_until="domcontentloaded", timeout=int(timeout * 1000))
    try:
        wait_for_widgets(page, selector, timeout, fail_on_error)
    except Exception as e:
        errs = page.locator(ERROR_OUTPUT).all_inner_texts()
        body = page.inner_text("body")[-3000:] if page.query_selector("body") else ""
        raise RuntimeError(f"Voilà page did not render widgets: {e}\ncell errors: {errs}\n"
                           f"console: {getattr(page, 'console_errors', [])}\nbody tail:\n{body}") from e
    return page


def widget_by_description(page, description: str, kind: str = ".widget-inline-hbox"):
    "Locator of the widget box of `kind` whose description (`<label class=widget-label>`) is exactly `description`."
    return page.locator(kind).filter(has=page.locator("label.widget-label", has_text=re.compile(
        rf"^\s*{re.escape(description)}\s*$")))


def click_button(page, description: str, timeout: float = 10, wait_idle: bool = True):
    "Click the ipywidgets Button whose description is exactly `description`; then wait for the kernel to go idle."
    btn = page.locator("button.widget-button", has_text=re.compile(rf"^\s*{re.escape(description)}\s*$"))
    n0 = _busy_count(kernel_status(page))
    btn.first.click(timeout=int(timeout * 1000))
    if wait_idle: wait_kernel_idle(page, timeout=max(timeout, 30), after=n0)


def set_text(page, description: str, value, timeout: float = 10, wait_idle: bool = True):
    """Set an IntText / FloatText / Text / Bounded*Text / Textarea widget by its description label: fill the input,
    press Enter (not in a textarea) and blur; ipywidgets syncs on Enter/blur (every key with continuous_update)."""
    inp = widget_by_description(page, description).locator("input, textarea").first
    n0 = _busy_count(kernel_status(page))
    inp.fill(str(value), timeout=int(timeout * 1000))
    if inp.evaluate("e => e.tagName") == "INPUT": inp.press("Enter")
    inp.blur()
    if wait_idle: wait_kernel_idle(page, timeout=max(timeout, 30), after=n0)


def input_value(page, description: str) -> str:
    "The current text of the input (IntText/FloatText/Text/...) labelled `description`."
    return widget_by_description(page, description).locator("input, textarea").first.input_value()


def expect_value(page, description: str, value, timeout: float = 10):
    "Assert (polling up to `timeout` s) that the input labelled `description` shows `value` (compared as str)."
    from playwright.sync_api import expect
    expect(widget_by_description(page, description).locator("input, textarea").first).to_have_value(
        str(value), timeout=int(timeout * 1000))


def read_text(page, selector: str = ".widget-html", index: int = 0) -> str:
    "Inner text of the `index`-th widget matching `selector` (`.widget-html`, `.widget-label`, `.widget-htmlmath`, ...)."
    return page.locator(selector).nth(index).inner_text().strip()


def expect_text(page, selector: str, text, index: int = 0, timeout: float = 10):
    "Assert (polling up to `timeout` s) that the `index`-th `selector` widget's text contains `text` (str or regex)."
    from playwright.sync_api import expect
    expect(page.locator(selector).nth(index)).to_contain_text(text, timeout=int(timeout * 1000))
