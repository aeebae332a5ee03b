"""Fixtures for the web tests: an in-process app (TestClient) and a real server.

`client`: FastAPI's TestClient on an app with one worker process (module-scoped, so
the worker starts once). `live_server`: `matdiff serve --port 0` in a subprocess on a
free loopback port, yielding its base URL; stopped at the end of the session.
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
