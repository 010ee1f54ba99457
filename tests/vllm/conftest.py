"""One vLLM server for every test here, started by `hvsb serve` as a user would start it.

The tests skip, saying why, where vLLM is not installed (`scripts/install.sh --vllm`). The
model is the embedded one in float32, the dtype of the transformers runs it is compared
with; a 1 GiB KV cache and 2,048-token context keep the engine small, and
`--enforce-eager` skips the compilation warm-up (minutes on a busy 2-core CPU).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest
from support.data import OFFLINE

from hvsb.serving.vllm import VllmServer, vllm_importable

SERVER_FLAGS = ("--dtype", "float32", "--max-model-len", "2048", "--enforce-eager")


@pytest.fixture(scope="session")
def env(data_dir: Path) -> dict[str, str]:
    """Subprocess environment: offline, data from HVSB_DATA_DIR, a small KV cache, and no
    vLLM server of the user's."""
    base = {k: v for k, v in os.environ.items() if k not in ("VLLM_BASE_URL", "VLLM_API_KEY")}
    return {**base, **OFFLINE, "HVSB_DATA_DIR": str(data_dir), "VLLM_CPU_KVCACHE_SPACE": "1"}


@pytest.fixture(scope="session")
def vllm_served(env: dict[str, str], model_path: Path, tmp_path_factory) -> Iterator[VllmServer]:
    """`hvsb serve embedded/smollm2` in the background; its printed `export` line gives the
    URL and key. At the end it gets SIGTERM and must exit 0 with the port closed."""
    if not vllm_importable():
        pytest.skip("vLLM is not installed (bash scripts/install.sh --vllm)")
    log = tmp_path_factory.mktemp("vllm_serve") / "hvsb-serve.stderr"
    with log.open("w") as errors:
        process = subprocess.Popen(
            [sys.executable, "-m", "hvsb.cli", "serve", "embedded/smollm2", *SERVER_FLAGS],
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
            env=env,
        )
    try:
        server = _read_served(process, model_path, log)
        yield server
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(90)
    assert code == 0, log.read_text()[-3000:]
    port = urlparse(server.base_url).port
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0, "the server still listens"


def _read_served(process: subprocess.Popen, model_path: Path, log: Path) -> VllmServer:
    """The server described by `hvsb serve`'s `export VLLM_BASE_URL=... VLLM_API_KEY=...`."""
    for line in process.stdout:
        if line.startswith("export VLLM_BASE_URL="):
            values = dict(item.split("=", 1) for item in line.split()[1:])
            return VllmServer(
                model=str(model_path),
                base_url=values["VLLM_BASE_URL"],
                api_key=values["VLLM_API_KEY"],
                log=log,
            )
    pytest.fail(f"hvsb serve exited ({process.wait()}) before serving:\n{log.read_text()[-3000:]}")
