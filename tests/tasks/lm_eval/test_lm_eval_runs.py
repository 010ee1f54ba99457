"""End-to-end lm-eval runs on the embedded model: metrics equal hvsb.scorers on the replies."""

from __future__ import annotations

import math

import pytest
from support.lm_eval_runs import (
    expected_agree,
    expected_judge,
    expected_readability,
    reply,
    same,
)

from hvsb import scorers
from hvsb.prompts import attack_system_prompt, judge_prompt
from hvsb.tasks.lm_eval.utils import judge_metric_names

pytestmark = pytest.mark.model


def assert_judge_metrics(run, task: str, dataset: str, attack: str = "none") -> None:
    metrics = run.metrics(task)
    assert set(metrics) == set(judge_metric_names(dataset, attack))
    samples = run.samples[task]
    for name, value in metrics.items():
        expected = expected_judge(samples, name)
        assert same(value, expected), f"{task} {name}: {value} != {expected}"


def test_judge_task_metrics_equal_scorers(hf_run):
    samples = hf_run.samples["hvsb_bbq"]
    assert len(samples) == 4
    assert_judge_metrics(hf_run, "hvsb_bbq", "bbq")
    for sample in samples:
        assert sample["doc"]["id"].startswith("bbq:")
        prompt = sample["arguments"]["gen_args_0"]["arg_0"]
        assert judge_prompt("bbq", sample["doc"]["scenario"]) in prompt
        assert attack_system_prompt("untargeted") not in prompt


def test_release_parser_metrics_equal_the_release_rule_on_the_replies(release_parser_run):
    samples = release_parser_run.samples["hvsb_bbq"]
    assert len(samples) == 2
    assert {s["doc"]["parser"] for s in samples} == {"release"}
    assert {s["doc"]["sample"] for s in samples} == {"paper"}
    config = release_parser_run.results["configs"]["hvsb_bbq"]["metadata"]
    assert config["parser"] == "release"
    metrics = release_parser_run.metrics("hvsb_bbq")
    assert set(metrics) == set(judge_metric_names("bbq"))
    for name, value in metrics.items():
        expected = expected_judge(samples, name, scorers.parse_judgment_release)
        assert same(value, expected), f"{name}: {value} != {expected}"


def test_attack_task_sends_the_attack_as_system_turn(hf_run):
    assert_judge_metrics(hf_run, "hvsb_bbq_untargeted", "bbq", "untargeted")
    metrics = hf_run.metrics("hvsb_bbq_untargeted")
    assert same(metrics["attack_success_rate"], metrics["misalignment_rate"])
    attack = attack_system_prompt("untargeted")
    for sample in hf_run.samples["hvsb_bbq_untargeted"]:
        assert sample["doc"]["system_turn"] == "system"
        prompt = sample["arguments"]["gen_args_0"]["arg_0"]
        # SmolLM2's template renders the system turn as its own <|im_start|>system block.
        assert f"<|im_start|>system\n{attack}<|im_end|>" in prompt


def test_explain_task_reports_mean_readability(hf_run):
    metrics = hf_run.metrics("hvsb_explain_bbq")
    assert set(metrics) == {"fkgl", "gfi", "cli"}
    samples = hf_run.samples["hvsb_explain_bbq"]
    assert {s["doc"]["gold_label"] for s in samples} == {"biased"}
    for name, value in metrics.items():
        assert same(value, expected_readability(samples, name)), name
    config = hf_run.results["configs"]["hvsb_explain_bbq"]["generation_kwargs"]
    assert (config["temperature"], config["top_p"], config["do_sample"]) == (1.0, 0.95, True)


def test_agree_task_reads_the_explain_samples(hf_run, agree_run):
    explained = {
        s["doc"]["id"]: scorers.extract_explanation(reply(s))
        for s in hf_run.samples["hvsb_explain_bbq"]
    }
    samples = agree_run.samples["hvsb_agree_bbq"]
    assert len(samples) == 2
    for sample in samples:
        doc = sample["doc"]
        assert doc["explanation"] == explained[doc["id"]]
        assert doc["explanation"] in sample["arguments"]["gen_args_0"]["arg_0"]
    metrics = agree_run.metrics("hvsb_agree_bbq")
    assert set(metrics) == {"agreeability", "rejection_rate"}
    for name, value in metrics.items():
        assert same(value, expected_agree(samples, name)), name


def test_judge_task_through_local_chat_completions(api_run):
    samples = api_run.samples["hvsb_bbq"]
    assert len(samples) == 2
    assert_judge_metrics(api_run, "hvsb_bbq", "bbq")
    assert all(reply(s).strip() for s in samples)  # the server answered


def test_hvsb_lm_eval_batches_hf_by_default(group_run):
    """lm-eval's own default is one document per batch; `hvsb lm-eval` runs 32."""
    assert str(group_run.results["config"]["batch_size"]) == "32"


def test_hvsb_lm_eval_runs_the_group_without_include_path(group_run):
    tasks = ("hvsb_bbq", "hvsb_biasdpo", "hvsb_ss", "hvsb_cp")
    for task in tasks:
        assert len(group_run.samples[task]) == 2
        assert_judge_metrics(group_run, task, task.removeprefix("hvsb_"))
    group = group_run.metrics("hvsb")
    for name in ("misalignment_rate", "rejection_rate"):
        values = [group_run.metrics(task)[name] for task in tasks]
        # lm-eval's group mean; NaN (a task whose 2 scenarios hold no biased one) propagates
        expected = math.nan if any(map(math.isnan, values)) else sum(values) / len(values)
        assert same(group[name], expected), name
