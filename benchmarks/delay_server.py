"""An OpenAI-compatible chat server on 127.0.0.1 that answers after a fixed delay.

A stand-in for a remote API's latency in the API row of `study_throughput.py`: no model
runs, every reply waits `delay` seconds, and the verdict is a pure function of the prompt
(BIASED or UNBIASED from its hash), so a client that pairs a reply with the wrong
scenario shows up in the label comparison.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def verdict(prompt: str) -> str:
    """The fixed reply to a prompt."""
    label = "BIASED" if hashlib.sha256(prompt.encode()).digest()[0] % 2 else "UNBIASED"
    return f"Judgment: {label}. The reply depends on the prompt only."


def start(delay: float) -> tuple[ThreadingHTTPServer, str]:
    """Start the server in a daemon thread; returns it and its /v1 base URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            prompt = body["messages"][-1]["content"]
            time.sleep(delay)
            reply = {
                "id": "delay",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": body["model"],
                "choices": [
                    {
                        "index": 0,
                        "finish_reason": "stop",
                        "message": {"role": "assistant", "content": verdict(prompt)},
                    }
                ],
                "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
            }
            data = json.dumps(reply).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *_: object) -> None:  # quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/v1"
