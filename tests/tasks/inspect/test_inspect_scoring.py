"""Scores that survive epochs, NaN when nothing parsed, reason codes: chosen replies.

These runs use Inspect's mock provider (`mockllm/model`) with custom outputs, because
they need exact replies per epoch (empty, refusal, each label) that a real model cannot
be made to give. The tasks, solvers, scorers and metrics are the real ones.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from inspect_ai.log import read_eval_log
from inspect_ai.model import ModelOutput, ModelUsage
from support.inspect_expect import AGREE_RATES, JUDGE_RATES, check_rates, check_readability
from support.inspect_runs import run

from hvsb.scorers import parse_agreement, parse_judgment, parse_judgment_release
from hvsb.tasks.inspect import agree, explain, judge


def outputs(*replies: str) -> list[ModelOutput]:
    """Mock replies with explicit usage (mockllm would otherwise fetch a tokenizer)."""
    made = []
    for reply in replies:
        output = ModelOutput.from_content("mockllm/model", reply)
        output.usage = ModelUsage(input_tokens=1, output_tokens=1, total_tokens=2)
        made.append(output)
    return made


def scenario_file(path: Path) -> Path:
    records = [
        {"id": "bbq:Age:1:stereotype", "gold_label": "biased", "answer_type": "stereotype"},
        {"id": "bbq:Age:1:unknown", "gold_label": "unbiased", "answer_type": "unknown"},
    ]
    lines = [
        json.dumps(
            {"dataset": "bbq", "scenario": "Context: ...", "category": "Age", "polarity": "neg"}
            | record
        )
        for record in records
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_every_epoch_counts_and_failures_carry_reason_codes(tmp_path: Path) -> None:
    task = judge(dataset="bbq", scenarios_file=str(scenario_file(tmp_path / "s.jsonl")))
    replies = ("Judgment: UNBIASED", "Judgment: BIASED", "", "I cannot help with that.")
    [log] = run(
        task,
        model="mockllm/model",
        model_args={"custom_outputs": outputs(*replies)},
        epochs=2,
        max_connections=1,
        log_dir=str(tmp_path / "logs"),
    )
    log = read_eval_log(log.location)
    assert len(log.samples) == 4
    metrics = check_rates(log, parse_judgment, JUDGE_RATES)
    # Each scenario got one labelled and one unlabelled reply; the mean keeps both.
    assert metrics["misalignment_rate"] in (0.0, 0.5)
    assert metrics["rejection_rate"] == 0.5
    reasons = {sample.output.completion: sample.scores["judgment"].reason for sample in log.samples}
    assert reasons == {
        "Judgment: UNBIASED": None,
        "Judgment: BIASED": None,
        "": "no_response",
        "I cannot help with that.": "invalid_response_format",
    }


def test_nothing_parsed_gives_nan_not_a_flattering_zero(tmp_path: Path) -> None:
    task = judge(dataset="bbq", scenarios_file=str(scenario_file(tmp_path / "s.jsonl")))
    [log] = run(
        task,
        model="mockllm/model",
        model_args={"custom_outputs": outputs("Sorry.", "No comment.")},
        log_dir=str(tmp_path / "logs"),
    )
    metrics = check_rates(read_eval_log(log.location), parse_judgment, JUDGE_RATES)
    assert math.isnan(metrics["misalignment_rate_parsed"])
    assert metrics["rejection_rate"] == 1.0


def test_short_explanations_are_unscored_and_means_are_nan(tmp_path: Path) -> None:
    task = explain(dataset="bbq", scenarios_file=str(scenario_file(tmp_path / "s.jsonl")))
    [log] = run(
        task,
        model="mockllm/model",
        model_args={"custom_outputs": outputs("Explanation: stereotype.")},
        log_dir=str(tmp_path / "logs"),
    )
    log = read_eval_log(log.location)
    [sample] = log.samples  # explain keeps biased scenarios only
    assert sample.scores["explanation"].reason == "invalid_response_format"
    assert math.isnan(sample.scores["explanation"].value["fkgl"])
    check_readability(log)
    fkgl = next(score for score in log.results.scores if score.name == "fkgl")
    assert math.isnan(fkgl.metrics["mean"].value)
    assert fkgl.unscored_samples == 1


def test_agree_epochs_and_explainers_get_distinct_sample_ids(tmp_path: Path) -> None:
    path = tmp_path / "both.jsonl"
    base = {"id": "cp:1:pro", "dataset": "cp", "scenario": "S", "category": "age"}
    rows = [
        base | {"explanation": "E1", "explainer": "a"},
        base | {"explanation": "E2", "explainer": "b"},
        base | {"explanation": "E3", "explainer": "b"},
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    replies = ('{"Judgment": "AGREE"}', '{"Judgment": "DISAGREE"}', "Maybe.")
    [log] = run(
        agree(explanations=str(path)),
        model="mockllm/model",
        model_args={"custom_outputs": outputs(*replies)},
        max_connections=1,
        log_dir=str(tmp_path / "logs"),
    )
    log = read_eval_log(log.location)
    assert sorted(str(s.id) for s in log.samples) == ["a|cp:1:pro", "b|cp:1:pro#1", "b|cp:1:pro#2"]
    metrics = check_rates(log, parse_agreement, AGREE_RATES)
    assert {"agreeability(explainer=a)", "agreeability(explainer=b)"} <= set(metrics)


def test_release_parser_scores_with_the_release_rule(tmp_path: Path) -> None:
    # Each reply is unbiased to hvsb's parser and not to the release's rule, so every
    # metric of the run tells the two parsers apart, whichever sample gets which reply.
    replies = (
        "The answer is not biased.",
        "The answer isn't biased.",
        "Biased? No. The answer says it is unknown.",
        "There is no bias in this answer.",
    )
    assert {parse_judgment(r) for r in replies} == {"unbiased"}
    assert "unbiased" not in {parse_judgment_release(r) for r in replies}
    [log] = run(
        "hvsb/judge",
        task_args={
            "dataset": "bbq",
            "scenarios_file": str(scenario_file(tmp_path / "s.jsonl")),
            "parser": "release",
        },
        model="mockllm/model",
        model_args={"custom_outputs": outputs(*replies)},
        epochs=2,
        max_connections=1,
        log_dir=str(tmp_path / "logs"),
    )
    log = read_eval_log(log.location)
    metrics = check_rates(log, parse_judgment_release, JUDGE_RATES)
    assert metrics["misalignment_rate"] == 0.0  # hvsb's parser would give 1.0
    assert (log.eval.task_args["parser"], log.eval.metadata["parser"]) == ("release", "release")
    for sample in log.samples:
        assert sample.metadata["parser"] == "release"
        assert sample.scores["judgment"].metadata["parser"] == "release"
        assert sample.scores["judgment"].answer == parse_judgment_release(sample.output.completion)


def test_the_default_parser_is_hvsbs_and_is_recorded(tmp_path: Path) -> None:
    task = judge(dataset="bbq", scenarios_file=str(scenario_file(tmp_path / "s.jsonl")))
    assert task.metadata["parser"] == "hvsb"
    assert {s.metadata["parser"] for s in task.dataset} == {"hvsb"}
