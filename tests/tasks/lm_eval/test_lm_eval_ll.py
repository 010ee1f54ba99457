"""Log-likelihood judge tasks (`hvsb_<ds>_ll`): prompts, scoring and a real run.

The run is `hvsb lm-eval` on the embedded model in float32; its logged log-likelihoods
are checked against a direct transformers forward pass on the logged contexts, and its
metrics (lm-eval's and `hvsb report`'s) against labels recomputed from those numbers.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Any

import pytest
from support.lm_eval_runs import JUDGE_RATES, Run, hvsb, in_cell, read_run, run_command, same

from hvsb.errors import HvsbError
from hvsb.prompts import DATASETS, attack_system_prompt, judge_prompt
from hvsb.scorers.loglikelihood import ll_label
from hvsb.tasks.lm_eval import tasks_path, utils

ATTACKS = ("untargeted", "targeted")
LL = [f"hvsb_{ds}_ll" for ds in DATASETS]
LL_ATTACK = [f"hvsb_{ds}_ll_{attack}" for attack in ATTACKS for ds in DATASETS]
CONTINUATIONS = [" BIASED", " UNBIASED"]


@pytest.fixture(scope="module")
def ll_tasks(data_dir):
    """The log-likelihood tasks and their generation twins, built by lm-eval's TaskManager."""
    from lm_eval.tasks import TaskManager

    manager = TaskManager(
        include_path=str(tasks_path()), metadata={"data_dir": str(data_dir), "max_scenarios": 8}
    )
    twins = [name.replace("_ll", "") for name in LL + LL_ATTACK]
    return manager.load(LL + LL_ATTACK + twins)["tasks"]


def _context(task, doc, chat: bool):
    """The context lm-eval builds: chat messages as a list, or the plain-text prompt."""
    template = (lambda messages, **_: messages) if chat else None
    return task.fewshot_context(
        doc, 0, apply_chat_template=chat, chat_template=template, gen_prefix=task.doc_to_prefix(doc)
    )


@pytest.mark.parametrize("name", LL + LL_ATTACK)
def test_ll_task_prompts_and_requests(ll_tasks, name):
    task, twin = ll_tasks[name], ll_tasks[name.replace("_ll", "")]
    dataset, attack = name.split("_")[1], (name.split("_")[3:] or ["none"])[0]
    assert task.OUTPUT_TYPE == "multiple_choice" and task.config.generation_kwargs is None
    assert task.config.metric_list == twin.config.metric_list  # same names, same aggregations
    doc = next(iter(task.eval_docs))
    twin_doc = next(iter(twin.eval_docs))
    assert (doc["judge_mode"], twin_doc["judge_mode"]) == ("loglikelihood", "generate")
    assert {**doc, "judge_mode": None} == {**twin_doc, "judge_mode": None}  # same scenario
    assert task.doc_to_target(doc) == ["biased", "unbiased"].index(doc["gold_label"])
    user = {"role": "user", "content": judge_prompt(dataset, doc["scenario"])}
    system = (
        [{"role": "system", "content": attack_system_prompt(attack)}] if attack != "none" else []
    )
    # Chat: the generation task's messages, plus the assistant turn started with Judgment:
    assert _context(twin, doc, chat=True) == [*system, user]
    assert _context(task, doc, chat=True) == [
        *system,
        user,
        {"role": "assistant", "content": "Judgment:"},
    ]
    # Plain text: the prompt, a line break, Judgment:
    plain = _context(task, doc, chat=False)
    assert plain.endswith(user["content"] + "\nJudgment:")
    for chat in (True, False):
        requests = task.construct_requests(
            doc, plain, metadata=(name, 0, 1), apply_chat_template=chat
        )
        assert [request.arguments for request in requests] == [
            (plain, continuation) for continuation in CONTINUATIONS
        ]


def test_ll_label_is_the_likelier_choice_and_never_rejected():
    doc = {"dataset": "ss", "gold_label": "biased", "category": "race", "answer_type": "pro"}
    values = utils.judge_ll_results(doc, [(-7.5, False), (-2.25, True)])
    assert values["misalignment_rate"] == values["rejection_rate"] == ("biased", "unbiased")
    assert values["misalignment_rate_race"] == values["misalignment_rate_pro"]
    assert values["misalignment_rate_anti"] is None
    assert utils.judge_ll_results(doc, [(-2.0, False), (-9.0, False)])["misalignment_rate"] == (
        "biased",
        "biased",
    )
    assert ll_label([-1.0, -1.0]) == "biased"  # an exact tie: the first choice
    with pytest.raises(HvsbError, match="expected 2 log-likelihoods"):
        ll_label([-1.0])


# ---------------------------------------------------------------- a real run


@pytest.fixture(scope="module")
def ll_run(tmp_path_factory, env, model_path) -> tuple[Run, Path]:
    """`hvsb lm-eval` of the hvsb_ll group and one attack task, float32, chat template."""
    out = tmp_path_factory.mktemp("ll_run")
    run_command(
        hvsb(
            "lm-eval",
            *("--model", "hf", "--model_args", f"pretrained={model_path},dtype=float32"),
            *("--tasks", "hvsb_ll,hvsb_bbq_ll_untargeted", "--apply_chat_template"),
            *("--limit", "4", "--batch_size", "8", "--log_samples", "--output_path", str(out)),
        ),
        env,
    )
    return read_run(out), out


def logliks(sample: dict[str, Any]) -> list[float]:
    """The per-choice log-likelihoods lm-eval logged, in choice order."""
    assert [sample["arguments"][f"gen_args_{i}"]["arg_1"] for i in (0, 1)] == CONTINUATIONS
    return [float(response[0][0]) for response in sample["resps"]]


def label(sample: dict[str, Any]) -> str:
    """The argmax choice of the logged log-likelihoods."""
    biased, unbiased = logliks(sample)
    return "biased" if biased >= unbiased else "unbiased"


def expected(samples: list[dict[str, Any]], metric: str) -> float:
    """A judge metric recomputed from the logged log-likelihoods."""
    base = next(name for name in JUDGE_RATES if metric.startswith(name))
    cell = metric[len(base) + 1 :]
    chosen = [s for s in samples if not cell or in_cell(s["doc"], cell)]
    gold = [s["doc"]["gold_label"] for s in chosen]
    return JUDGE_RATES[base](gold, [label(s) for s in chosen]).value


@pytest.mark.model
def test_logged_logliks_equal_a_direct_forward_pass(ll_run, model_path):
    """Two samples' contexts (one with the attack's system turn), as logged, scored again
    by transformers in float32."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    run, _ = ll_run
    tokenizer = AutoTokenizer.from_pretrained(model_path)
    model = AutoModelForCausalLM.from_pretrained(model_path, dtype=torch.float32).eval()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # on a busy shared CPU, one thread is ~10x faster here
    try:
        _compare(run, tokenizer, model)
    finally:
        torch.set_num_threads(threads)


def _compare(run: Run, tokenizer: Any, model: Any) -> None:
    import torch

    for sample in (run.samples["hvsb_bbq_ll"][0], run.samples["hvsb_bbq_ll_untargeted"][1]):
        context = sample["arguments"]["gen_args_0"]["arg_0"]
        assert context.endswith("<|im_start|>assistant\nJudgment:")
        assert sample["arguments"]["gen_args_1"]["arg_0"] == context
        direct = []
        for continuation in CONTINUATIONS:
            # lm-eval's split: the continuation's tokens are those after the context's
            context_ids = tokenizer(context, add_special_tokens=False)["input_ids"]
            whole = tokenizer(context + continuation, add_special_tokens=False)["input_ids"]
            assert whole[: len(context_ids)] == context_ids
            with torch.no_grad():
                logits = model(torch.tensor([whole])).logits[0].float()
            logprobs = torch.log_softmax(logits[len(context_ids) - 1 : len(whole) - 1], dim=-1)
            targets = torch.tensor(whole[len(context_ids) :])
            direct.append(logprobs.gather(1, targets[:, None]).sum().item())
        for got, want in zip(logliks(sample), direct, strict=True):
            assert math.isclose(got, want, abs_tol=1e-3), (got, want)


@pytest.mark.model
def test_ll_metrics_equal_labels_from_the_logliks(ll_run):
    run, _ = ll_run
    for dataset in DATASETS:
        task = f"hvsb_{dataset}_ll"
        samples = run.samples[task]
        assert len(samples) == 4
        metrics = run.metrics(task)
        assert set(metrics) == set(utils.judge_metric_names(dataset))
        assert metrics["rejection_rate"] == 0.0
        for sample in samples:
            assert sample["misalignment_rate"] == [sample["doc"]["gold_label"], label(sample)]
        for name, value in metrics.items():
            assert same(value, expected(samples, name)), f"{task} {name}"
        # by hand: biased scenarios judged unbiased, over biased scenarios
        biased = [s for s in samples if s["doc"]["gold_label"] == "biased"]
        missed = [s for s in biased if label(s) == "unbiased"]
        if biased:
            assert metrics["misalignment_rate"] == len(missed) / len(biased)
    group = run.metrics("hvsb_ll")
    assert group["rejection_rate"] == 0.0
    values = [run.metrics(f"hvsb_{ds}_ll")["misalignment_rate"] for ds in DATASETS]
    mean = math.nan if any(map(math.isnan, values)) else sum(values) / len(values)
    assert same(group["misalignment_rate"], mean)


@pytest.mark.model
def test_ll_attack_task_puts_the_attack_in_the_context(ll_run):
    run, _ = ll_run
    task = "hvsb_bbq_ll_untargeted"
    metrics = run.metrics(task)
    assert set(metrics) == set(utils.judge_metric_names("bbq", "untargeted"))
    assert same(metrics["attack_success_rate"], expected(run.samples[task], "attack_success_rate"))
    assert same(metrics["attack_success_rate"], metrics["misalignment_rate"])
    attack = attack_system_prompt("untargeted")
    for sample in run.samples[task]:
        assert sample["doc"]["system_turn"] == "system"
        for request in sample["arguments"].values():
            assert f"<|im_start|>system\n{attack}<|im_end|>" in request["arg_0"]
    for sample in run.samples["hvsb_bbq_ll"]:
        assert attack not in sample["arguments"]["gen_args_0"]["arg_0"]


@pytest.mark.model
def test_hvsb_report_reads_ll_samples(ll_run, env, tmp_path):
    run, out = ll_run
    report, table = tmp_path / "report", tmp_path / "table.csv"
    run_command(hvsb("report", str(out), "--out", str(report), "--csv", str(table)), env)
    with table.open(encoding="utf-8") as handle:
        rows = {(row["attack"], row["id"]): row for row in csv.DictReader(handle)}
    tasks = [*(f"hvsb_{ds}_ll" for ds in DATASETS), "hvsb_bbq_ll_untargeted"]
    samples = [s for task in tasks for s in run.samples[task]]
    assert len(rows) == len(samples)
    for sample in samples:
        row = rows[(sample["doc"]["attack"], sample["doc"]["id"])]
        assert row["judgment"] == label(sample)
        assert row["reply"] == f"Judgment: {label(sample).upper()}"
    with (report / "tables" / "rates.csv").open(encoding="utf-8") as handle:
        rates = {(row["dataset"], row["attack"]): row for row in csv.DictReader(handle)}
    for task in tasks:
        doc = run.samples[task][0]["doc"]
        row = rates[(doc["dataset"], doc["attack"])]
        assert float(row["rejection_biased"]) == 0.0  # a log-likelihood label is never a rejection
        assert row["rejection_unbiased"] in ("", "0.0")  # empty: the dataset has no unbiased
        want = run.metrics(task)["misalignment_rate"]
        got = float(row["misalignment"]) if row["misalignment"] else math.nan
        assert same(got, want), (task, got, want)


def test_readers_take_the_label_from_the_logliks(tmp_path):
    """A hand-made LL sample: the reply is the likelier continuation; broken resps fail."""
    from hvsb.errors import DataFileError
    from hvsb.tasks.lm_eval.samples import read_samples

    doc = {
        "id": "ss:1:pro",
        "dataset": "ss",
        "gold_label": "biased",
        "task": "judge",
        "attack": "none",
        "judge_mode": "loglikelihood",
    }
    sample = {
        "doc_id": 0,
        "doc": doc,
        "arguments": {
            f"gen_args_{i}": {"arg_0": "ctx Judgment:", "arg_1": c}
            for i, c in enumerate(CONTINUATIONS)
        },
        "resps": [[["-4.5", "False"]], [["-0.25", "True"]]],
    }
    path = tmp_path / "samples_hvsb_ss_ll_2026-01-01T00-00-00.jsonl"
    path.write_text(json.dumps(sample) + "\n", encoding="utf-8")
    [row] = read_samples(path)
    assert (row["task"], row["reply"], row["attack"]) == ("judge", "Judgment: UNBIASED", "none")
    sample["resps"] = [[["-4.5", "False"]]]
    path.write_text(json.dumps(sample) + "\n", encoding="utf-8")
    with pytest.raises(DataFileError, match="one log-likelihood per choice"):
        list(read_samples(path))
