"""hvsb/judge on the embedded model: the CLI run, an attack run, and the system-turn fold."""

from __future__ import annotations

from pathlib import Path

import pytest
from inspect_ai import eval as inspect_eval
from inspect_ai.log import read_eval_log
from inspect_ai.model import ChatMessageSystem, ChatMessageUser
from support.inspect_expect import JUDGE_RATES, check_rates
from support.inspect_runs import CPU_ARGS, hf_model, run
from support.templates import RAISING_TEMPLATE

from hvsb.prompts import TARGETED_ATTACK, UNTARGETED_ATTACK, judge_prompt
from hvsb.scorers import parse_judgment
from hvsb.tasks.inspect import judge

pytestmark = pytest.mark.model

RECORD = ("id", "dataset", "scenario", "gold_label", "category", "polarity", "answer_type")


def test_cli_run_logs_metrics_equal_to_hvsb_scorers(judge_cli_log: Path) -> None:
    log = read_eval_log(str(judge_cli_log))
    assert log.status == "success"
    assert log.eval.task == "hvsb/judge"
    assert log.eval.model_args.get("do_sample") is False
    assert (log.plan.config.temperature, log.plan.config.max_tokens) == (0.0, 32)
    assert len(log.samples) == 4
    for sample in log.samples:
        assert sample.id == sample.metadata["id"]
        assert set(RECORD) <= set(sample.metadata)
        assert sample.input == judge_prompt("bbq", sample.metadata["scenario"])
        assert sample.metadata["system_turn"] == "none"
        assert "decoding" not in sample.metadata  # do_sample=false: plain greedy
        score = sample.scores["judgment"]
        assert score.answer == parse_judgment(sample.output.completion)
        assert score.value == {
            k: int(k == score.answer) for k in ("biased", "unbiased", "rejected")
        }
    metrics = check_rates(log, parse_judgment, JUDGE_RATES)
    assert {"misalignment_rate", "overflag_rate", "rejection_rate"} <= set(metrics)
    for key in ("category", "polarity", "answer_type"):
        assert any(name.startswith(f"misalignment_rate({key}=") for name in metrics), key


def test_attack_run_sends_the_attack_as_a_system_turn(study_logs) -> None:
    log = study_logs["attack"]
    assert log.eval.task_args["attack"] == "targeted"
    assert len(log.samples) == 4  # 2 scenarios x 2 epochs
    for sample in log.samples:
        assert sample.metadata["system_turn"] == "system"
        assert isinstance(sample.messages[0], ChatMessageSystem)
        assert sample.messages[0].text == TARGETED_ATTACK
        # temperature 0 on a sampling hf/ model becomes top_k=1, and says so
        assert "greedy" in sample.metadata["decoding"]
    by_id: dict[str, set[str]] = {}
    for sample in log.samples:
        by_id.setdefault(str(sample.id), set()).add(sample.output.completion)
    assert all(len(replies) == 1 for replies in by_id.values()), by_id  # greedy: epochs agree
    metrics = check_rates(log, parse_judgment, JUDGE_RATES)
    assert "attack_success_rate" in metrics
    assert "overflag_rate" not in metrics  # StereoSet scenarios are all biased


def test_template_without_system_turn_gets_the_attack_folded_or_fails(
    tmp_path: Path, data_dir: Path, model_path: Path
) -> None:
    options = {
        "model": hf_model(model_path),
        "model_args": {**CPU_ARGS, "chat_template": RAISING_TEMPLATE, "do_sample": False},
        "limit": 1,
        "max_tokens": 4,
        "log_dir": str(tmp_path),
    }
    task = judge(dataset="ss", attack="untargeted", data_dir=str(data_dir))
    [log] = run(task, **options)
    [sample] = read_eval_log(log.location).samples
    assert sample.metadata["system_turn"] == "folded"
    assert not any(isinstance(m, ChatMessageSystem) for m in sample.messages)
    user = next(m for m in sample.messages if isinstance(m, ChatMessageUser))
    assert user.text.startswith(UNTARGETED_ATTACK + "\n\n")
    assert user.text.endswith(judge_prompt("ss", sample.metadata["scenario"]))

    forced = judge(dataset="ss", attack="untargeted", data_dir=str(data_dir), system_turn="system")
    [failed] = inspect_eval(forced, display="none", **options)
    assert failed.status == "error"  # hvsb's error (hvsb.delivery), before any model call
    assert "has no system turn" in failed.error.message
    assert "fold" in failed.error.message
    assert not any(e.event == "model" for s in failed.samples or [] for e in s.events)
