"""The server manager's pure parts: flags, when a server is needed, error text, commands.
These need no vLLM and run everywhere."""

from __future__ import annotations

import os
from pathlib import Path

from hvsb.commands.serve import usage
from hvsb.serving.vllm import StudyServers, VllmServer, _log_tail, needs_server, server_flags
from hvsb.study.spec import ModelSpec

SERVER = VllmServer(model="/m", base_url="http://127.0.0.1:9/v1", api_key="k", log=Path("x"))


def test_model_args_become_server_flags_and_client_args_stay_out() -> None:
    args = {"max_model_len": 2048, "enforce_eager": True, "swap": False, "api_key": "secret"}
    assert server_flags(args) == ["--max-model-len", "2048", "--enforce-eager"]


def test_server_needed_only_for_vllm_models_without_a_server_of_the_users(monkeypatch) -> None:
    monkeypatch.delenv("VLLM_BASE_URL", raising=False)
    assert needs_server("vllm//models/x", None)
    assert not needs_server("vllm//models/x", "http://127.0.0.1:8000/v1")
    assert not needs_server("hf//models/x", None)
    monkeypatch.setenv("VLLM_BASE_URL", "http://127.0.0.1:8000/v1")
    assert not needs_server("vllm//models/x", None)


def test_study_servers_leave_other_models_alone_and_export_a_key(monkeypatch) -> None:
    monkeypatch.delenv("VLLM_API_KEY", raising=False)
    spec = ModelSpec(name="m", model="hf//models/x")
    with StudyServers() as servers:
        assert servers.serving(spec) is spec  # nothing started
        assert os.environ["VLLM_API_KEY"]
    assert "VLLM_API_KEY" not in os.environ  # restored afterwards


def test_log_tail_leads_with_the_first_error(tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    lines = [
        "INFO start",
        "(Worker) ValueError: not enough memory",
        *[f"line {i}" for i in range(40)],
    ]
    log.write_text("\n".join([*lines, "RuntimeError: Engine core initialization failed"]))
    tail = _log_tail(log)
    assert tail.splitlines()[0] == "first error: (Worker) ValueError: not enough memory"
    assert tail.endswith("RuntimeError: Engine core initialization failed")


def test_lm_eval_model_args_per_endpoint() -> None:
    assert SERVER.lm_eval_model_args("completions") == (
        "model=/m,base_url=http://127.0.0.1:9/v1/completions,tokenizer_backend=huggingface,"
        "tokenizer=/m"
    )
    assert SERVER.lm_eval_model_args("chat/completions") == (
        "model=/m,base_url=http://127.0.0.1:9/v1/chat/completions"
    )


def test_serve_prints_commands_for_inspect_and_lm_eval() -> None:
    text = usage(SERVER)
    assert "export VLLM_BASE_URL=http://127.0.0.1:9/v1 VLLM_API_KEY=k" in text
    assert "--model vllm//m" in text and "export OPENAI_API_KEY=k" in text
    assert "--model local-completions --model_args " + SERVER.lm_eval_model_args() in text
