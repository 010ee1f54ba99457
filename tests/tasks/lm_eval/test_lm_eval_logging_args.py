"""`hvsb lm-eval` hands lm-eval's own result logging options to lm-eval unchanged.

Each test shows an effect that only lm-eval's parsing of the option can have, offline:
`--hf_hub_log_args output_path=DIR` makes lm-eval's EvaluationTracker write the results
into DIR, `push_results_to_hub=True` without a token is refused by lm-eval before any
model loads, and `--wandb_args` reaches lm-eval's W&B logger. Nothing reaches a hub
(HF_HUB_OFFLINE=1; no token; wandb is not installed here).
"""

from __future__ import annotations

import importlib.util
import json
import subprocess

import pytest
from support.lm_eval_runs import hvsb, run_command

from hvsb.cli import build_parser


def _without_token(env: dict[str, str]) -> dict[str, str]:
    return {key: value for key, value in env.items() if key != "HF_TOKEN"}


@pytest.mark.model
def test_hf_hub_log_args_output_path_and_push_flags_reach_lm_eval(env, model_path, tmp_path):
    out = tmp_path / "results"
    done = run_command(
        hvsb(
            "lm-eval",
            *("--model", "hf", "--model_args", f"pretrained={model_path}"),
            *("--tasks", "hvsb_bbq", "--apply_chat_template", "--limit", "1"),
            *("--batch_size", "1", "--gen_kwargs", "max_gen_toks=2"),
            "--hf_hub_log_args",
            f"output_path={out},push_results_to_hub=False,push_samples_to_hub=False",
        ),
        _without_token(env),
    )
    [results] = out.glob("*/results_*.json")  # written by lm-eval's tracker, nowhere else
    assert "hvsb_bbq" in json.loads(results.read_text(encoding="utf-8"))["results"]
    # lm-eval saw the key (push_samples_to_hub present without --log_samples) and kept
    # both pushes off: no token was needed
    assert "Pushing samples to the Hub requires --log_samples to be set." in done.stderr


def test_hf_hub_log_args_push_is_refused_by_lm_eval_without_a_token(env, model_path):
    command = hvsb(
        "lm-eval",
        *("--model", "hf", "--model_args", f"pretrained={model_path}"),
        *("--tasks", "hvsb_bbq", "--limit", "1"),
        *("--hf_hub_log_args", "hub_results_org=hvsb-test,push_results_to_hub=True"),
    )
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=300, env=_without_token(env)
    )
    assert done.returncode != 0
    assert "Hugging Face token is not defined, but 'push_results_to_hub'" in done.stderr


def test_wandb_args_reach_lm_eval_s_wandb_logger(env, model_path):
    """lm-eval builds its W&B logger only for a non-empty --wandb_args; without wandb
    installed the logger says so (and the run stops)."""
    if importlib.util.find_spec("wandb") is not None:
        pytest.skip("wandb is installed: this test reads lm-eval's message for its absence")
    command = hvsb(
        "lm-eval",
        *("--model", "hf", "--model_args", f"pretrained={model_path}"),
        *("--tasks", "hvsb_bbq", "--limit", "1"),
        *("--wandb_args", "project=hvsb-test,mode=offline"),
    )
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode != 0
    assert "To use the wandb reporting functionality please install wandb" in done.stderr


def test_hvsb_help_names_the_pass_through_logging_options():
    [choices] = [a for a in build_parser()._actions if a.dest == "command"]
    [help_line] = [c.help for c in choices._choices_actions if c.dest == "lm-eval"]
    assert "--wandb_args" in help_line and "--hf_hub_log_args" in help_line
