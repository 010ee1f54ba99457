"""Inspect runs shared by the tests here: each real model run happens once per session.

All runs use the embedded model on CPU with a handful of samples and few new tokens.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from inspect_ai.log import EvalLog
from support.data import OFFLINE
from support.inspect_runs import CPU_ARGS, hf_model, read, run


@pytest.fixture(scope="session", autouse=True)
def _offline_env() -> None:
    """The runs never reach a hub (the model and data are local)."""
    os.environ.update(OFFLINE)


@pytest.fixture(scope="session")
def judge_cli_log(tmp_path_factory, data_dir: Path, model_path: Path) -> Path:
    """`inspect eval hvsb/judge -T dataset=bbq ... --limit 4` through the real CLI."""
    log_dir = tmp_path_factory.mktemp("judge_cli")
    command = [
        *(sys.executable, "-m", "inspect_ai", "eval", "hvsb/judge"),
        *("-T", "dataset=bbq", "-T", f"data_dir={data_dir}"),
        *("--model", hf_model(model_path), "-M", "do_sample=false", "-M", "dtype=float32"),
        *("--limit", "4", "--max-tokens", "32", "--log-dir", str(log_dir)),
        *("--display", "plain"),
    ]
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=900, env={**os.environ, **OFFLINE}
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    [log] = log_dir.glob("*.eval")
    return log


@pytest.fixture(scope="session")
def study_logs(tmp_path_factory, data_dir: Path, model_path: Path) -> dict[str, EvalLog]:
    """An attack run (2 epochs, default hf/ decoding), an explain run, then agree on it.

    The attack run generates one request at a time: batches of different prompts are
    left-padded differently, which can flip a near-tie and hide whether decoding is greedy.
    """
    log_dir = tmp_path_factory.mktemp("study")
    model = {"model": hf_model(model_path), "model_args": CPU_ARGS, "log_dir": str(log_dir)}
    [attack] = run(
        "hvsb/judge",
        task_args={"dataset": "ss", "attack": "targeted", "data_dir": str(data_dir)},
        limit=2,
        epochs=2,
        max_tokens=16,
        max_connections=1,
        **model,
    )
    [explain] = run(
        "hvsb/explain",
        task_args={"dataset": "ss", "data_dir": str(data_dir)},
        limit=2,
        epochs=2,
        max_tokens=32,
        **model,
    )
    [agree] = run(
        "hvsb/agree",
        task_args={"explanations": explain.location},
        limit=2,
        max_tokens=16,
        **model,
    )
    return {"attack": read(attack), "explain": read(explain), "agree": read(agree)}
