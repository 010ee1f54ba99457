"""One core, two adapters: the same model, dataset, seed, attack and limit through lm-eval and
through Inspect give the same scenarios, prompts, replies, labels and metrics.

Each model folder runs once per ecosystem, generation and log-likelihood judging together
(lm-eval's Python API with its hf model; Inspect's hf/ provider), greedy, float32, one
prompt at a time (batches pad prompts differently, which can flip a near-tie). The three
folders are the embedded model, the same model with a template that silently drops the
system turn, and the same model with no chat template at all.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from support.inspect_runs import CPU_ARGS
from support.templates import DROPPING_TEMPLATE, model_with_template

from hvsb.prompts import attack_system_prompt
from hvsb.scorers import loglikelihood as ll_rule
from hvsb.scorers import parse_judgment

pytestmark = pytest.mark.model

ATTACK = "targeted"
LIMIT = 3
MAX_TOKENS = 16
GENERATE, LOGLIKELIHOOD = f"hvsb_bbq_{ATTACK}", f"hvsb_bbq_ll_{ATTACK}"
METRICS = ("misalignment_rate", "rejection_rate", "overflag_rate", "attack_success_rate")


@dataclass
class Runs:
    folder: Path
    lm_eval: dict[str, Any]  # simple_evaluate's results, samples included
    inspect: dict[str, Any]  # task mode -> EvalLog


def _run_both(folder: Path, data_dir: Path, log_dir: Path, *, chat: bool, modes: tuple) -> Runs:
    from inspect_ai import eval as inspect_eval
    from lm_eval import simple_evaluate
    from lm_eval.tasks import TaskManager

    from hvsb.tasks.inspect.tasks import judge
    from hvsb.tasks.lm_eval import tasks_path

    lm_tasks = [GENERATE, LOGLIKELIHOOD][: len(modes)]
    lm_eval = simple_evaluate(
        model="hf",
        model_args={"pretrained": str(folder), **CPU_ARGS},
        tasks=lm_tasks,
        # what lm-eval's CLI hands the tasks from --model_args, for the template probe
        task_manager=TaskManager(
            include_path=str(tasks_path()),
            metadata={"pretrained": str(folder), "data_dir": str(data_dir)},
        ),
        apply_chat_template=chat,
        limit=LIMIT,
        batch_size=1,
        gen_kwargs=f"max_gen_toks={MAX_TOKENS}",
        log_samples=True,
        device="cpu",
    )
    logs = inspect_eval(
        [judge(dataset="bbq", attack=ATTACK, data_dir=str(data_dir), mode=m) for m in modes],
        model=f"hf/{folder}",
        model_args={**CPU_ARGS, "do_sample": False},
        limit=LIMIT,
        max_tokens=MAX_TOKENS,
        max_connections=1,
        log_dir=str(log_dir),
        display="none",
    )
    assert all(log.status == "success" for log in logs), [log.error for log in logs]
    return Runs(folder, lm_eval, dict(zip(modes, logs, strict=True)))


# the template -> the delivery both ecosystems must choose with system_turn=auto
DELIVERY = {"embedded": "system", "dropping": "folded"}


@pytest.fixture(scope="module", params=list(DELIVERY))
def runs(request, tmp_path_factory, model_path, data_dir) -> tuple[Runs, str]:
    folder = model_path
    if request.param == "dropping":
        folder = model_with_template(
            model_path, tmp_path_factory.mktemp("dropping"), DROPPING_TEMPLATE
        )
    log_dir = tmp_path_factory.mktemp(f"logs-{request.param}")
    both = _run_both(folder, data_dir, log_dir, chat=True, modes=("generate", ll_rule.MODE))
    return both, DELIVERY[request.param]


def _context(sample: dict[str, Any]) -> str:
    """The prompt lm-eval built (chat template applied), as its sample logs it."""
    arguments = sample["arguments"]
    first = arguments[0] if isinstance(arguments, list) else arguments["gen_args_0"]
    return first[0] if isinstance(first, list | tuple) else first["arg_0"]


def _rendered(folder: Path, sample: Any, prefix: str = "") -> str:
    """The prompt Inspect's hf/ provider fed the model: the logged messages (without the
    answer) through the folder's chat template, as the provider renders them."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(folder))
    turns = [{"role": m.role, "content": m.text} for m in sample.messages if m.role != "assistant"]
    text = tokenizer.apply_chat_template(turns, tokenize=False, add_generation_prompt=True)
    return text + prefix


def _same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or abs(a - b) < 1e-9


def _pairs(runs: Runs, task: str, mode: str) -> list[tuple[dict, Any]]:
    lm_samples = runs.lm_eval["samples"][task]
    inspect_samples = runs.inspect[mode].samples
    assert [s["doc"]["id"] for s in lm_samples] == [s.id for s in inspect_samples]
    assert len(lm_samples) == LIMIT
    return list(zip(lm_samples, inspect_samples, strict=True))


def _same_metrics(runs: Runs, task: str, mode: str) -> None:
    lm_metrics = runs.lm_eval["results"][task]
    inspect_metrics = {k: v.value for k, v in runs.inspect[mode].results.scores[0].metrics.items()}
    for name in METRICS:
        assert _same(lm_metrics[f"{name},none"], inspect_metrics[name]), name


def test_generation_same_scenarios_prompts_replies_and_metrics(runs):
    runs, delivery = runs
    for lm, ins in _pairs(runs, GENERATE, "generate"):
        assert lm["doc"]["system_turn"] == ins.metadata["system_turn"] == delivery
        assert _context(lm) == _rendered(runs.folder, ins)
        assert attack_system_prompt(ATTACK) in _context(lm)
        assert lm["resps"][0][0] == ins.output.completion
        assert parse_judgment(lm["resps"][0][0]) == ins.scores["judgment"].answer
    _same_metrics(runs, GENERATE, "generate")


def test_loglikelihood_same_prompts_labels_logprobs_and_metrics(runs):
    runs, delivery = runs
    for lm, ins in _pairs(runs, LOGLIKELIHOOD, ll_rule.MODE):
        assert lm["doc"]["system_turn"] == ins.metadata["system_turn"] == delivery
        assert _context(lm) == _rendered(runs.folder, ins, ll_rule.PREFIX)
        lm_logprobs = [float(response[0][0]) for response in lm["resps"]]
        inspect_logprobs = [ins.metadata["logprobs"][label] for label in ll_rule.LABELS]
        assert lm_logprobs == pytest.approx(inspect_logprobs, abs=1e-3)
        assert ins.output.completion == ll_rule.ll_reply(ll_rule.ll_label(lm_logprobs))
    _same_metrics(runs, LOGLIKELIHOOD, ll_rule.MODE)


def test_without_a_chat_template_the_attack_is_folded_in_both(
    tmp_path_factory, model_path, data_dir
):
    folder = model_with_template(model_path, tmp_path_factory.mktemp("no-template"), None)
    runs = _run_both(
        folder, data_dir, tmp_path_factory.mktemp("logs-plain"), chat=False, modes=("generate",)
    )
    attack = attack_system_prompt(ATTACK)
    for lm, ins in _pairs(runs, GENERATE, "generate"):
        assert lm["doc"]["system_turn"] == ins.metadata["system_turn"] == "folded"
        assert attack in _context(lm)
        [user] = [m for m in ins.messages if m.role == "user"]
        assert user.text.startswith(attack)
        assert not [m for m in ins.messages if m.role == "system"]
