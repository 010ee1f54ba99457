"""hvsb/judge -T mode=loglikelihood on the embedded model, checked against transformers.

The logged log-probs are recomputed here without hvsb or Inspect: the chat template
applied to the logged messages, "Judgment:" appended, one full-sequence float32 forward
of prompt + label per label. The eval scores its 4 prompts (of different lengths) in
one left-padded batch, so equality also checks the padding (mask and positions).
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch
from inspect_ai import eval as inspect_eval
from inspect_ai import eval_set
from inspect_ai.log import EvalLog, EvalSample
from inspect_ai.model import ChatMessageAssistant, ChatMessageSystem
from support.inspect_expect import JUDGE_RATES, check_rates
from support.inspect_runs import CPU_ARGS, hf_model, read, run
from transformers import AutoModelForCausalLM, AutoTokenizer

from hvsb.errors import HvsbError
from hvsb.prompts import TARGETED_ATTACK
from hvsb.scorers import parse_judgment
from hvsb.tasks.inspect import judge

pytestmark = pytest.mark.model

LABELS = {"biased": " BIASED", "unbiased": " UNBIASED"}
NOT_HF = "needs a local hf/ model"


@pytest.fixture(scope="module")
def ll_logs(tmp_path_factory, data_dir: Path, model_path: Path) -> dict[str, EvalLog]:
    """BiasDPO without attack (4 scenarios, one batch) and with the targeted attack (the
    first 2 of the same scenarios), both through the registered task name. BiasDPO
    builds in well under a second (BBQ takes seconds) and has both gold labels."""
    options = {
        "model": hf_model(model_path),
        "model_args": CPU_ARGS,
        "log_dir": str(tmp_path_factory.mktemp("loglikelihood")),
    }
    # seed 1: the first 4 scenarios have both gold labels
    args = {"dataset": "biasdpo", "data_dir": str(data_dir), "mode": "loglikelihood", "seed": 1}
    [plain] = run("hvsb/judge", task_args=args, limit=4, **options)
    [attack] = run("hvsb/judge", task_args={**args, "attack": "targeted"}, limit=2, **options)
    return {"plain": read(plain), "attack": read(attack)}


@pytest.fixture(scope="module")
def reference(model_path: Path):
    """log P(label | prompt) from a plain float32 transformers forward over prompt + label."""
    tokenizer = AutoTokenizer.from_pretrained(model_path)
    model = AutoModelForCausalLM.from_pretrained(model_path, dtype=torch.float32).eval()

    def logprobs(sample: EvalSample) -> tuple[dict[str, float], int, str]:
        messages = [
            {"role": m.role, "content": m.text}
            for m in sample.messages
            if not isinstance(m, ChatMessageAssistant)
        ]
        text = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        text += "Judgment:"
        prompt = tokenizer(text).input_ids
        scored = {}
        for label, continuation in LABELS.items():
            tokens = tokenizer(continuation, add_special_tokens=False).input_ids
            assert tokenizer(text + continuation).input_ids == prompt + tokens  # clean split
            with torch.no_grad():
                logits = model(torch.tensor([prompt + tokens])).logits[0].float()
            steps = torch.log_softmax(logits, dim=-1)[len(prompt) - 1 : -1]
            scored[label] = float(steps[torch.arange(len(tokens)), torch.tensor(tokens)].sum())
        return scored, len(prompt), text

    return logprobs


def test_logged_logprobs_equal_a_plain_transformers_forward(ll_logs, reference) -> None:
    samples = ll_logs["plain"].samples
    assert len(samples) == 4
    lengths = [s.metadata["prompt_tokens"] for s in samples]
    assert min(lengths) < max(lengths)  # the shorter prompts were left-padded
    assert all(s.metadata["batch_rows"] == 4 for s in samples)  # all in one forward
    for sample in (samples[lengths.index(min(lengths))], samples[lengths.index(max(lengths))]):
        want, prompt_tokens, _ = reference(sample)
        got = sample.metadata["logprobs"]
        assert set(got) == set(want)
        for label in want:
            assert math.isclose(got[label], want[label], abs_tol=1e-3), (label, got, want)
        assert sample.metadata["prompt_tokens"] == prompt_tokens
        assert sample.output.usage.input_tokens == prompt_tokens


def test_label_is_the_likelier_continuation_and_metrics_follow(ll_logs) -> None:
    log = ll_logs["plain"]
    assert log.eval.task_args["mode"] == "loglikelihood"
    assert log.eval.metadata["judge_mode"] == "loglikelihood"
    labels, golds = [], []
    for sample in log.samples:
        logprobs = sample.metadata["logprobs"]
        label = max(logprobs, key=logprobs.get)
        assert sample.metadata["judge_mode"] == "loglikelihood"
        assert sample.output.completion == "Judgment:" + LABELS[label]
        assert parse_judgment(sample.output.completion) == label
        score = sample.scores["judgment"]
        assert score.answer == label
        assert score.metadata["logprobs"] == logprobs
        assert score.metadata["judge_mode"] == "loglikelihood"
        labels.append(label)
        golds.append(sample.metadata["gold_label"])
    metrics = log.results.scores[0].metrics
    biased = [label for label, gold in zip(labels, golds, strict=True) if gold == "biased"]
    unbiased = [label for label, gold in zip(labels, golds, strict=True) if gold == "unbiased"]
    assert biased and unbiased  # both rates are defined on these 4 scenarios
    want_misaligned = biased.count("unbiased") / len(biased)
    assert math.isclose(metrics["misalignment_rate"].value, want_misaligned)
    assert math.isclose(metrics["overflag_rate"].value, unbiased.count("biased") / len(unbiased))
    assert metrics["rejection_rate"].value == 0
    check_rates(log, parse_judgment, JUDGE_RATES)  # every breakdown cell as well
    assert log.stats.model_usage[log.eval.model].input_tokens == sum(
        s.metadata["prompt_tokens"] for s in log.samples
    )


def test_attack_is_in_the_scored_prompt(ll_logs, reference) -> None:
    plain = {s.id: s for s in ll_logs["plain"].samples}
    for sample in ll_logs["attack"].samples:
        assert sample.metadata["system_turn"] == "system"
        assert isinstance(sample.messages[0], ChatMessageSystem)
        want, _, text = reference(sample)
        assert TARGETED_ATTACK in text
        for label in want:
            assert math.isclose(sample.metadata["logprobs"][label], want[label], abs_tol=1e-3)
        assert sample.metadata["logprobs"] != plain[sample.id].metadata["logprobs"]


def test_a_model_other_than_hf_fails_before_any_model_call(tmp_path: Path, data_dir: Path) -> None:
    options = {"model": "mockllm/model", "limit": 2, "display": "none", "log_dir": str(tmp_path)}
    args = {"dataset": "cp", "data_dir": str(data_dir), "mode": "loglikelihood"}
    for task in ("hvsb/judge", judge(**args)):  # by name, or built in Python first
        [log] = inspect_eval(task, task_args=args if isinstance(task, str) else {}, **options)
        assert log.status == "error"
        assert NOT_HF in log.error.message
        assert not any(event.event == "model" for s in log.samples or [] for event in s.events)


def test_a_model_an_eval_set_left_behind_does_not_refuse_a_new_task(
    tmp_path: Path, data_dir: Path
) -> None:
    """Regression: eval_set leaves its model as Inspect's active model; a log-likelihood
    task built afterwards (hvsb run, a notebook) was refused as if it ran on that model."""
    args = {"dataset": "cp", "data_dir": str(data_dir)}
    options = {"model": "mockllm/model", "limit": 1, "display": "none"}
    _, [log] = eval_set("hvsb/judge", task_args=args, log_dir=str(tmp_path), **options)
    assert log.eval.model == "mockllm/model"  # (its status needs no network: not checked)
    task = judge(**args, mode="loglikelihood")
    assert len(task.dataset) > 0


def test_an_unknown_mode_is_named(data_dir: Path) -> None:
    with pytest.raises(HvsbError, match="generate, loglikelihood"):
        judge(dataset="cp", data_dir=str(data_dir), mode="logprob")
