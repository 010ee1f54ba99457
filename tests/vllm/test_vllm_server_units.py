"""The server manager's pure parts: flags, when a server is needed, error text, commands.
These need no vLLM and run everywhere."""

from __future__ import annotations

import os
from pathlib import Path

from hvsb.commands.serve import usage
from hvsb.serving import vllm
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


def test_cpu_build_on_a_small_machine_gives_the_model_every_core(monkeypatch) -> None:
    # The build and the machine's size are facts of the machine the test runs on: both are
    # set here so that every case runs everywhere.
    monkeypatch.delenv("VLLM_CPU_NUM_OF_RESERVED_CPU", raising=False)
    monkeypatch.delenv("VLLM_CPU_KVCACHE_SPACE", raising=False)
    monkeypatch.setattr(vllm, "is_cpu_build", lambda: True)
    monkeypatch.setattr(vllm, "usable_cpus", lambda: 2)
    env = vllm.server_env()
    assert env["VLLM_CPU_NUM_OF_RESERVED_CPU"] == "0"
    assert env["VLLM_CPU_KVCACHE_SPACE"] == vllm.CPU_KVCACHE_GIB
    monkeypatch.setattr(vllm, "usable_cpus", lambda: 3)
    assert "VLLM_CPU_NUM_OF_RESERVED_CPU" not in vllm.server_env()  # vLLM's reservation
    monkeypatch.setattr(vllm, "usable_cpus", lambda: 2)
    monkeypatch.setenv("VLLM_CPU_NUM_OF_RESERVED_CPU", "1")
    assert vllm.server_env()["VLLM_CPU_NUM_OF_RESERVED_CPU"] == "1"  # the user's choice
    monkeypatch.setattr(vllm, "is_cpu_build", lambda: False)
    monkeypatch.delenv("VLLM_CPU_NUM_OF_RESERVED_CPU")
    env = vllm.server_env()
    assert "VLLM_CPU_NUM_OF_RESERVED_CPU" not in env and "VLLM_CPU_KVCACHE_SPACE" not in env
