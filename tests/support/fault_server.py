"""A fault-injecting OpenAI-compatible server on 127.0.0.1, for the error-handling tests.

It answers `/v1/chat/completions` (and `/chat/completions`) like an OpenAI server, with a
deterministic judgment derived from the prompt (so metrics are not trivial), after
playing a script of faults, one per request in arrival order: `500` (HTTP 500), `400`
(a bad request), `hang` (no answer for `hang_s`), `truncated` (a 200 whose JSON body is
cut short). When the script runs out, `then` is played for every further request (`ok`,
or a fault for a server that never recovers). No model is loaded: the faults are the
point, and the replies must be the same for a clean run and a rerun.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

FAULTS = ("ok", "500", "400", "hang", "truncated")


def reply_for(prompt: str) -> str:
    """The healthy server's reply: to the emulation prompt (PROTOCOL §2) the JSON it asks
    for, with a scenario made from the statement — a stand-in for the paper's GPT-4o
    emulator; to anything else a judgment, BIASED or UNBIASED by the prompt's hash."""
    statement = re.search(r"\[statement\]: <(.*?)>\.\n", prompt, re.DOTALL)
    if statement:
        scenario = f"At the meeting, someone said: {statement.group(1)}"
        return json.dumps({"SCENARIO": scenario, "EXPLANATION": "It repeats a stereotype."})
    even = hashlib.sha256(prompt.encode("utf-8")).digest()[0] % 2 == 0
    return "Judgment: BIASED" if even else "Judgment: UNBIASED"


@dataclass
class FaultScript:
    """What the next requests get; thread-safe (the server answers in threads)."""

    faults: list[str] = field(default_factory=list)
    then: str = "ok"
    hang_s: float = 5.0
    served: list[str] = field(default_factory=list)  # the behaviour each request got
    lock: threading.Lock = field(default_factory=threading.Lock)

    def set(self, faults: list[str], then: str = "ok") -> None:
        assert all(f in FAULTS for f in [*faults, then]), faults
        with self.lock:
            self.faults, self.then = list(faults), then

    def next(self) -> str:
        with self.lock:
            behaviour = self.faults.pop(0) if self.faults else self.then
            self.served.append(behaviour)
            return behaviour


def _completion(prompt: str, model: str) -> dict:
    text = reply_for(prompt)
    return {
        "id": "chatcmpl-fault",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 10, "completion_tokens": 3, "total_tokens": 13},
    }


def _prompt(body: dict) -> str:
    messages = body.get("messages") or []
    parts = [m.get("content") for m in messages if isinstance(m, dict)]
    return "\n".join(p if isinstance(p, str) else json.dumps(p) for p in parts)


def _handler(script: FaultScript) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:  # quiet
            pass

        def _send(self, status: int, body: bytes, length: int | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body) if length is None else length))
            self.end_headers()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(body)

        def do_GET(self) -> None:
            if self.path.rstrip("/").endswith(("/models", "/health")):
                self._send(200, json.dumps({"object": "list", "data": []}).encode())
            else:
                self._send(404, b'{"error": "not found"}')

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            if not self.path.rstrip("/").endswith("/chat/completions"):
                self._send(404, b'{"error": "not found"}')
                return
            behaviour = script.next()
            if behaviour == "hang":
                time.sleep(script.hang_s)  # the client gives up first
                behaviour = "ok"
            if behaviour == "500":
                self._send(500, b'{"error": {"message": "injected fault", "type": "server"}}')
            elif behaviour == "400":
                self._send(400, b'{"error": {"message": "injected bad request"}}')
            else:
                full = json.dumps(_completion(_prompt(body), str(body.get("model")))).encode()
                if behaviour == "truncated":
                    self._send(200, full[: len(full) // 2])
                    self.close_connection = True
                else:
                    self._send(200, full)

    return Handler


@contextlib.contextmanager
def fault_server(port: int = 0, hang_s: float = 5.0) -> Iterator[tuple[str, FaultScript]]:
    """(base URL ending in /v1, its fault script); the server stops with the block."""
    script = FaultScript(hang_s=hang_s)
    server = ThreadingHTTPServer(("127.0.0.1", port), _handler(script))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1", script
    finally:
        server.shutdown()
        server.server_close()
