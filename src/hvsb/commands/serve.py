"""`hvsb serve MODEL`: serve a model with vLLM and print how Inspect and lm-eval reach it."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time

from hvsb.serving.vllm import VLLM_PREFIX, VllmServer, serve
from hvsb.study.spec import EMBEDDED_PREFIX


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "serve",
        help="serve a model with vLLM's OpenAI-compatible server on 127.0.0.1",
        description="Starts vLLM's OpenAI-compatible server on 127.0.0.1 for MODEL, prints "
        "the environment and commands that point Inspect and lm-eval at it, and serves "
        "until interrupted (Ctrl-C). Options hvsb does not know are passed to the server, "
        "e.g. `hvsb serve embedded/smollm2 --dtype float32 --max-model-len 2048`.",
    )
    parser.add_argument(
        "model", help="embedded/smollm2, a model folder or a hub id (a vllm/ prefix is allowed)"
    )
    parser.add_argument("--port", type=int, help="port to listen on (default: a free one)")
    parser.add_argument(
        "--api-key",
        default=os.environ.get("VLLM_API_KEY"),
        help="the key clients must send (default: $VLLM_API_KEY, else a random one)",
    )
    parser.set_defaults(handler=_serve, accepts_extra=True)


def resolve_model(name: str) -> str:
    """The model vLLM loads: embedded/<name> becomes its prepared folder."""
    name = name.removeprefix(VLLM_PREFIX)
    if name.startswith(EMBEDDED_PREFIX):
        from hvsb import models

        return str(models.prepare(name[len(EMBEDDED_PREFIX) :]))
    return name


def usage(server: VllmServer) -> str:
    """The lines that point Inspect and lm-eval at `server` (commands work pasted)."""
    completions = server.lm_eval_model_args("completions")
    chat = server.lm_eval_model_args("chat/completions")
    return f"""\
vLLM serves {server.model} at {server.base_url} (Ctrl-C stops it).

# Inspect (vllm/ provider):
export VLLM_BASE_URL={server.base_url} VLLM_API_KEY={server.api_key}
inspect eval hvsb/judge -T dataset=bbq --model vllm/{server.model} --limit 8

# lm-eval, generation and log-likelihood tasks (prompt log-probs) through completions:
export OPENAI_API_KEY={server.api_key}
hvsb lm-eval --model local-completions --model_args {completions} \\
  --tasks hvsb_bbq_ll --apply_chat_template --limit 8
# lm-eval through chat completions (generation only):
hvsb lm-eval --model local-chat-completions --model_args {chat} \\
  --tasks hvsb_bbq --apply_chat_template --limit 8
"""


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt


def _serve(args: argparse.Namespace, extra: list[str]) -> int:
    flags = extra[1:] if extra[:1] == ["--"] else extra
    # SIGTERM ends the block as Ctrl-C does (also while the engine starts), so the server
    # is stopped either way.
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        model = resolve_model(args.model)
        with serve(model, flags=flags, port=args.port, api_key=args.api_key) as server:
            print(usage(server), flush=True)
            while True:
                time.sleep(3600)
    except KeyboardInterrupt:
        print("hvsb serve: stopped", file=sys.stderr)
    return 0
