"""Browser tests: Playwright drives Debian's Chromium against Django's live test server."""

import os
from pathlib import Path

import pytest
from django.core.cache import cache

from tests.conftest import require

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
# Playwright's sync API runs an event loop in this thread; the test's own ORM calls are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    require(CHROMIUM.exists(), f"Chromium is not installed at {CHROMIUM} (apt-get install -y chromium)")
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()


@pytest.fixture
def screenshot(page, tmp_path):
    """Save a full-page PNG at each width; to SCREENSHOT_DIR when set (to look at), else the test's temp dir."""
    folder = Path(os.environ.get("SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)

    def take(name: str, widths=(390, 1280), on=None) -> list[Path]:
        shown = on or page  # another page of the test's browser (a second person), or the test's own
        saved = []
        for width in widths:
            shown.set_viewport_size({"width": width, "height": 900})
            path = folder / f"{name}-{width}.png"
            shown.screenshot(path=str(path), full_page=True)
            saved.append(path)
        shown.set_viewport_size({"width": 1280, "height": 900})
        return saved

    return take
