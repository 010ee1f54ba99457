"""Inspect's `vllm/` provider against the vLLM server: hvsb/judge equals the transformers path."""

from __future__ import annotations

from pathlib import Path

import pytest
from inspect_ai.log import read_eval_log
from support.vllm_compare import inspect_judge, inspect_labels, same_metrics

from hvsb.rows import read_rows
from hvsb.serving.vllm import SMALL_MACHINE_CPUS, is_cpu_build, usable_cpus

pytestmark = pytest.mark.model


def test_inspect_judge_on_vllm_equals_transformers(
    vllm_served, env, data_dir: Path, model_path: Path, tmp_path: Path
) -> None:
    vllm_log = inspect_judge(
        f"vllm/{model_path}", tmp_path / "vllm", {**env, **vllm_served.inspect_env}, data_dir
    )
    hf_log = inspect_judge(
        f"hf/{model_path}",
        tmp_path / "hf",
        env,
        data_dir,
        *("-M", "do_sample=false", "-M", "dtype=float32"),
    )
    served, local = read_eval_log(str(vllm_log)), read_eval_log(str(hf_log))
    assert served.eval.model == f"vllm/{model_path}"
    assert all(sample.output.completion for sample in served.samples)  # every scenario judged
    # Greedy decoding in float32 on both: the same label for every scenario, so the same
    # metrics (hvsb.scorers computes them from the labels).
    # shown on a failure: each side's replies
    replies = {log.name: [row["reply"] for row in read_rows(log)] for log in (vllm_log, hf_log)}
    assert inspect_labels(vllm_log) == inspect_labels(hf_log), replies
    assert len(inspect_labels(vllm_log)) == 4
    served_metrics = {k: v.value for k, v in served.results.scores[0].metrics.items()}
    local_metrics = {k: v.value for k, v in local.results.scores[0].metrics.items()}
    assert same_metrics(served_metrics, local_metrics), (served_metrics, local_metrics)


def test_served_engine_runs_on_every_core_of_a_small_machine(vllm_served) -> None:
    """The engine's own log (named on `hvsb serve`'s stderr) shows the cores it kept back."""
    if not is_cpu_build():
        pytest.skip("core reservation is a setting of vLLM's CPU build")
    serve_err = vllm_served.log.read_text()
    server_log = Path(serve_err.split("(log: ", 1)[1].split(")", 1)[0])
    reserved = server_log.read_text().split("reserve_cpu_num=", 1)[1].split()[0]
    if usable_cpus() <= SMALL_MACHINE_CPUS:
        assert reserved == "0", serve_err
    else:
        assert reserved != "0"  # vLLM's own reservation is left alone
