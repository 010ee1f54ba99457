"""Real lm-eval runs shared by the tests here; each runs once per session.

All runs drive the real `lm_eval` CLI (or lm-eval's Python API) offline on the embedded
model on CPU, with a few documents and few new tokens.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from support.data import OFFLINE
from support.lm_eval_runs import Run, hvsb, lm_eval, read_run, run_command
from support.templates import RAISING_TEMPLATE, model_with_template


@pytest.fixture(scope="session")
def env(data_dir: Path) -> dict[str, str]:
    """Environment of every subprocess: offline, data from HVSB_DATA_DIR."""
    return {**os.environ, **OFFLINE, "HVSB_DATA_DIR": str(data_dir)}


@pytest.fixture(scope="session")
def tasks_path(env) -> str:
    """`hvsb tasks-path`, as a user would call it."""
    return run_command(hvsb("tasks-path"), env).stdout.strip()


@pytest.fixture(scope="session")
def hf_run(tmp_path_factory, env, tasks_path, model_path) -> Run:
    """The issue's command (`--model hf ... --include_path $(hvsb tasks-path) --limit 4`)
    for a judge, an attack and an explain task, with few new tokens and one batch."""
    out = tmp_path_factory.mktemp("hf_run")
    run_command(
        lm_eval(
            *("--model", "hf", "--model_args", f"pretrained={model_path}"),
            *("--include_path", tasks_path),
            *("--tasks", "hvsb_bbq,hvsb_bbq_untargeted,hvsb_explain_bbq"),
            *("--apply_chat_template", "--limit", "4", "--batch_size", "4"),
            *("--gen_kwargs", "max_gen_toks=16", "--log_samples", "--output_path", str(out)),
        ),
        env,
    )
    return read_run(out)


@pytest.fixture(scope="session")
def release_parser_run(tmp_path_factory, env, tasks_path, model_path) -> Run:
    """hvsb_bbq read with the release's judgment rule (`--metadata '{"parser": "release"}'`),
    two documents, few new tokens."""
    out = tmp_path_factory.mktemp("release_parser_run")
    run_command(
        lm_eval(
            *("--model", "hf", "--model_args", f"pretrained={model_path}"),
            *("--include_path", tasks_path, "--tasks", "hvsb_bbq"),
            *("--metadata", '{"parser": "release"}'),
            *("--apply_chat_template", "--limit", "2", "--batch_size", "2"),
            *("--gen_kwargs", "max_gen_toks=8", "--log_samples", "--output_path", str(out)),
        ),
        env,
    )
    return read_run(out)


@pytest.fixture(scope="session")
def agree_run(tmp_path_factory, env, tasks_path, model_path, hf_run) -> Run:
    """hvsb_agree_bbq reading the explain run's samples file."""
    out = tmp_path_factory.mktemp("agree_run")
    explanations = hf_run.samples_files["hvsb_explain_bbq"]
    run_command(
        lm_eval(
            *("--model", "hf", "--model_args", f"pretrained={model_path}"),
            *("--include_path", tasks_path, "--tasks", "hvsb_agree_bbq"),
            *("--metadata", f'{{"explanations": "{explanations}"}}'),
            *("--apply_chat_template", "--limit", "2", "--batch_size", "2"),
            *("--gen_kwargs", "max_gen_toks=16", "--log_samples", "--output_path", str(out)),
        ),
        env,
    )
    return read_run(out)


@pytest.fixture(scope="session")
def api_run(tmp_path_factory, env, tasks_path, model_path, served_model) -> Run:
    """hvsb_bbq through `--model local-chat-completions` against transformers serve.

    `eos_string` is given because transformers serve rejects the empty stop list lm-eval
    sends otherwise (the tasks set no stop sequence, as the protocol has none).
    """
    out = tmp_path_factory.mktemp("api_run")
    base_url = f"{served_model}/chat/completions"
    model_args = f"model={model_path},base_url={base_url},num_concurrent=1,max_retries=1"
    run_command(
        lm_eval(
            *("--model", "local-chat-completions"),
            *("--model_args", f"{model_args},eos_string=<|im_end|>"),
            *("--include_path", tasks_path, "--tasks", "hvsb_bbq"),
            *("--apply_chat_template", "--limit", "2"),
            *("--gen_kwargs", "max_gen_toks=8", "--log_samples", "--output_path", str(out)),
        ),
        env,
    )
    return read_run(out)


@pytest.fixture(scope="session")
def group_run(tmp_path_factory, env, model_path) -> Run:
    """`hvsb lm-eval --tasks hvsb --limit 2 ...`: no --include_path, no --batch_size given."""
    out = tmp_path_factory.mktemp("group_run")
    run_command(
        hvsb(
            "lm-eval",
            *("--model", "hf", "--model_args", f"pretrained={model_path}"),
            *("--tasks", "hvsb", "--apply_chat_template", "--limit", "2"),
            *("--gen_kwargs", "max_gen_toks=8", "--log_samples", "--output_path", str(out)),
        ),
        env,
    )
    return read_run(out)


@pytest.fixture(scope="session")
def no_system_model(tmp_path_factory, model_path) -> Path:
    """The embedded model with a chat template that raises on a system turn."""
    return model_with_template(
        model_path, tmp_path_factory.mktemp("no_system_model"), RAISING_TEMPLATE
    )
