"""Read a page's text in headless Chromium over the DevTools protocol, with no extra package.

`--remote-debugging-pipe` makes Chromium read DevTools commands from fd 3 and write
replies to fd 4 as NUL-terminated JSON, so the standard library is enough. The viewer is
a single-page app that loads logs after the page load, hence polling `innerText` until
the expected strings appear (`--dump-dom` returns before that).
"""

from __future__ import annotations

import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from typing import Any

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def chromium() -> str | None:
    """The Chromium binary (Debian's `chromium`), or None."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


class _DevTools:
    def __init__(self, write_fd: int, read_fd: int) -> None:
        self.write_fd, self.read_fd = write_fd, read_fd
        self.buffer = b""
        self.next_id = 0

    def call(self, method: str, params: dict | None = None, session: str | None = None) -> Any:
        self.next_id += 1
        message: dict[str, Any] = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self.write_fd, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + 30
        while True:
            while b"\0" in self.buffer:
                raw, self.buffer = self.buffer.split(b"\0", 1)
                reply = json.loads(raw)
                if reply.get("id") == self.next_id:  # events have no id: skipped
                    if "error" in reply:
                        raise RuntimeError(f"{method}: {reply['error']}")
                    return reply["result"]
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"chromium did not answer {method}")
            if select.select([self.read_fd], [], [], left)[0]:
                chunk = os.read(self.read_fd, 1 << 16)
                if not chunk:
                    raise RuntimeError("chromium closed the DevTools pipe")
                self.buffer += chunk


def page_text(url: str, expected: list[str], timeout: float = 90) -> str:
    """The page's visible text once every expected string shows, in any letter case (CSS
    may upper-case labels in `innerText`), or at the timeout."""
    binary = chromium()
    if binary is None:
        raise FileNotFoundError("chromium")
    to_chrome_r, to_chrome_w = os.pipe()
    from_chrome_r, from_chrome_w = os.pipe()
    with tempfile.TemporaryDirectory(prefix="hvsb-chromium-") as profile:
        args = [binary, *FLAGS, f"--user-data-dir={profile}", "--remote-debugging-pipe"]
        # bash puts the pipes on fds 3 and 4, where Chromium expects them.
        shell = f'exec "$@" 3<&{to_chrome_r} 4>&{from_chrome_w}'
        browser = subprocess.Popen(
            ["bash", "-c", shell, "chromium", *args, "about:blank"],
            pass_fds=(to_chrome_r, from_chrome_w),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        devtools = _DevTools(to_chrome_w, from_chrome_r)
        try:
            target = devtools.call("Target.createTarget", {"url": url})["targetId"]
            attached = devtools.call("Target.attachToTarget", {"targetId": target, "flatten": True})
            session = attached["sessionId"]
            deadline = time.monotonic() + timeout
            text = ""
            while time.monotonic() < deadline:
                result = devtools.call(
                    "Runtime.evaluate",
                    {"expression": "document.body ? document.body.innerText : ''"},
                    session,
                )
                text = result["result"].get("value", "")
                if all(word.lower() in text.lower() for word in expected):
                    break
                time.sleep(0.5)
            return text
        finally:
            try:
                devtools.call("Browser.close")
            except (OSError, RuntimeError, TimeoutError):
                browser.kill()
            browser.wait(timeout=30)
            os.close(to_chrome_w)
            os.close(from_chrome_r)


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
