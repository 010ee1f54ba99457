"""hvsb/judge through Inspect's openai-api provider against `transformers serve` on 127.0.0.1."""

from __future__ import annotations

from pathlib import Path

import pytest
from inspect_ai.log import read_eval_log
from support.inspect_expect import JUDGE_RATES, check_rates
from support.inspect_runs import run

from hvsb.scorers import parse_judgment

pytestmark = pytest.mark.model


def test_judge_runs_against_transformers_serve(
    served_model: str, model_path: Path, data_dir: Path, tmp_path: Path, monkeypatch
) -> None:
    # openai-api/<service>/<model> reads <SERVICE>_BASE_URL and <SERVICE>_API_KEY.
    monkeypatch.setenv("LOCAL_BASE_URL", served_model)
    monkeypatch.setenv("LOCAL_API_KEY", "unused-by-transformers-serve")
    # The server is pinned to the model folder and wants its path as the model name.
    model = f"openai-api/local/{model_path}"
    [log] = run(
        "hvsb/judge",
        task_args={"dataset": "bbq", "attack": "untargeted", "data_dir": str(data_dir)},
        model=model,
        limit=2,
        max_tokens=16,
        log_dir=str(tmp_path / "logs"),
    )
    log = read_eval_log(log.location)
    assert log.eval.model == model
    for sample in log.samples:
        assert sample.metadata["system_turn"] == "system"  # served templates apply server-side
        assert sample.output.completion  # the server answered
    check_rates(log, parse_judgment, JUDGE_RATES)
