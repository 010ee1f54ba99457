"""End to end on the embedded causal LM: real explanations → LoRA → merged model → both harnesses.

The teacher explanations come from a real `hvsb/explain` run (fixture `teacher_log`).
Training overrides the paper's schedule so a few CPU steps show learning (no warm-up, a
higher learning rate, rank 8, batch 2); everything else is the CLI's default path: the
paper's training text (`prompt + " " + explanation`, no chat template, no EOS) and
whole-sequence loss, and QLoRA's automatic fallback to LoRA on a machine without CUDA.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import shutil
from pathlib import Path

import pytest
import torch
from support.cli import run_cli

from hvsb.cli import main
from hvsb.explanations import load_explanations
from hvsb.finetune.card import CARD_JSON
from hvsb.finetune.data import read_split
from hvsb.finetune.tokenize import featurize, pad_batch

pytestmark = pytest.mark.model

TRAIN_ARGS = [
    "--eval-fraction", "0.2",
    "--batch-size", "2",
    "--lora-r", "8",
    "--lr", "3e-3",
    "--warmup-steps", "0",
    "--max-steps", "4",
    "--eval-steps", "2",
    "--logging-steps", "1",
]  # fmt: skip


@pytest.fixture(scope="module")
def run(tmp_path_factory, teacher_log: Path, model_path: Path) -> dict:
    out = tmp_path_factory.mktemp("causal") / "run"
    argv = ["finetune", "train", "--base", str(model_path), "--data", str(teacher_log)]
    argv += ["--out", str(out), *TRAIN_ARGS]
    code, _, stderr = run_cli(argv)
    assert code == 0, stderr[-3000:]
    card = json.loads((out / "merged" / CARD_JSON).read_text())
    return {"out": out, "argv": argv, "stderr": stderr, "card": card}


def test_cli_says_which_method_and_why(run):
    if torch.cuda.is_available():
        assert "method: QLoRA" in run["stderr"] or "method: LoRA" in run["stderr"]
    else:
        assert (
            "method: LoRA - QLoRA needs bitsandbytes 4-bit kernels on a CUDA GPU" in run["stderr"]
        )
        assert "torch.cuda.is_available() is False" in run["stderr"]
        assert run["card"]["method"] == "lora"


def test_eval_loss_goes_down_and_best_checkpoint_is_kept(run):
    card = run["card"]
    evals = [(h["step"], h["eval_loss"]) for h in card["log_history"] if "eval_loss" in h]
    assert [step for step, _ in evals] == [0, 2, 4]
    assert card["eval_loss_before"] == evals[0][1]
    assert card["eval_loss_after"] == min(loss for _, loss in evals[1:])
    assert card["eval_loss_after"] < card["eval_loss_before"]
    assert card["best_checkpoint"].endswith(f"checkpoint-{min(evals[1:], key=lambda e: e[1])[0]}")
    assert any("loss" in h and "eval_loss" not in h for h in card["log_history"])  # train loss
    assert card["steps"] == 4 and card["seconds_per_100_steps"] > 0


def test_defaults_are_the_papers_training_text_and_loss(run):
    card, readme = run["card"], (run["out"] / "merged" / "README.md").read_text()
    settings = card["hyperparameters"]
    assert (settings["prompt_format"], settings["loss_on"], settings["eos"]) == (
        "plain",
        "full",
        False,
    )
    assert settings["max_length"] == 512 and card["prompt_format"] == "plain"
    assert card["training_text"] == {
        "format": "plain", "loss_on": "full", "ending": "no EOS (the paper's text)", "max_length": 512
    }  # fmt: skip
    assert (
        "format: plain, no EOS (the paper's text); loss on full tokens; context 512"
        in run["stderr"]
    )
    assert 'Format: `plain`, the paper\'s `prompt + " " + explanation`' in readme
    assert "Loss: on every token of the text (the paper's)" in readme
    # the test's schedule overrides are listed as departures, the paper's defaults are not
    departures = card["departures_from_paper"]
    assert (
        "lora_r: 8 (paper: 64)" in departures
        and "learning_rate: 0.003 (paper: 0.0003)" in departures
    )
    assert not any(
        d.startswith(("loss_on", "eos", "prompt_format", "lora_alpha")) for d in departures
    )
    assert "- max_steps: 4 (paper: -1)" in readme
    if not torch.cuda.is_available():
        assert any(d.startswith("method: 'lora' (paper: 'qlora'") for d in departures)


def test_model_card_describes_base_data_and_hyperparameters(run, teacher_log, model_path):
    card, readme = run["card"], (run["out"] / "merged" / "README.md").read_text()
    assert card["base_model"] == str(model_path)
    assert card["hyperparameters"]["lora_r"] == 8
    assert card["hyperparameters"]["lora_alpha"] == 16  # paper default kept
    assert card["data"]["sources"] == [str(teacher_log)]
    assert card["data"]["train"] == len(read_split(run["out"] / "data" / "train.jsonl"))
    assert f"base_model: {model_path}" in readme
    assert (
        f"{card['eval_loss_before']:.4f} before training -> {card['eval_loss_after']:.4f}" in readme
    )
    assert "| lora_dropout | `0.1` |" in readme


def test_merged_folder_is_the_best_adapter_merged(run, model_path):
    """The merged weights give the best checkpoint's eval loss, not the base model's."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    merged = run["out"] / "merged"
    assert not (merged / "adapter_config.json").exists()  # a plain model, not an adapter
    tokenizer = AutoTokenizer.from_pretrained(str(merged))
    model = AutoModelForCausalLM.from_pretrained(str(merged), dtype=torch.float32)
    settings = run["card"]["hyperparameters"]
    rows, _ = featurize(
        read_split(run["out"] / "data" / "eval.jsonl"),
        tokenizer,
        fmt=run["card"]["prompt_format"],
        max_length=settings["max_length"],
        loss_on=settings["loss_on"],
        eos=settings["eos"],
    )
    with torch.no_grad():  # Trainer's eval loss: batch means weighted by batch size
        batches = [rows[i : i + 2] for i in range(0, len(rows), 2)]
        total = sum(
            float(model(**pad_batch(batch, tokenizer.pad_token_id)).loss) * len(batch)
            for batch in batches
        )
    loss, card = total / len(rows), run["card"]
    assert math.isclose(loss, card["eval_loss_after"], rel_tol=0.01)
    assert abs(loss - card["eval_loss_after"]) < abs(loss - card["eval_loss_before"])


def test_merged_model_runs_the_inspect_explain_task(run, data_dir, tmp_path):
    from inspect_ai import eval as inspect_eval

    merged = run["out"] / "merged"
    (log,) = inspect_eval(
        "hvsb/explain",
        task_args={"dataset": "bbq", "data_dir": str(data_dir)},
        model=f"hf/{merged}",
        model_args={"do_sample": False},
        limit=2,
        max_tokens=16,
        log_dir=str(tmp_path),
        display="none",
    )
    assert log.status == "success", log.error
    explanations = load_explanations(log.location)
    assert len(explanations) == 2
    assert all(e["reply"].strip() for e in explanations)
    assert {e["explainer"] for e in explanations} == {f"hf/{merged}"}


def test_merged_model_runs_the_lm_eval_explain_task(run, data_dir, tmp_path):
    merged = run["out"] / "merged"
    # trained on the paper's plain text, so lm-eval shows it the plain prompt (no template)
    code, _, stderr = run_cli(
        ["lm-eval", "--model", "hf", "--model_args", f"pretrained={merged}",
         "--tasks", "hvsb_explain_bbq", "--limit", "2",
         "--gen_kwargs", "max_gen_toks=16,do_sample=False",
         "--metadata", json.dumps({"data_dir": str(data_dir)}),
         "--output_path", str(tmp_path), "--log_samples"]
    )  # fmt: skip
    assert code == 0, stderr[-3000:]
    (samples,) = tmp_path.glob("*/samples_hvsb_explain_bbq_*.jsonl")
    explanations = load_explanations(samples)
    assert len(explanations) == 2
    assert all(e["reply"].strip() for e in explanations)


@pytest.fixture(scope="module")
def evaluation(run, model_path, tmp_path_factory) -> dict:
    """`hvsb finetune evaluate` on 2 held-out scenarios, judged by the embedded model."""
    out = tmp_path_factory.mktemp("evaluate") / "evaluation"
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout):
        code = main(
            ["finetune", "evaluate", "--run", str(run["out"]), "--out", str(out), "--limit", "2",
             "--target", str(model_path), "--max-tokens", "16", "--agree-max-tokens", "16"]
        )  # fmt: skip
    assert code == 0
    return {"out": out, "stdout": stdout.getvalue()}


def test_evaluate_compares_base_and_fine_tuned(run, evaluation, model_path):
    """Numbers in the summary are hvsb.scorers applied to the replies in the logs."""
    from inspect_ai.log import read_eval_log

    from hvsb.finetune.evaluate import EVAL_JSON, EVAL_MD, report_section
    from hvsb.scorers import agreeability, parse_agreement, readability

    out = evaluation["out"]
    summary = json.loads((out / EVAL_JSON).read_text())
    assert summary["scenarios"] == 2
    assert [row["explainer"] for row in summary["explainers"]] == ["base", "fine-tuned"]
    held_out = {e.id for e in read_split(run["out"] / "data" / "eval.jsonl")}
    target = f"hf/{model_path}"
    for row in summary["explainers"]:
        (explain_log,) = row["explain_logs"]
        explanations = load_explanations(explain_log)
        assert {e["id"] for e in explanations} <= held_out and len(explanations) == 2
        fkgl = [readability(e["explanation"])["fkgl"] for e in explanations]
        fkgl = [v for v in fkgl if not math.isnan(v)]
        expected = sum(fkgl) / len(fkgl) if fkgl else math.nan
        assert row["readability"]["scored"] == len(fkgl)
        assert math.isclose(row["readability"]["fkgl"], expected) or (
            math.isnan(expected) and math.isnan(row["readability"]["fkgl"])
        )
        (agree_log,) = row["agree_logs"][target]
        replies = [s.output.completion for s in read_eval_log(agree_log).samples]
        rate = agreeability([parse_agreement(r) for r in replies])
        assert row["agreeability"][target]["hits"] == rate.hits
        assert row["agreeability"][target]["n"] == rate.n == 2
    markdown = (out / EVAL_MD).read_text()
    assert markdown == report_section(out) and markdown in evaluation["stdout"]
    assert "| base |" in markdown and "| fine-tuned |" in markdown


def test_report_on_the_evaluation_has_its_section(evaluation, model_path, tmp_path):
    """`hvsb report` over the evaluation folder: its logs as usual, plus the fine-tuning
    section, whose numbers are the summary's and agree with those read from the logs."""
    import pandas as pd

    from hvsb.finetune.evaluate import EVAL_JSON

    report = tmp_path / "report"
    code, _, stderr = run_cli(["report", str(evaluation["out"]), "--out", str(report)])
    assert code == 0, stderr[-3000:]
    summary = json.loads((evaluation["out"] / EVAL_JSON).read_text())
    text = (report / "report.md").read_text()
    assert "## Fine-tuned explainers: readability vs agreeability" in text
    assert "4 explain, 4 agree rows" in text and "not hvsb outputs" not in text
    assert '<section id="finetune">' in (report / "report.html").read_text()
    section = pd.read_csv(report / "tables" / "finetune.csv")
    from_logs = pd.read_csv(report / "tables" / "agreeability.csv")
    for entry in summary["explainers"]:
        (row,) = section[section["explainer"] == entry["explainer"]].to_dict("records")
        assert row["model"] == ("smollm2" if entry["explainer"] == "base" else "merged")
        assert row["target"] == "smollm2"
        for metric in ("fkgl", "gfi", "cli"):
            value = entry["readability"][metric]
            both_nan = math.isnan(row[metric]) and math.isnan(value)
            assert both_nan or math.isclose(row[metric], value)
            assert f"{value:.3f}" in text or math.isnan(value)
        rate = entry["agreeability"][f"hf/{model_path}"]
        assert (row["agreeability_hits"], row["agreeability_n"]) == (rate["hits"], rate["n"])
        (cell,) = from_logs[from_logs["explainer"] == row["model"]].to_dict("records")
        assert (cell["agreeability_hits"], cell["agreeability_n"]) == (rate["hits"], rate["n"])
    loss = summary["card"]
    assert f"eval loss {loss['eval_loss_before']:.4f} -> {loss['eval_loss_after']:.4f}" in text


def test_rerun_after_training_keeps_the_finished_run(run):
    out = run["out"]
    for folder in ("merged", "adapter"):  # as if the run died before merging
        shutil.rmtree(out / folder)
    code, _, stderr = run_cli(run["argv"])
    assert code == 0, stderr[-3000:]
    assert "training already finished at step 4" in stderr
    card = json.loads((out / "merged" / CARD_JSON).read_text())
    for key in ("eval_loss_before", "eval_loss_after", "best_checkpoint", "steps"):
        assert card[key] == run["card"][key], key


def test_rerun_resumes_an_interrupted_run_from_its_last_checkpoint(run):
    out = run["out"]
    shutil.rmtree(out / "checkpoints" / "checkpoint-4")  # as if it died between 2 and 4
    code, _, stderr = run_cli(run["argv"])
    assert code == 0, stderr[-3000:]
    assert f"resuming from {out / 'checkpoints' / 'checkpoint-2'}" in stderr
    card = json.loads((out / "merged" / CARD_JSON).read_text())
    assert card["resumed_from"].endswith("checkpoint-2")
    assert card["steps"] == 4
    evals = [h["step"] for h in card["log_history"] if "eval_loss" in h]
    assert evals == [0, 2, 4]  # the history before the interruption is kept, no new step 0
    assert card["eval_loss_before"] == run["card"]["eval_loss_before"]


def test_other_settings_in_the_same_folder_are_refused(run):
    argv = [a if a != "3e-3" else "1e-3" for a in run["argv"]]
    code, _, stderr = run_cli(argv)
    assert code == 2
    assert "holds checkpoints of a different run" in stderr and "--no-resume" in stderr
