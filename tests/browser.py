"""A live server on 127.0.0.1 and headless Chromium (Debian's package, never a downloaded
browser) for tests that look at a page as a person would. Import the fixtures into a test
module: ``from tests.browser import browser_page, live_server  # noqa: F401``.

Without ``chromium`` on the PATH these tests are skipped, unless CLAIMDESK_REQUIRE_BROWSER is
set (CI sets it, so a missing browser fails the run instead of hiding the tests)."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def chromium_executable() -> str:
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        message = "chromium is not installed (apt-get install chromium)"
        if os.environ.get("CLAIMDESK_REQUIRE_BROWSER"):
            pytest.fail(message)
        pytest.skip(message)
    return executable


@pytest.fixture
def live_server() -> Iterator[str]:
    """The app served by uvicorn in a thread on a free loopback port; yields its base URL.
    It uses the test database, so data a test writes first is what the page shows."""
    import uvicorn

    from app.main import app

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def browser_page() -> Iterator[Any]:
    """A Playwright page in headless Chromium that may only reach 127.0.0.1: any other request
    is aborted and recorded in ``page.outside_requests`` (so a test proves it works offline);
    uncaught script errors are collected in ``page.script_errors``."""
    playwright_api = pytest.importorskip("playwright.sync_api")
    executable = chromium_executable()
    with playwright_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.set_default_timeout(15_000)
            outside: list[str] = []
            errors: list[str] = []

            def guard(route: Any) -> None:
                url = route.request.url
                if url.startswith(("http://127.0.0.1:", "data:", "blob:")):
                    route.continue_()
                else:
                    outside.append(url)
                    route.abort()

            page.route("**/*", guard)
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.outside_requests = outside
            page.script_errors = errors
            yield page
        finally:
            browser.close()
