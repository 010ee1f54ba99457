"""Run the same judge evaluation on vLLM and on transformers and pair the results by id."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

from hvsb.rows import read_rows
from hvsb.scorers import parse_judgment


def run_ok(command: list[str], env: dict[str, str], timeout: int = 900) -> str:
    """Run a command; fail with the end of its output unless it exits 0. Returns stderr."""
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stderr


def inspect_judge(
    model: str, log_dir: Path, env: dict[str, str], data_dir: Path, *extra: str
) -> Path:
    """`inspect eval hvsb/judge` on 4 BBQ scenarios, replies cut at 32 tokens; its log."""
    run_ok(
        [
            *(sys.executable, "-m", "inspect_ai", "eval", "hvsb/judge"),
            *("-T", "dataset=bbq", "-T", f"data_dir={data_dir}", "--model", model, *extra),
            *("--limit", "4", "--max-tokens", "32", "--log-dir", str(log_dir)),
            "--display=none",
        ],
        env,
    )
    [log] = log_dir.glob("*.eval")
    return log


def lm_eval(model: str, model_args: str, out: Path, env: dict[str, str], *extra: str) -> Path:
    """`hvsb lm-eval` on 4 documents; the folder lm-eval wrote its files to."""
    run_ok(
        [
            *(sys.executable, "-m", "hvsb.cli", "lm-eval", "--model", model),
            *("--model_args", model_args, "--apply_chat_template", "--limit", "4"),
            *("--log_samples", "--output_path", str(out), *extra),
        ],
        env,
    )
    return out


def inspect_labels(log: Path) -> dict[str, str]:
    return {str(row["id"]): parse_judgment(row["reply"]) for row in read_rows(log)}


def lm_eval_labels(out: Path, task: str) -> dict[str, str]:
    [samples] = out.rglob(f"samples_{task}_*.jsonl")
    return {str(row["id"]): parse_judgment(row["reply"]) for row in read_rows(samples)}


def same_metrics(a: dict[str, float], b: dict[str, float]) -> bool:
    """Equal metric dicts, NaN (an empty breakdown cell) equal to NaN."""
    return a.keys() == b.keys() and all(
        (math.isnan(a[k]) and math.isnan(b[k])) or math.isclose(a[k], b[k], abs_tol=1e-12)
        for k in a
    )
