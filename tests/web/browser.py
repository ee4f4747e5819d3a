"""Driving the web app in Debian's headless Chromium (Playwright for Python), strictly offline.

Every page a test opens is watched: a request to any host but the test server is aborted and recorded, and the
fixture fails the test if there was one. Uncaught script errors fail it too.
"""

from __future__ import annotations

import shutil
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from nuvera_client import NuveraAuth
from playwright.sync_api import Browser, BrowserContext, Locator, Page, Request, Route, sync_playwright

from nuvera.organizations.models import OrganizationKind, UserRole
from tests.harness import Factory, LiveServer

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
PASSWORD = "correct horse battery"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Schemes that never leave the browser (the private key download is a blob: URL).
LOCAL_SCHEMES = {"data", "blob", "about"}
APPLICATIONS = "/app/settings/platform/api-applications"


def chromium_path() -> str:
    path = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        # scripts/chromium.sh installs Debian's chromium (and a font) when it is missing; it prints the path.
        path = subprocess.run(
            [str(ROOT / "scripts" / "chromium.sh")], check=True, capture_output=True, text=True
        ).stdout.strip()
    return path


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    # Module scope: Playwright's sync API allows one running instance per thread, and other test modules (the
    # API reference's) start their own.
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@dataclass
class Tab:
    """One browser context (own cookies) with its page, and everything the page asked the network for."""

    context: BrowserContext
    page: Page
    base_url: str
    foreign: list[str] = field(default_factory=list)
    requests: list[Request] = field(default_factory=list)
    script_errors: list[str] = field(default_factory=list)

    def goto(self, path: str) -> None:
        self.page.goto(self.base_url + path, wait_until="load")

    def follow(self, link: Locator) -> None:
        """Click a link and wait for the new page's load event. Deferred scripts have run by then; a click made
        earlier can reach a button whose handler is not attached yet and do nothing, as a slow machine showed."""
        with self.page.expect_navigation(wait_until="load"):
            link.click()

    def status_of(self, path: str) -> int:
        """Navigate to `path`; the HTTP status of the page."""
        response = self.page.goto(self.base_url + path, wait_until="load")
        assert response is not None
        return response.status

    def sign_in(self, email: str, password: str = PASSWORD) -> None:
        self.goto("/app/sign-in")
        self.page.fill("#email", email)
        self.page.fill("#password", password)
        with self.page.expect_navigation():
            self.page.click("form[data-sign-in] button[type=submit]")

    def sent_bodies(self) -> list[str]:
        return [r.post_data or "" for r in self.requests]

    def screenshot(self, name: str, *, full_page: bool = False) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)


class Site:
    """Opens tabs on the live server; checks at the end that none of them reached another host."""

    def __init__(self, browser: Browser, server: LiveServer) -> None:
        self.browser = browser
        self.base_url = server.base_url
        self.host = urlsplit(server.base_url).hostname
        self.tabs: list[Tab] = []

    def open(self) -> Tab:
        context = self.browser.new_context(
            viewport={"width": 1440, "height": 960}, accept_downloads=True, timezone_id="UTC", locale="en-GB"
        )
        page = context.new_page()
        page.set_default_timeout(20_000)
        tab = Tab(context=context, page=page, base_url=self.base_url)

        def guard(route: Route) -> None:
            # Belt and braces: anything for another host is recorded and aborted, so nothing leaves the machine.
            parts = urlsplit(route.request.url)
            if parts.scheme in LOCAL_SCHEMES or parts.hostname == self.host:
                route.continue_()
            else:
                tab.foreign.append(route.request.url)
                route.abort()

        def record(request: Request) -> None:
            tab.requests.append(request)
            parts = urlsplit(request.url)
            if parts.scheme not in LOCAL_SCHEMES and parts.hostname != self.host:
                tab.foreign.append(request.url)

        context.route("**/*", guard)
        page.on("request", record)
        page.on("pageerror", lambda error: tab.script_errors.append(str(error)))
        self.tabs.append(tab)
        return tab

    def close(self) -> None:
        for tab in self.tabs:
            tab.context.close()


@pytest.fixture
def site(chromium: Browser, server: LiveServer) -> Iterator[Site]:
    opened = Site(chromium, server)
    yield opened
    opened.close()
    foreign = [url for tab in opened.tabs for url in tab.foreign]
    errors = [e for tab in opened.tabs for e in tab.script_errors]
    assert foreign == [], f"pages requested other hosts: {foreign}"
    assert errors == [], f"uncaught script errors: {errors}"


def unique(name: str) -> str:
    return f"{name} {uuid.uuid4().hex[:6]}"


def signed_get(base_url: str, api_key: str, private_key: Path | str | bytes, path: str) -> httpx.Response:
    """A real signed REST call, as a partner's server makes it, with the SDK's request signer."""
    with httpx.Client(base_url=base_url, auth=NuveraAuth(api_key, private_key), timeout=30) as client:
        return client.get(path)


def partner_owner(factory: Factory) -> tuple[str, str]:
    """A fresh partner organization and its owner's email (no application yet)."""
    organization_id = factory.organization(OrganizationKind.PARTNER, name="Web Partner")
    return organization_id, factory.user(organization_id, UserRole.OWNER)


@dataclass
class Created:
    application_id: str
    api_key: str
    private_key_path: Path | None


def read_key_dialog(tab: Tab) -> str:
    """The one-time key from the dialog (checks its warning); acknowledges and closes it."""
    page = tab.page
    dialog = page.locator("[data-key-dialog]")
    dialog.wait_for(state="visible")
    assert "shown only once" in dialog.inner_text()
    api_key = page.input_value("[data-key-value]")
    assert api_key.startswith("nvk_")
    done = page.locator("[data-done]")
    assert done.is_disabled(), "the dialog must be acknowledged before it can be closed"
    page.check("[data-ack]")
    return api_key


def finish_key_dialog(tab: Tab) -> None:
    with tab.page.expect_navigation():
        tab.page.click("[data-done]")


def generate_key(tab: Tab, chooser: str, save_to: Path, bits: str = "2048") -> Path:
    """Browser key generation in a key chooser; the downloaded PKCS#8 file is saved to `save_to`."""
    page = tab.page
    page.select_option(f"{chooser} [data-bits]", bits)
    with page.expect_download() as download:
        page.click(f"{chooser} [data-generate]")
    download.value.save_as(save_to)
    page.locator(f"{chooser} [data-key-result]").wait_for(state="visible")
    assert download.value.suggested_filename.endswith(".pem")
    return save_to


def paste_key(tab: Tab, chooser: str, pem: str) -> None:
    page = tab.page
    page.click(f"{chooser} label:has([data-source][value=paste])")
    # As a paste does: one insertion (fill() would retry while the page clears a refused private key).
    page.focus(f"{chooser} [data-pem]")
    page.keyboard.insert_text(pem)
