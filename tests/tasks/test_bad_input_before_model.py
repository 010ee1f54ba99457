"""A bad scenarios file stops both ecosystems' CLIs before any model runs, naming the file,
the line and the record (lm-eval used to run the model, then fail in the metric with a
pyarrow traceback; Inspect did not name the file on duplicate ids)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from support.data import OFFLINE
from support.lm_eval_runs import hvsb

GOOD = {"id": "ss:a:pro", "dataset": "ss", "scenario": "A sentence.", "gold_label": "biased"}
CASES = {
    "gold-label": (
        {**GOOD, "id": "ss:b:pro", "gold_label": "maybe"},
        "line 2: record 'ss:b:pro': gold_label 'maybe'",
    ),
    "category": (
        {**GOOD, "id": "ss:b:pro", "category": 7},
        "line 2: record 'ss:b:pro': field 'category' is 7",
    ),
    "duplicate-id": (GOOD, "line 2: id 'ss:a:pro' repeats the record on line 1"),
}


def _file(tmp_path: Path, bad: dict) -> Path:
    path = tmp_path / "scenarios.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in (GOOD, bad)), encoding="utf-8")
    return path


def _run(command: list[str]) -> subprocess.CompletedProcess:
    env = {**os.environ, **OFFLINE}
    return subprocess.run(command, capture_output=True, text=True, timeout=600, env=env)


@pytest.mark.parametrize("case", CASES)
def test_inspect_eval_stops_before_the_model(tmp_path, case):
    bad, message = CASES[case]
    path = _file(tmp_path, bad)
    done = _run(
        [
            sys.executable,
            "-m",
            "inspect_ai",
            "eval",
            "hvsb/judge",
            "-T",
            "dataset=ss",
            "-T",
            f"scenarios_file={path}",
            "--model",
            "mockllm/model",
            "--log-dir",
            str(tmp_path / "logs"),
        ]
    )
    shown = done.stdout + done.stderr
    assert done.returncode != 0
    assert str(path) in shown and message in shown
    assert not list((tmp_path / "logs").glob("*.eval"))  # no evaluation was started


@pytest.mark.parametrize("case", CASES)
def test_lm_eval_stops_before_the_model(tmp_path, case):
    bad, message = CASES[case]
    path = _file(tmp_path, bad)
    done = _run(
        hvsb(
            "lm-eval",
            "--model",
            "dummy",
            "--tasks",
            "hvsb_ss",
            "--limit",
            "2",
            "--metadata",
            json.dumps({"scenarios_file": str(path)}),
            "--output_path",
            str(tmp_path / "out"),
        )
    )
    shown = done.stdout + done.stderr
    assert done.returncode != 0
    assert str(path) in shown and message in shown
    assert "pyarrow" not in shown
    assert not (tmp_path / "out").exists()
