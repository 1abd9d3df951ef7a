"""Headless Chromium for the browser tests: Debian's chromium and
chromium-driver (scripts/install-test-deps.sh installs them), started with
the flags this machine needs: no sandbox and no GPU in a container, no
/dev/shm, and nothing the browser would fetch on its own.

CHROMIUM_BIN and CHROMEDRIVER_BIN override where they are.
"""

import os

# Never let Selenium Manager try to download a browser or driver.
os.environ.setdefault("SE_OFFLINE", "true")
os.environ.setdefault("SE_AVOID_STATS", "true")

from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402

CHROMIUM = os.environ.get("CHROMIUM_BIN", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER_BIN", "/usr/bin/chromedriver")

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--disable-extensions",
    "--window-size=1280,1000",
)


def start(profile_dir: str, extra=(), logs=None) -> webdriver.Chrome:
    """A new browser with its profile in `profile_dir`, the `extra` flags,
    and the logs named in `logs` (e.g. {"browser": "ALL"}) kept for get_log."""
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in (*FLAGS, f"--user-data-dir={profile_dir}", *extra):
        opts.add_argument(flag)
    if logs:
        opts.set_capability("goog:loggingPrefs", logs)
    return webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=opts)
