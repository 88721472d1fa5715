"""A real `gridtriage serve` and Debian's headless Chromium (through Playwright) for the page tests.
Screenshots go to $GRIDTRIAGE_TEST_OUTPUT/screenshots (default: test-output/ at the repository
root, ignored by git) so reviewers can look at them."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from eval.server import free_port, start_server

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).parents[2]


@dataclass
class Site:
    base: str
    browser: Any
    shots: Path
    log: Path

    def page(self, width: int = 1440, height: int = 900) -> Any:
        context = self.browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
        context.set_default_timeout(15_000)
        return context.new_page()

    def shoot(self, page: Any, name: str) -> None:
        page.screenshot(path=str(self.shots / f"{name}.png"), full_page=True)


def need_chromium() -> None:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: run scripts/setup-system (installs Debian's chromium and chromium-driver)")


@contextmanager
def served_site(db: str, folder: Path) -> Iterator[Site]:
    """`gridtriage serve` on `db` on a free loopback port, and a browser to read its pages."""
    from playwright.sync_api import sync_playwright

    shots = Path(os.environ.get("GRIDTRIAGE_TEST_OUTPUT") or ROOT / "test-output") / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log = folder / "server.log"
    server = start_server(db, port, log=log)
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                             args=["--no-sandbox", "--disable-dev-shm-usage"])
        try:
            yield Site(f"http://127.0.0.1:{port}", browser, shots, log)
        finally:
            browser.close()
    finally:
        playwright.stop()
        server.terminate()
        server.wait(timeout=30)
