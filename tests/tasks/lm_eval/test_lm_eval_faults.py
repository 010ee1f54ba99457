"""`hvsb lm-eval --model local-chat-completions` against a faulty OpenAI-compatible server on
127.0.0.1: a request that keeps failing stops the run (exit status not 0, no samples file
half-written) with the reason and without the API key on screen; lm-eval's own retries
ride out brief faults; a rerun against the healthy server gives a clean run's metrics."""

from __future__ import annotations

import os
from pathlib import Path

from support.data import OFFLINE
from support.fault_server import fault_server
from support.lm_eval_runs import hvsb, read_run
from support.serve import free_port

SECRET = "sk-lm-eval-test-secret-42"
LIMIT = 3


def _lm_eval(url: str, out: Path, data_dir: Path, retries: int = 1):
    """`retries` is lm-eval's max_retries: its attempts per request (1: no retry)."""
    import subprocess

    model_args = (
        f"model=fake,base_url={url}/chat/completions,num_concurrent=2,max_retries={retries},"
        "timeout=2,tokenizer_backend=none"
    )
    command = hvsb(
        "lm-eval",
        *("--model", "local-chat-completions", "--model_args", model_args),
        *("--tasks", "hvsb_bbq", "--apply_chat_template", "--limit", str(LIMIT)),
        *("--log_samples", "--output_path", str(out)),
    )
    env = {**os.environ, **OFFLINE, "HVSB_DATA_DIR": str(data_dir), "OPENAI_API_KEY": SECRET}
    return subprocess.run(command, capture_output=True, text=True, timeout=900, env=env)


def _replies(out: Path) -> dict[str, str]:
    [samples] = read_run(out).samples.values()
    return {sample["doc"]["id"]: sample["resps"][0][0] for sample in samples}


def test_faults_through_lm_eval(tmp_path, data_dir):
    port = free_port()
    out = tmp_path / "results"
    dead = _lm_eval(f"http://127.0.0.1:{port}/v1", out, data_dir)  # nothing listens
    assert dead.returncode != 0
    assert "Cannot connect" in dead.stdout + dead.stderr or "Connect" in dead.stderr
    assert not list(out.rglob("samples_*.jsonl"))  # nothing half-written
    with fault_server(port=port, hang_s=4) as (url, script):
        script.set([], then="500")  # the server never recovers: every request fails
        failed = _lm_eval(url, out, data_dir)
        shown = failed.stdout + failed.stderr
        assert failed.returncode != 0 and "500" in shown
        assert SECRET not in shown  # lm-eval logs request headers: redacted by hvsb
        assert not list(out.rglob("samples_*.jsonl"))
        script.set([], then="ok")
        rerun = _lm_eval(url, out, data_dir)
        assert rerun.returncode == 0, rerun.stderr[-3000:]
        clean = _replies(out)
        assert len(clean) == LIMIT and not any("PLACEHOLDER" in r for r in clean.values())
        for faults in (["500"] * 2 + ["truncated"] * 2, ["hang"] * 2):  # brief faults
            again = tmp_path / f"again-{faults[0]}"
            script.set(faults, then="ok")
            done = _lm_eval(url, again, data_dir, retries=4)
            assert done.returncode == 0, done.stderr[-3000:]
            assert _replies(again) == clean
            assert read_run(again).metrics("hvsb_bbq") == read_run(out).metrics("hvsb_bbq")
