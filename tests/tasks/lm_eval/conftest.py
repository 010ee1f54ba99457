"""Real lm-eval runs shared by the tests here; each runs once per session.

All runs drive the real `lm_eval` CLI (or lm-eval's Python API) offline on the embedded
model on CPU, with a few documents and few new tokens.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from hvsb_lm_eval_helpers import Run, hvsb, lm_eval, read_run, run_command

OFFLINE = {
    "HF_HUB_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HVSB_NO_DOWNLOAD": "1",
}
# A chat template that refuses a system turn, as Gemma-style templates do.
NO_SYSTEM_TEMPLATE = (
    "{% for message in messages %}{% if message['role'] == 'system' %}"
    "{{ raise_exception('System role not supported') }}{% endif %}"
    "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>\n' }}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)


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


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def served_model(tmp_path_factory, env, model_path):
    """`transformers serve` of the embedded model on 127.0.0.1; stopped after the session."""
    if shutil.which("transformers") is None:
        pytest.skip("transformers serve is not installed (pip install 'transformers[serving]')")
    port = _free_port()
    log = (tmp_path_factory.mktemp("serve") / "serve.log").open("w")
    server = subprocess.Popen(
        ["transformers", "serve", "--host", "127.0.0.1", "--port", str(port), str(model_path)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
    )
    try:
        deadline = time.monotonic() + 300
        while True:
            assert server.poll() is None, f"transformers serve exited; see {log.name}"
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2):
                    break
            except OSError:
                assert time.monotonic() < deadline, "transformers serve not ready in 300 s"
                time.sleep(1)
        yield f"http://127.0.0.1:{port}/v1/chat/completions"
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


@pytest.fixture(scope="session")
def api_run(tmp_path_factory, env, tasks_path, model_path, served_model) -> Run:
    """hvsb_bbq through `--model local-chat-completions` against transformers serve.

    `eos_string` is given because transformers serve rejects the empty stop list lm-eval
    sends otherwise (the tasks set no stop sequence, as the protocol has none).
    """
    out = tmp_path_factory.mktemp("api_run")
    model_args = f"model={model_path},base_url={served_model},num_concurrent=1,max_retries=1"
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
    """The embedded model with a chat template that raises on a system turn (weights and
    config are links to the real files; only the template differs)."""
    folder = tmp_path_factory.mktemp("no_system_model")
    for item in Path(model_path).iterdir():
        if item.name != "chat_template.jinja":
            (folder / item.name).symlink_to(item)
    (folder / "chat_template.jinja").write_text(NO_SYSTEM_TEMPLATE, encoding="utf-8")
    return folder
