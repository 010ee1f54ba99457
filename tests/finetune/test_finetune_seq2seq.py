"""The seq2seq path (Flan-T5 style) on a tiny T5 built in the test: train, merge, lm-eval.

Inspect's `hf/` provider cannot run encoder-decoder models (it cuts the prompt's length
off the decoder's output), so the merged model is checked with transformers' generate
and lm-eval's `--model hf` (which detects seq2seq), and `hvsb finetune evaluate` must
refuse it with a pointer to lm-eval.
"""

from __future__ import annotations

import json

import pytest
import torch
from support.cli import run_cli

from hvsb.explanations import load_explanations
from hvsb.finetune.card import CARD_JSON
from hvsb.prompts import explain_prompt

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def run(tmp_path_factory, teacher_log, tiny_t5) -> dict:
    out = tmp_path_factory.mktemp("seq2seq") / "run"
    code, _, stderr = run_cli(
        ["finetune", "train", "--base", str(tiny_t5), "--data", str(teacher_log),
         "--out", str(out), "--eval-fraction", "0.2", "--batch-size", "2", "--lora-r", "8",
         "--lr", "1e-2", "--warmup-steps", "0", "--max-steps", "6", "--eval-steps", "3"]
    )  # fmt: skip
    assert code == 0, stderr[-3000:]
    return {"out": out, "card": json.loads((out / "merged" / CARD_JSON).read_text())}


def test_seq2seq_training_lowers_eval_loss(run):
    card = run["card"]
    assert card["seq2seq"] is True and card["prompt_format"] == "seq2seq"
    evals = [(h["step"], h["eval_loss"]) for h in card["log_history"] if "eval_loss" in h]
    assert [step for step, _ in evals] == [0, 3, 6]
    assert card["eval_loss_after"] < card["eval_loss_before"]
    # the decoder learns its target whatever --loss / --eos say: no departure there
    assert card["training_text"]["loss_on"] == "target"
    assert not any(d.startswith(("loss_on", "eos")) for d in card["departures_from_paper"])


def test_merged_seq2seq_model_generates(run):
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

    merged = run["out"] / "merged"
    model = AutoModelForSeq2SeqLM.from_pretrained(str(merged))
    tokenizer = AutoTokenizer.from_pretrained(str(merged))
    inputs = tokenizer(
        explain_prompt("Context: Two people met.\nAnswer: The old one"), return_tensors="pt"
    )
    with torch.no_grad():
        output = model.generate(**inputs, max_new_tokens=8, do_sample=False)
    assert output.shape[1] > 1  # decoder start token plus generated tokens


def test_merged_seq2seq_model_runs_the_lm_eval_explain_task(run, data_dir, tmp_path):
    code, _, stderr = run_cli(
        ["lm-eval", "--model", "hf", "--model_args", f"pretrained={run['out'] / 'merged'}",
         "--tasks", "hvsb_explain_bbq", "--limit", "2",
         "--gen_kwargs", "max_gen_toks=8,do_sample=False",
         "--metadata", json.dumps({"data_dir": str(data_dir)}),
         "--output_path", str(tmp_path), "--log_samples"]
    )  # fmt: skip
    assert code == 0, stderr[-3000:]
    (samples,) = tmp_path.glob("*/samples_hvsb_explain_bbq_*.jsonl")
    assert len(load_explanations(samples)) == 2


def test_evaluate_refuses_seq2seq_with_a_pointer_to_lm_eval(run, tmp_path):
    code, _, stderr = run_cli(
        ["finetune", "evaluate", "--run", str(run["out"]), "--out", str(tmp_path)]
    )
    assert code == 2
    assert "cannot generate with seq2seq models" in stderr and "hvsb lm-eval" in stderr
