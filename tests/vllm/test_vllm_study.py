"""`hvsb run` of a study whose model is `vllm/<embedded model folder>`: hvsb starts the
vLLM server itself, once, for judge, explain and agree, and stops it at the end."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from support.vllm_compare import run_ok

from hvsb.analysis import build_table
from hvsb.serving.vllm import vllm_importable

pytestmark = pytest.mark.model

STUDY = """\
name: tiny-vllm
output_dir: {out}
data_dir: {data}
models:
  - name: smollm2-vllm
    model: vllm/{model}
    args: {{dtype: float32, max_model_len: 2048, enforce_eager: true}}
datasets: [bbq]
attacks: [none, targeted]
judge: {{limit: 2, max_tokens: 16}}
explain: {{limit: 1, max_tokens: 24}}
agree: {{max_tokens: 16}}
"""


def test_study_with_a_vllm_model_runs_every_step_on_one_server(
    env, data_dir: Path, model_path: Path, tmp_path: Path
) -> None:
    if not vllm_importable():
        pytest.skip("vLLM is not installed (bash scripts/install.sh --vllm)")
    out = tmp_path / "out"
    study = tmp_path / "study.yaml"
    study.write_text(STUDY.format(out=out, data=data_dir, model=model_path), encoding="utf-8")
    stderr = run_ok([sys.executable, "-m", "hvsb.cli", "run", str(study)], env, timeout=1500)
    assert stderr.count("hvsb: starting the vLLM server") == 1, stderr[-3000:]
    assert stderr.count("hvsb: vLLM server ready") == 1
    assert stderr.count("hvsb: stopped the vLLM server") == 1
    assert (out / "servers" / f"{str(model_path).strip('/').replace('/', '_')}.log").is_file()
    table = build_table([out / "logs"])
    assert set(table.model) == {"smollm2-vllm"}
    assert table.groupby("task").size().to_dict() == {"judge": 4, "explain": 1, "agree": 1}
    assert table.reply.str.len().gt(0).all()  # every sample has the server's reply
    assert (out / "report" / "report.html").is_file()
