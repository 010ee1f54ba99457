"""The one headless-Chromium driver of the tests: Debian's Chromium, driven by Playwright.

`view_page` loads a local page and reports what a reader would see (console errors,
failed requests, images, section headings); `page_text` waits until a single-page app
(e.g. `inspect view`, which loads logs after the page load) shows every expected string.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@dataclass
class PageView:
    errors: list[str]
    images: list[list]  # [complete, naturalWidth, naturalHeight, alt]
    headings: list[str]


def chromium() -> str:
    """The system Chromium, or a skip that says how to install it."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    pytest.skip("no Chromium on PATH (Debian: apt-get install chromium)")


@contextmanager
def _page() -> Iterator[tuple[Any, list[str]]]:
    """A fresh page and the list its console errors, page errors and failed requests fill."""
    playwright = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
    errors: list[str] = []
    with playwright.sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=chromium(), args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page()
            page.on(
                "console",
                lambda message: errors.append(message.text) if message.type == "error" else None,
            )
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.on("requestfailed", lambda request: errors.append(f"failed: {request.url}"))
            yield page, errors
        finally:
            browser.close()


def view_page(page_path: Path, screenshot: Path | None = None) -> PageView:
    """Load `page_path` and collect errors, images and h2 headings."""
    with _page() as (page, errors):
        page.goto(page_path.as_uri(), wait_until="load")
        images = page.evaluate(
            "Array.from(document.images)"
            ".map(i => [i.complete, i.naturalWidth, i.naturalHeight, i.alt])"
        )
        headings = page.evaluate(
            "Array.from(document.querySelectorAll('h2')).map(h => h.textContent)"
        )
        if screenshot is not None:
            page.screenshot(path=str(screenshot), full_page=False)
    return PageView(errors, images, headings)


def page_text(url: str, expected: list[str], timeout: float = 90) -> str:
    """The page's visible text once every expected string shows, in any letter case (CSS
    may upper-case labels in `innerText`), or at the timeout."""
    with _page() as (page, _errors):
        page.goto(url, wait_until="load")
        deadline = time.monotonic() + timeout
        text = ""
        while time.monotonic() < deadline:
            text = page.evaluate("document.body ? document.body.innerText : ''")
            if all(word.lower() in text.lower() for word in expected):
                break
            time.sleep(0.5)
        return text


def shown_value(text: str, metric: str) -> str:
    """The value of `metric` on the Inspect viewer's task page: under its name in the scorer
    table (tab-separated rows, with many metrics) or on the line after its card's label
    (upper-cased by CSS, with few)."""
    lines = text.splitlines()
    for number, line in enumerate(lines[:-1]):
        headers = line.split("\t")
        if metric in headers:
            return lines[number + 1].split("\t")[headers.index(metric)]
        if line.strip().lower() == metric.lower():
            return lines[number + 1].strip()
    raise AssertionError(f"{metric} not shown in the viewer:\n{text[:2000]}")
