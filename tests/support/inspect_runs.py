"""Inspect runs of the hvsb tasks on the embedded model, as the tests make them."""

from __future__ import annotations

from pathlib import Path

from inspect_ai import eval as inspect_eval
from inspect_ai.log import EvalLog, read_eval_log

# The embedded model is stored in bf16, which is several times slower than fp32 on CPU.
CPU_ARGS = {"dtype": "float32"}


def hf_model(model_path: Path) -> str:
    return f"hf/{model_path}"


def run(tasks, **options) -> list[EvalLog]:
    """inspect_ai.eval with no display; every log must have succeeded."""
    logs = inspect_eval(tasks, display="none", **options)
    for log in logs:
        assert log.status == "success", log.error
    return logs


def read(log: EvalLog) -> EvalLog:
    """The log as written to disk (what users and `inspect view` see)."""
    return read_eval_log(log.location)
