"""Fixtures for the web tests: a real server and headless Chromium pages on it.

`live_server`: `matdiff serve --port 0` in a subprocess on a free loopback port,
yielding its base URL; stopped at the end of the session. `browser`: Debian's
/usr/bin/chromium driven by Playwright (module-scoped; skips with a reason when either
is missing; Playwright's own browser download is never used). `make_page(width)`: a
fresh page of that viewport width on the live server, failing the test if the page
raised a JavaScript error; `page`: one at 1100 px.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time

import pytest


@pytest.fixture(scope="session")
def live_server():
    pytest.importorskip("fastapi")
    pytest.importorskip("uvicorn")
    env = dict(os.environ)
    env.pop("MATDIFF_DEBUG", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "matdiff.cli", "serve", "--host", "127.0.0.1", "--port", "0",
         "--workers", "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    try:
        deadline = time.time() + 60
        line = ""
        while time.time() < deadline:
            line = proc.stdout.readline()  # type: ignore[union-attr]
            if "serving on" in line or not line:
                break
        match = re.search(r"(http://127\.0\.0\.1:\d+)/", line)
        if not match:
            pytest.fail(f"matdiff serve did not start: {line!r}")
        url = match.group(1)
        _wait_ready(url)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def _wait_ready(url: str) -> None:
    import httpx

    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            if httpx.get(url + "/api/health", timeout=2, trust_env=False).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError("server did not answer /api/health")


CHROMIUM = os.environ.get("MATDIFF_CHROMIUM", "/usr/bin/chromium")
TIMEOUT = 20_000  # ms; the first request also warms the workers up


@pytest.fixture(scope="module")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    sync_api.expect.set_options(timeout=TIMEOUT)  # the machine may be busy
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu",
                  "--disable-background-networking"],
        )
        yield b
        b.close()


@pytest.fixture
def make_page(browser, live_server):
    contexts = []
    errors: list[str] = []

    def make(width: int = 1100, height: int = 900):
        ctx = browser.new_context(viewport={"width": width, "height": height})
        contexts.append(ctx)
        pg = ctx.new_page()
        pg.set_default_timeout(TIMEOUT)
        pg.on("pageerror", lambda e: errors.append(str(e)))
        pg.base = live_server  # type: ignore[attr-defined]
        return pg

    yield make
    for ctx in contexts:
        ctx.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


@pytest.fixture
def page(make_page):
    return make_page(1100)
