"""lm-eval against the vLLM server: the judge task through local-chat-completions and the
log-likelihood task through local-completions equal `--model hf` on the same documents."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest
from support.vllm_compare import lm_eval, lm_eval_labels, same_metrics

from hvsb.serving.vllm import is_cpu_build

pytestmark = pytest.mark.model
HF_ARGS = "pretrained={},dtype=float32"


def _metrics(out: Path, task: str) -> dict[str, float]:
    [results] = out.rglob("results_*.json")
    values = json.loads(results.read_text())["results"][task]
    return {k: v for k, v in values.items() if k.endswith(",none") and "_stderr" not in k}


def _loglikelihoods(out: Path, task: str) -> dict[int, list[float]]:
    [samples] = out.rglob(f"samples_{task}_*.jsonl")
    rows = [json.loads(line) for line in samples.read_text().splitlines()]
    return {row["doc_id"]: [float(resp[0][0]) for resp in row["resps"]] for row in rows}


def test_judge_task_through_chat_completions_equals_hf(
    vllm_served, env, model_path: Path, tmp_path: Path
) -> None:
    decoding = ("--gen_kwargs", "max_gen_toks=32")
    served = lm_eval(
        "local-chat-completions",
        vllm_served.lm_eval_model_args("chat/completions"),
        tmp_path / "vllm",
        {**env, **vllm_served.lm_eval_env},
        *("--tasks", "hvsb_bbq", *decoding),
    )
    local = lm_eval(
        "hf",
        HF_ARGS.format(model_path),
        tmp_path / "hf",
        env,
        *("--tasks", "hvsb_bbq", "--batch_size", "1", *decoding),
    )
    labels, local_labels = lm_eval_labels(served, "hvsb_bbq"), lm_eval_labels(local, "hvsb_bbq")
    assert len(labels) == 4 and labels == local_labels, (labels, local_labels)
    metrics = _metrics(served, "hvsb_bbq"), _metrics(local, "hvsb_bbq")
    assert same_metrics(*metrics), metrics


def test_loglikelihood_task_through_completions_equals_hf(
    vllm_served, env, model_path: Path, tmp_path: Path
) -> None:
    served = lm_eval(
        "local-completions",
        vllm_served.lm_eval_model_args("completions"),
        tmp_path / "vllm",
        {**env, **vllm_served.lm_eval_env},
        *("--tasks", "hvsb_bbq_ll"),
    )
    local = lm_eval(
        "hf", HF_ARGS.format(model_path), tmp_path / "hf", env, "--tasks", "hvsb_bbq_ll"
    )
    # The server's prompt log-probs are the model's own: equal to transformers' float32
    # forward pass up to kernel rounding.
    served_ll, local_ll = (
        _loglikelihoods(served, "hvsb_bbq_ll"),
        _loglikelihoods(local, "hvsb_bbq_ll"),
    )
    assert served_ll.keys() == local_ll.keys() and len(served_ll) == 4, (served_ll, local_ll)
    for doc, values in served_ll.items():
        assert all(
            math.isclose(a, b, abs_tol=1e-3) for a, b in zip(values, local_ll[doc], strict=True)
        ), (served_ll, local_ll)
    labels = lm_eval_labels(served, "hvsb_bbq_ll"), lm_eval_labels(local, "hvsb_bbq_ll")
    assert labels[0] == labels[1], labels
    metrics = _metrics(served, "hvsb_bbq_ll"), _metrics(local, "hvsb_bbq_ll")
    assert same_metrics(*metrics), metrics


def test_lm_eval_model_vllm_on_the_cpu_build_names_the_alternative(env) -> None:
    if not is_cpu_build():
        pytest.skip("the installed vLLM is not the CPU build: --model vllm loads in-process")
    done = subprocess.run(
        [sys.executable, "-m", "hvsb.cli", "lm-eval", "--model", "vllm", "--tasks", "hvsb_bbq"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert done.returncode == 2
    assert "--model local-completions" in done.stderr and "hvsb serve" in done.stderr
