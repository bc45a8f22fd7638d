"""The lab's page in a real browser: headless Chromium driven over the DevTools protocol.

It starts a live ``descend lab`` (a subprocess, as a user would), loads the
page, adds and removes optimizers, moves sliders, clicks a start point and
follows a link, checking each time that the server was asked again and the
paths were drawn again, and that the browser logged no error.

The browser is Debian's ``chromium`` (``.ci/run`` installs it when run as
root); without one the tests skip. ``DESCEND_LAB_SCREENSHOT=docs/images/lab.png``
also saves the default view there (the README's picture).
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

pytest.importorskip("starlette", reason="the lab extra is not installed")
websocket = pytest.importorskip("websocket", reason="websocket-client is not installed")

CHROMIUM = next(
    (p for p in map(shutil.which, ["chromium", "chromium-browser", "google-chrome"]) if p), None
)
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="no headless Chromium found (Debian: apt-get install chromium; .ci/run does it as root)",
)
WIDTH, HEIGHT = 1400, 1000


def _read_line(stream, seconds: float) -> str:
    """The first line of ``stream`` within ``seconds``, or ''."""
    found: list[str] = []
    reader = threading.Thread(target=lambda: found.append(stream.readline()), daemon=True)
    reader.start()
    reader.join(seconds)
    return found[0] if found else ""


@pytest.fixture(scope="module")
def lab_url():
    """A live ``descend lab --port 0 --no-browser``, as a subprocess; its URL."""
    process = subprocess.Popen(
        [sys.executable, "-m", "descend", "lab", "--port", "0", "--no-browser"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    line = _read_line(process.stdout, 60)
    if not line.startswith("descend lab: http://127.0.0.1:"):
        process.kill()
        pytest.fail(f"descend lab did not start: {line!r} {process.stderr.read()}")
    yield line.split()[2]
    process.terminate()
    process.wait(timeout=30)


class Page:
    """A minimal Chrome DevTools protocol client for one page, over one websocket."""

    def __init__(self, ws) -> None:
        self.ws = ws
        self.count = 0
        self.events: list[dict] = []

    def send(self, method: str, **params):
        self.count += 1
        self.ws.send(json.dumps({"id": self.count, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == self.count:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            self.events.append(message)

    def js(self, expression: str):
        result = self.send(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True
        )
        if "exceptionDetails" in result:
            raise AssertionError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait(self, expression: str, seconds: float = 30.0):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            value = self.js(expression)
            if value:
                return value
            time.sleep(0.05)
        raise AssertionError(f"timed out waiting for {expression}")

    def settled(self, runs_before: int) -> None:
        """Wait until the page has a new answer from the server, drawn."""
        self.wait(f"lab.runs > {runs_before} && !lab.pending")

    def errors(self) -> list[str]:
        self.js("1")  # collect the events sent so far
        found = []
        for event in self.events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.exceptionThrown":
                found.append(json.dumps(params["exceptionDetails"])[:500])
            elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                found.append(json.dumps(params.get("args"))[:500])
            elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
                found.append(f"{params['entry'].get('url', '')}: {params['entry']['text']}")
        return found

    def screenshot(self, path: Path) -> None:
        data = self.send("Page.captureScreenshot", format="png")["data"]
        path.write_bytes(base64.b64decode(data))

    def canvas(self, name: str) -> str:
        return self.js(f"document.getElementById('{name}').toDataURL()")

    def click(self, x: float, y: float) -> None:
        for kind in ("mousePressed", "mouseReleased"):
            self.send("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=1)


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    profile = tmp_path_factory.mktemp("chromium-profile")
    browser = subprocess.Popen(
        [
            CHROMIUM,
            "--headless=new",
            "--no-sandbox",  # root in a container has no user namespace for the sandbox
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--no-default-browser-check",
            "--hide-scrollbars",
            f"--user-data-dir={profile}",
            "--remote-debugging-port=0",
            f"--window-size={WIDTH},{HEIGHT}",
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    port_file = profile / "DevToolsActivePort"
    deadline = time.monotonic() + 60
    while not (port_file.exists() and port_file.read_text().strip()):
        if time.monotonic() > deadline or browser.poll() is not None:
            browser.kill()
            pytest.fail("Chromium did not open its DevTools port")
        time.sleep(0.1)
    port = port_file.read_text().split()[0]
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=30) as response:
        target = next(t for t in json.load(response) if t["type"] == "page")
    ws = websocket.create_connection(
        target["webSocketDebuggerUrl"], timeout=60, suppress_origin=True
    )
    client = Page(ws)
    for domain in ("Page", "Runtime", "Log"):
        client.send(f"{domain}.enable")
    client.send(
        "Emulation.setDeviceMetricsOverride",
        width=WIDTH,
        height=HEIGHT,
        deviceScaleFactor=1,
        mobile=False,
    )
    yield client
    ws.close()
    browser.terminate()
    browser.wait(timeout=30)


def move(page: Page, selector: str, position: int) -> None:
    """Move the range input ``selector`` to ``position``, as a drag would (an input event)."""
    page.js(
        f"(() => {{ const range = document.querySelector({json.dumps(selector)});"
        f" range.value = {position};"
        " range.dispatchEvent(new Event('input', {bubbles: true})); })()"
    )


def open_lab(page: Page, url: str) -> None:
    page.send("Page.navigate", url=url)
    page.wait("window.lab && lab.ready && lab.runs >= 1 && !lab.pending", 60)


def test_the_page_runs_descend_and_redraws_when_settings_change(page, lab_url, tmp_path):
    open_lab(page, lab_url)
    names = page.js("lab.result.runs.map(r => r.name)")
    assert names == ["gd", "momentum", "adam"]
    assert page.js("lab.result.runs.every(r => r.path.length === lab.result.steps + 1)")
    assert page.js("document.getElementById('status').textContent").startswith("3 optimizer")
    assert "update t = " in page.js("document.getElementById('inspect-body').textContent")
    assert page.js("document.getElementById('theory').hidden") is False

    shot = tmp_path / "lab.png"
    page.screenshot(shot)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    if os.environ.get("DESCEND_LAB_SCREENSHOT"):
        shutil.copyfile(shot, os.environ["DESCEND_LAB_SCREENSHOT"])

    # select optimizers: add RMSProp, remove GD
    runs, before = page.js("lab.runs"), page.canvas("contours")
    page.js("document.getElementById('add-name').value = 'rmsprop'")
    page.js("document.getElementById('add').click()")
    page.settled(runs)
    assert page.js("lab.result.runs.map(r => r.name)") == ["gd", "momentum", "adam", "rmsprop"]
    assert page.canvas("contours") != before
    runs = page.js("lab.runs")
    page.js("document.querySelector('button[aria-label=\"remove gd\"]').click()")
    page.settled(runs)
    assert page.js("lab.result.runs.map(r => r.name)") == ["momentum", "adam", "rmsprop"]

    # move a slider: momentum's β, from 0.9 to about 0.5
    runs, before = page.js("lab.runs"), page.canvas("contours")
    old_path = page.js("lab.result.runs[0].path")
    move(page, 'input[type=range][data-optimizer="0"][data-setting="beta"]', 500)
    page.settled(runs)
    beta = page.js("lab.result.runs[0].settings.beta")
    assert beta == pytest.approx(0.4995, abs=1e-3)
    assert page.js("lab.result.runs[0].path") != old_path
    assert page.canvas("contours") != before
    assert "beta:0.4995" in page.js("location.search")

    # the condition number's slider: the contours and paths of another bowl
    runs, before = page.js("lab.runs"), page.canvas("contours")
    move(page, "#surface-condition", 250)
    page.settled(runs)
    assert page.js("lab.result.condition") == pytest.approx(10.0, rel=0.05)
    assert page.canvas("contours") != before

    # the step slider redraws without asking the server
    runs, redraws, before = page.js("lab.runs"), page.js("lab.redraws"), page.canvas("contours")
    move(page, "#step", 10)
    assert page.js("lab.redraws") > redraws and page.js("lab.runs") == runs
    assert page.canvas("contours") != before
    assert "update t = 10" in page.js("document.getElementById('inspect-body').textContent")

    # the play button grows the paths from step 10 to the last step
    redraws = page.js("lab.redraws")
    page.js("document.getElementById('play').click()")
    page.wait("!lab.playing && lab.state.step === null")
    assert page.js("lab.redraws") > redraws + 5 and page.js("lab.runs") == runs

    errors = page.errors()
    assert errors == [], errors


def test_a_click_sets_the_start_and_a_link_reproduces_the_view(page, lab_url):
    open_lab(page, lab_url)
    runs = page.js("lab.runs")
    box = page.js(
        "(() => { const r = document.getElementById('contours').getBoundingClientRect();"
        " return [r.left, r.top, r.width, r.height]; })()"
    )
    page.click(box[0] + box[2] * 0.7, box[1] + box[3] * 0.3)
    page.settled(runs)
    start = page.js("lab.state.start")
    assert start is not None and page.js("lab.result.runs[0].path[0]") == start

    link, paths = page.js("location.href"), page.js("lab.result.runs.map(r => r.path)")
    page.send("Page.navigate", url="about:blank")
    open_lab(page, link)
    assert page.js("lab.state.start") == start
    assert page.js("lab.result.runs.map(r => r.path)") == paths
    errors = page.errors()
    assert errors == [], errors


def test_the_batch_size_slider_shows_sgd_noise_against_batch_gd(page, lab_url):
    open_lab(page, f"{lab_url}?surface=logistic&o=gd,learning_rate:0.5")
    assert page.js("document.getElementById('batch-row').hidden") is False
    runs, before = page.js("lab.runs"), page.canvas("contours")
    move(page, "#batch", 0)
    page.settled(runs)
    assert page.js("lab.result.batch_size") == 1
    assert page.js("lab.result.runs[0].full_batch.path.length") == page.js("lab.result.steps + 1")
    assert page.js("document.getElementById('batch-label').textContent").startswith("1 of 569")
    assert page.canvas("contours") != before
    errors = page.errors()
    assert errors == [], errors
