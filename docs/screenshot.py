"""Make docs/screenshot.png (and a 390 px phone view) of the page in headless Chromium.

    python docs/screenshot.py [--out docs] [--chromium /usr/bin/chromium]

Starts `matdiff serve` on a free loopback port, opens the logistic-regression loss
(its Hessian by w, the result that is longest to show), and saves `screenshot.png`
(1100 px wide, the README's picture) and `screenshot-390.png` (a phone) under --out.
Needs the web extra, playwright and Debian's chromium, like the browser tests.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

from playwright.sync_api import expect, sync_playwright

QUERY = "?expr=" + quote("sum(log(1 + exp(-y .* (X*w))))") + "&order=2"


def serve() -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "matdiff", "serve", "--host", "127.0.0.1", "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    line = proc.stdout.readline() if proc.stdout else ""
    match = re.search(r"(http://127\.0\.0\.1:\d+)/", line)
    if not match:
        proc.terminate()
        raise SystemExit(f"matdiff serve did not start: {line!r}")
    return proc, match.group(1)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default=str(Path(__file__).parent))
    p.add_argument("--chromium", default="/usr/bin/chromium")
    args = p.parse_args()
    proc, base = serve()
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=args.chromium,
                                         args=["--headless", "--no-sandbox", "--disable-gpu"])
            for width, name in ((1100, "screenshot.png"), (390, "screenshot-390.png")):
                page = browser.new_page(viewport={"width": width, "height": 900})
                page.goto(base + "/" + QUERY)
                expect(page.locator("#result-math .katex").first).to_be_visible(timeout=30_000)
                page.wait_for_timeout(300)  # fonts settle
                page.screenshot(path=str(Path(args.out) / name), full_page=True)
                page.close()
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=10)


if __name__ == "__main__":
    main()
