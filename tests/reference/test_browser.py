"""`/api-reference` renders in a real headless Chromium from assets the application serves itself: any request to
another host fails the test, and a screenshot of each page is kept under artifacts/screenshots/."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, Request, sync_playwright

from tests.harness import LiveServer

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
LOCAL_SCHEMES = {"data", "blob", "about"}


def _chromium() -> str:
    path = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        # scripts/chromium.sh installs Debian's chromium (and a font) when it is missing; it prints the path.
        path = subprocess.run(
            [str(ROOT / "scripts" / "chromium.sh")], check=True, capture_output=True, text=True
        ).stdout.strip()
    return path


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=_chromium(), args=CHROMIUM_ARGS, headless=True)
        yield launched
        launched.close()


class Watch:
    """Every request the page makes, and every console error, so the test can assert on them afterwards."""

    def __init__(self, page: Page) -> None:
        self.foreign: list[str] = []
        self.local: list[str] = []
        self.console_errors: list[str] = []
        page.on("request", self._request)
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.console_errors.append(str(error)))

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.console_errors.append(message.text)

    def _request(self, request: Request) -> None:
        parts = urlsplit(request.url)
        if parts.scheme in LOCAL_SCHEMES:
            return
        (self.local if parts.hostname == "127.0.0.1" else self.foreign).append(request.url)


def _open(browser: Browser, url: str) -> tuple[Page, Watch]:
    page = browser.new_page(viewport={"width": 1440, "height": 1000})
    watch = Watch(page)
    # Belt and braces: a request to another host is aborted as well as recorded, so nothing leaves the machine.
    page.route(
        "**/*",
        lambda route: (
            route.continue_() if urlsplit(route.request.url).hostname in (None, "127.0.0.1") else route.abort()
        ),
    )
    page.goto(url, wait_until="load")
    return page, watch


def test_reference_renders_offline_with_every_operation(browser: Browser, server: LiveServer) -> None:
    page, watch = _open(browser, server.base_url + "/api-reference")
    page.wait_for_selector("body[data-rendered]", timeout=60_000)
    assert page.get_attribute("body", "data-rendered") == "ok"
    # ReDoc rendered the document: the title, both tag groups and an operation of each area are on the page.
    page.wait_for_selector("text=Nuvera API", timeout=30_000)
    text = page.inner_text("body")
    for expected in ("Partner REST API", "Management API", "Customers", "Documents", "Payments", "Support"):
        assert expected.lower() in text.lower(), expected
    page.click("text=Error codes")  # the chrome's links work
    page.wait_for_selector("#uri_mismatch")
    page.go_back()
    page.wait_for_selector("body[data-rendered]", timeout=60_000)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "api-reference.png"), full_page=False)
    assert watch.foreign == [], f"requests to other hosts: {watch.foreign}"
    assert any(url.endswith("/api-reference/openapi.json") for url in watch.local)
    assert any(url.endswith("/assets/redoc.standalone.js") for url in watch.local)
    assert not [e for e in watch.console_errors if "Content Security Policy" in e], watch.console_errors
    page.close()


@pytest.mark.parametrize(
    ("path", "name"), [("/api-reference/signing-guide", "signing-guide"), ("/api-reference/errors", "errors")]
)
def test_guide_and_error_pages_render_offline(browser: Browser, server: LiveServer, path: str, name: str) -> None:
    page, watch = _open(browser, server.base_url + path)
    assert page.locator("h1").count() >= 1
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=False)
    assert watch.foreign == []
    assert watch.console_errors == []
    page.close()
