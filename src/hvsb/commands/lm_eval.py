"""`hvsb tasks-path` and `hvsb lm-eval ...`: the hvsb tasks from lm-evaluation-harness.

lm-eval 0.4.13 has no task plugins, so its CLI finds external tasks only through
`--include_path`. `hvsb tasks-path` prints the folder to pass there; `hvsb lm-eval` runs
lm-eval's own CLI in this process with that folder added to every task manager it
creates (any `--include_path` of the user's is kept and wins on name clashes), so all
lm_eval subcommands and options work unchanged, with one default of hvsb's: `--model hf`
without `--batch_size` runs 32 documents per batch (lm-eval's default is 1, one prompt
per generate call, several times slower; see benchmarks/RESULTS.md). lm-eval's own
result logging passes through too: `--wandb_args` (a Weights & Biases run) and
`--hf_hub_log_args` (results and samples pushed to a Hugging Face dataset repository).
"""

from __future__ import annotations

import argparse
import contextlib
import inspect
import logging
import os
import re
import sys
from collections.abc import Iterator
from typing import Any

from hvsb.serving.vllm import is_cpu_build
from hvsb.tasks.lm_eval import tasks_path


def register(subparsers: argparse._SubParsersAction) -> None:
    where = subparsers.add_parser(
        "tasks-path", help="print the lm-eval task folder (for lm_eval --include_path)"
    )
    where.set_defaults(handler=_tasks_path)
    run = subparsers.add_parser(
        "lm-eval",
        help="lm-eval's CLI with the hvsb tasks included; every lm_eval option passes "
        "through, --wandb_args and --hf_hub_log_args (W&B, Hugging Face Hub) included",
        description="Runs `lm_eval ARGS...` with the hvsb tasks already on the include path, "
        "e.g. `hvsb lm-eval --model hf --model_args pretrained=PATH --tasks hvsb "
        "--apply_chat_template`; lm-eval's --wandb_args project=NAME and --hf_hub_log_args "
        "hub_results_org=ORG,push_results_to_hub=True reach lm-eval unchanged. "
        "`hvsb lm-eval --help` shows lm_eval's help.",
        add_help=False,
    )
    run.set_defaults(handler=_lm_eval, accepts_extra=True)


def _tasks_path(_args: argparse.Namespace, _extra: list[str]) -> int:
    print(tasks_path())
    return 0


def _lm_eval(_args: argparse.Namespace, extra: list[str]) -> int:
    from lm_eval.__main__ import cli_evaluate

    argv = with_batch_default(extra[1:] if extra[:1] == ["--"] else extra)
    if _model_type(argv) == "vllm" and is_cpu_build() and not lm_eval_vllm_supported():
        print(VLLM_CPU_MESSAGE, file=sys.stderr)
        return 2
    saved = sys.argv
    sys.argv = ["lm-eval", *argv]
    try:
        redact_secrets_in_logs()
        with hvsb_tasks_included():
            cli_evaluate()
    except SystemExit as done:  # argparse and lm-eval exit this way
        code = done.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    finally:
        sys.argv = saved
    return 0


_SECRET_NAME = re.compile(r"KEY|TOKEN|SECRET|PASSWORD", re.IGNORECASE)
_SECRET_SHAPES = (
    re.compile(r"(Bearer\s+)[^\s'\",)>]+", re.IGNORECASE),  # an Authorization header
    re.compile(r"((?:api[_-]?key|token)['\"]?\s*[:=]\s*['\"]?)[^\s'\",)>]+", re.IGNORECASE),
)
REDACTED = "***"


def redact(text: str, secrets: list[str]) -> str:
    """`text` with bearer tokens, `api_key=`/`token:` values and known secret values hidden."""
    for secret in secrets:
        text = text.replace(secret, REDACTED)
    for shape in _SECRET_SHAPES:
        text = shape.sub(lambda match: match.group(1) + REDACTED, text)
    return text


def redact_secrets_in_logs() -> None:
    """Keep API keys off the screen and out of log files, for the rest of this process:
    lm-eval logs a failed request's repr, headers included (`Authorization: Bearer
    <key>`), and asyncio logs the same repr when it collects an unretrieved task's
    exception — possibly after lm-eval has returned. Installed once; idempotent."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "hvsb_redacts", False):
        return
    secrets = [
        value for name, value in os.environ.items() if _SECRET_NAME.search(name) and len(value) >= 8
    ]

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        message = record.getMessage()
        cleaned = redact(message, secrets)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return record

    factory.hvsb_redacts = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)


HF_BATCH_SIZE = "32"
_BATCH_FLAGS = ("--batch_size", "--batch-size", "-b")


def _model_type(argv: list[str]) -> str | None:
    """The value of `--model` in an lm_eval command line."""
    model = next(
        (value for flag, value in zip(argv, [*argv[1:], ""], strict=True) if flag == "--model"),
        None,
    )
    return model or next((a.split("=", 1)[1] for a in argv if a.startswith("--model=")), None)


VLLM_CPU_MESSAGE = """\
hvsb lm-eval: error: lm-eval's --model vllm needs the distribution named `vllm`, and this
environment has vLLM's CPU build (`vllm-cpu`), which lm-eval cannot load. Serve the model
and use lm-eval's API models instead (same tasks, same greedy decoding):
  hvsb serve MODEL        # prints the exact commands, e.g.
  OPENAI_API_KEY=KEY hvsb lm-eval --model local-completions \\
    --model_args model=MODEL,base_url=http://127.0.0.1:PORT/v1/completions,tokenizer_backend=huggingface,tokenizer=MODEL \\
    --tasks hvsb_bbq_ll --apply_chat_template
local-completions serves generation and log-likelihood tasks; local-chat-completions
(base_url=.../v1/chat/completions) serves generation tasks."""


def lm_eval_vllm_supported() -> bool:
    """Whether lm-eval's `--model vllm` can load here: it reads the version of the
    distribution `vllm`, which the CPU build (`vllm-cpu`) does not install."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        version("vllm")
    except PackageNotFoundError:
        return False
    return True


def with_batch_default(argv: list[str]) -> list[str]:
    """`argv` plus `--batch_size 32` when it runs `--model hf` and sets no batch size."""
    model = _model_type(argv)
    sized = any(a in _BATCH_FLAGS or a.startswith(("--batch_size=", "--batch-size=")) for a in argv)
    if model != "hf" or sized:
        return argv
    print(
        f"hvsb lm-eval: --batch_size {HF_BATCH_SIZE} (hvsb's default for --model hf; "
        "pass --batch_size to choose)",
        file=sys.stderr,
    )
    return [*argv, "--batch_size", HF_BATCH_SIZE]


@contextlib.contextmanager
def hvsb_tasks_included() -> Iterator[None]:
    """Add the hvsb task folder to the include path of every lm-eval TaskManager."""
    from lm_eval.tasks import TaskManager

    original = TaskManager.__init__
    signature = inspect.signature(original)

    def init(self, *args, **kwargs) -> None:
        bound = signature.bind(self, *args, **kwargs)
        given = bound.arguments.get("include_path")
        paths = list(given) if isinstance(given, list | tuple) else [given] if given else []
        bound.arguments["include_path"] = [str(tasks_path()), *paths]
        original(*bound.args, **bound.kwargs)

    TaskManager.__init__ = init  # type: ignore[method-assign]
    try:
        yield
    finally:
        TaskManager.__init__ = original  # type: ignore[method-assign]
