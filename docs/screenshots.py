"""Regenerate the web UI's screenshots in docs/screenshots/: the dashboard at 2019-11-22 with
the replayed Korea-Japan history, and an item's page after its release.

    .venv/bin/python docs/screenshots.py [--out DIR]

It makes a registry in a temporary folder, serves it with `gsomia serve` and drives Debian's
Chromium (/usr/bin/chromium) with Playwright.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from playwright.sync_api import sync_playwright

PASSWORD = "screenshot password"
HERE = Path(__file__).parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE / "screenshots")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    options = parser.parse_args()
    options.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        env = {k: v for k, v in os.environ.items() if not k.startswith("GSOMIA_")} | {
            "GSOMIA_DB": f"sqlite:///{folder}/kor.db",
            "GSOMIA_PASSPHRASE": "screenshot passphrase",
            "GSOMIA_CONTENT_DIR": f"{folder}/content",
            "GSOMIA_USER_PASSWORD": PASSWORD,
        }

        def gsomia(*args: str) -> str:
            done = subprocess.run(
                [sys.executable, "-m", "gsomia", *args],
                env=env,
                capture_output=True,
                text=True,
                check=True,
            )
            return done.stdout

        gsomia("init", "--party", "KOR", "--time-zone", "Asia/Seoul")
        gsomia("keys", "init")
        gsomia("history", "load", "kor-jpn-2019")
        gsomia("user", "add", "officer", "--role", "registry-officer")
        made = json.loads(
            gsomia(
                "item",
                "register",
                "--title",
                "Launch telemetry (illustrative)",
                "--marking",
                "II",
                "--topic",
                "nk-missile",
                "--at",
                "2017-05-15",
                "--json",
            )
        )
        gsomia("item", "release", made["reference"], "--to", "JPN", "--at", "2017-05-16")
        gsomia("item", "release", made["reference"], "--to", "JPN", "--at", "2019-12-01")
        port = _free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "gsomia", "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            _wait(base)
            with sync_playwright() as driver:
                browser = driver.chromium.launch(
                    executable_path=options.chromium, args=["--no-sandbox"]
                )
                page = browser.new_page(viewport={"width": 1100, "height": 900})
                page.goto(f"{base}/login")
                page.locator("#username").fill("officer")
                page.locator("#password").fill(PASSWORD)
                page.locator("button[type=submit]").click()
                page.wait_for_url(f"{base}/")
                page.goto(f"{base}/?at=2019-11-22T12:00%2B09:00")
                page.screenshot(path=str(options.out / "dashboard.png"), full_page=True)
                page.goto(f"{base}/items/{made['reference']}")
                page.screenshot(path=str(options.out / "item.png"), full_page=True)
                browser.close()
        finally:
            server.terminate()
            server.wait(30)
    print(f"wrote {options.out / 'dashboard.png'} and {options.out / 'item.png'}")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait(base: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit("the node did not become ready")


if __name__ == "__main__":
    main()
