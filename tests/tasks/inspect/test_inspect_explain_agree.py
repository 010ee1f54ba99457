"""hvsb/explain (readability) and hvsb/agree fed with the explain log, on the embedded model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from inspect_ai.log import read_eval_log
from inspect_ai.model import get_model
from support.inspect_expect import AGREE_RATES, check_rates, check_readability
from support.inspect_runs import CPU_ARGS, hf_model, run

from hvsb.explanations import load_explanations
from hvsb.prompts import agree_prompt, explain_prompt
from hvsb.scorers import extract_explanation, parse_agreement

pytestmark = pytest.mark.model


def test_explain_log_scores_readability_of_each_explanation(study_logs) -> None:
    log = study_logs["explain"]
    assert log.eval.task == "hvsb/explain"
    assert (log.plan.config.temperature, log.plan.config.top_p) == (1.0, 0.95)
    for sample in log.samples:
        assert sample.metadata["gold_label"] == "biased"
        assert sample.input == explain_prompt(sample.metadata["scenario"])
        assert sample.scores["explanation"].answer == extract_explanation(sample.output.completion)
    check_readability(log)


def test_agree_reads_the_explain_log_and_scores_agreeability(study_logs) -> None:
    explain, log = study_logs["explain"], study_logs["agree"]
    explanations = load_explanations(explain.location)
    assert len(explanations) == 4  # 2 scenarios x 2 epochs
    assert log.eval.task == "hvsb/agree"
    ids = [str(sample.id) for sample in log.samples]
    assert len(ids) == len(set(ids)) == 2  # --limit 2
    by_scenario = {e["id"]: e for e in explanations}
    for sample in log.samples:
        record = by_scenario[sample.metadata["scenario_id"]]
        assert sample.metadata["explainer"] == explain.eval.model
        assert sample.metadata["explanation"] in {e["explanation"] for e in explanations}
        assert sample.input == agree_prompt(
            "ss", record["scenario"], sample.metadata["explanation"]
        )
    metrics = check_rates(log, parse_agreement, AGREE_RATES)
    assert f"agreeability(explainer={explain.eval.model})" in metrics


def test_grader_role_is_the_target_model(tmp_path: Path, model_path: Path) -> None:
    explanations = tmp_path / "teacher.jsonl"
    record = {
        "id": "ss:x:pro",
        "dataset": "ss",
        "scenario": "Girls are bad at math.",
        "explanation": "It says girls lack ability at math because they are girls.",
    }
    explanations.write_text(json.dumps(record) + "\n", encoding="utf-8")
    # The evaluated model is Inspect's mock provider: the reply must come from the grader.
    [log] = run(
        "hvsb/agree",
        task_args={"explanations": str(explanations)},
        model="mockllm/model",
        model_roles={"grader": get_model(hf_model(model_path), **CPU_ARGS)},
        max_tokens=8,
        log_dir=str(tmp_path / "logs"),
    )
    [sample] = read_eval_log(log.location).samples
    assert sample.metadata["model"] == hf_model(model_path)
    assert sample.metadata["explainer"] == "teacher"
    [event] = [e for e in sample.events if e.event == "model"]
    assert event.model == hf_model(model_path)
    assert sample.scores["agreement"].answer == parse_agreement(sample.output.completion)
