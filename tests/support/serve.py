"""Servers the tests start on 127.0.0.1: a free port, waiting until one answers, and
`transformers serve` of a model folder."""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_ready(url: str, server: subprocess.Popen, seconds: float, name: str) -> None:
    """Poll `url` (short timeouts: a server may hang on requests while it starts) until it
    answers; fail naming `name` when the server exits or the time runs out."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"{name} exited with {server.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"{name} did not answer at {url} within {seconds} s")


def stop(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


@contextlib.contextmanager
def transformers_serve(model_path: Path, log_path: Path, env: dict[str, str]) -> Iterator[str]:
    """`transformers serve` pinned to a model folder (float32); yields its `/v1` base URL."""
    executable = shutil.which("transformers") or str(Path(sys.executable).with_name("transformers"))
    if not Path(executable).exists():
        pytest.skip("transformers serve is not installed (pip install 'transformers[serving]')")
    port = free_port()
    command = [executable, "serve", "--host", "127.0.0.1", "--port", str(port)]
    command += ["--dtype", "float32", str(model_path)]
    with log_path.open("w") as log:
        server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
        try:
            wait_until_ready(f"http://127.0.0.1:{port}/health", server, 300, "transformers serve")
            yield f"http://127.0.0.1:{port}/v1"
        finally:
            stop(server)
