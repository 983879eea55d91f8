"""Headless Chromium from the system (Debian's ``chromium``), driven by Playwright."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def chromium_path() -> str:
    """The system's Chromium: ``$SIGOPT_LIKE_CHROMIUM``, else ``chromium`` on the PATH."""
    found = os.environ.get("SIGOPT_LIKE_CHROMIUM") or shutil.which("chromium")
    if not found or not Path(found).exists():
        raise RuntimeError(
            "Chromium is not installed: 'apt-get install -y chromium' (CI's .ci/run does), "
            "or point SIGOPT_LIKE_CHROMIUM at a Chromium binary."
        )
    return found


def launch(playwright: Any) -> Any:
    """A headless Chromium browser."""
    return playwright.chromium.launch(
        executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS
    )
