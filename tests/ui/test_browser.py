"""The whole app in a real headless Chromium (Debian's ``chromium``, driven by playwright).

``streamlit run app.py`` on a free localhost port with its own demo, cache and session folders;
a user's path through every page: Data -> Train (live, then finished) -> Evaluate (with the
cross-cell-line matrix) -> Mutagenesis -> Variant lookup -> Filter motifs (training a DeepBind
there) -> Models. On every page: no exception element, no traceback text, no error message; and
a screenshot of it. ``NCV_SCREENSHOTS=1 pytest tests/test_browser.py`` writes them into
``assets/screenshots/<page>.png`` (committed; the README shows them); otherwise they go to the
test's temporary folder, so a test run leaves the working tree as it was. Skipped when chromium
is not installed (``.ci/run`` installs it with apt-get).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.browser]

ROOT = Path(__file__).resolve().parents[2]
ASSETS = ROOT / "assets" / "screenshots"
CHROMIUM = shutil.which("chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
WIDTH = 1400
PAGES = ("data", "train", "evaluate", "importance", "mutagenesis", "lookup", "motifs", "models",
         "cross_species", "imputation")  # fmt: skip


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
            return r.read().strip() == b"ok"
    except OSError:
        return False


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    if CHROMIUM is None:
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    pytest.importorskip("playwright.sync_api")
    tmp = tmp_path_factory.mktemp("browser")
    port = _free_port()
    env = {
        **os.environ,
        "NCV_DEMO_DIR": str(tmp / "demo"),
        "NCV_CACHE_DIR": str(tmp / "cache"),
        "NCV_SESSION_DIR": str(tmp / "sessions"),
    }
    log = tmp / "streamlit.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
             "--server.address", "127.0.0.1", "--server.headless", "true"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        end = time.monotonic() + 60
        while not _healthy(url):
            assert proc.poll() is None, log.read_text()
            assert time.monotonic() < end, "streamlit did not start:\n" + log.read_text()
            time.sleep(0.3)
        shots = ASSETS if os.environ.get("NCV_SCREENSHOTS") == "1" else tmp / "screenshots"
        yield url, log, shots
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _idle(page, timeout: float = 120_000) -> None:
    """Wait until the script run ends (Streamlit's running indicator is gone) and plots draw."""
    page.wait_for_timeout(600)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=timeout
    )
    page.wait_for_timeout(1200)


def _check(page, name: str, shots: Path) -> None:
    """No exception, traceback or error on the page; then its screenshot, full height."""
    assert page.locator('[data-testid="stException"]').count() == 0, name
    assert page.locator('[data-testid="stAlertContentError"]').count() == 0, name
    assert "Traceback" not in page.inner_text("body"), name
    height = page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    page.set_viewport_size({"width": WIDTH, "height": min(max(900, height), 4000)})
    page.wait_for_timeout(1000)
    shots.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shots / f"{name}.png"))
    page.set_viewport_size({"width": WIDTH, "height": 1000})


def _visit(page, title: str) -> None:
    page.locator('[data-testid="stSidebarNavLink"]', has_text=title).first.click()
    page.wait_for_selector(f"h1:has-text('{title}')", timeout=60_000)
    _idle(page)


def test_every_page_in_chromium(server) -> None:
    from playwright.sync_api import expect, sync_playwright

    url, log, shots = server
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": WIDTH, "height": 1000})
            # A deep link is the server's first request: the page opens inside app.py's frame.
            page.goto(f"{url}/train")
            page.wait_for_selector("h1:has-text('Train')", timeout=90_000)
            _idle(page)
            assert "4,428 rows" in page.locator('[data-testid="stSidebar"]').inner_text()
            assert page.url.endswith("/train")

            page.goto(url)
            page.wait_for_selector("h1:has-text('Data')", timeout=90_000)
            _idle(page)
            assert "4,428" in page.inner_text("body")
            _check(page, "data", shots)

            _visit(page, "Train")
            epochs = page.get_by_role("spinbutton", name="Epochs")
            epochs.fill("5")
            epochs.press("Enter")  # 5 epochs: the curves, quickly (the Evaluate page reuses it)
            _idle(page)
            page.get_by_role("button", name="Train", exact=True).click()
            page.wait_for_selector("text=batch", timeout=60_000)  # live progress while it trains
            page.wait_for_selector("text=saved as", timeout=180_000)
            _idle(page)
            expect(page.locator(".js-plotly-plot")).to_have_count(2)
            _check(page, "train", shots)

            _visit(page, "Evaluate")
            page.get_by_role("button", name="Train per cell line and evaluate").click()
            page.wait_for_selector("text=Cross-cell-line AUROC", timeout=180_000)
            _idle(page)
            _check(page, "evaluate", shots)

            _visit(page, "Feature importance")
            expect(page.locator(".js-plotly-plot")).to_have_count(2)  # correlation, distribution
            _check(page, "importance", shots)

            for title, name, charts in (
                ("Mutagenesis", "mutagenesis", 3),
                ("Variant lookup", "lookup", 4),  # + the background histogram
            ):
                _visit(page, title)
                expect(page.locator(".js-plotly-plot")).to_have_count(charts)
                _check(page, name, shots)

            _visit(page, "Filter motifs")
            page.get_by_role("button", name="Train a DeepBind").click()
            page.wait_for_selector("text=most influential first", timeout=240_000)
            _idle(page, 240_000)
            expect(page.locator(".js-plotly-plot")).to_have_count(9)  # 8 logos, the influence
            _check(page, "motifs", shots)

            _visit(page, "Models")
            assert "GM12878-deepbind" in page.inner_text("body")  # the active model
            _check(page, "models", shots)

            _visit(page, "Cross-species")
            expect(page.locator(".js-plotly-plot")).to_have_count(1)  # what lifted, why not
            for label in ("Fine-tuning epochs", "Pre-training epochs"):
                box = page.get_by_role("spinbutton", name=label)
                box.fill("3")
                box.press("Enter")
                _idle(page)
            page.get_by_role("button", name="Pre-train and fine-tune").click()
            page.wait_for_selector("text=pre-trained on", timeout=240_000)
            _idle(page)
            expect(page.locator(".js-plotly-plot")).to_have_count(2)  # + both stages' curves
            _check(page, "cross_species", shots)

            _visit(page, "Imputation")  # 1 epoch over the demo panel's blocks
            box = page.get_by_role("spinbutton", name="Epochs")
            box.fill("1")
            box.press("Enter")
            _idle(page)
            page.get_by_role("button", name="Train", exact=True).click()
            page.wait_for_selector("text=Average-activity baseline", timeout=300_000)
            _idle(page)
            expect(page.locator(".js-plotly-plot")).to_have_count(2)  # training, the track
            _check(page, "imputation", shots)
        finally:
            browser.close()
    assert sorted(p.stem for p in shots.glob("*.png")) == sorted(PAGES)
    text = log.read_text()
    assert "Traceback" not in text and "Uncaught app exception" not in text, text
