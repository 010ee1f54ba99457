"""Run lm-eval, read its output folder and recompute its metrics with hvsb.scorers.

The expected values are computed here from the logged replies and documents alone (not
from the per-document values the tasks logged), so a broken adapter cannot agree with
itself.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from hvsb import scorers

JUDGE_RATES = {
    "misalignment_rate": lambda gold, labels: scorers.misalignment_rate(gold, labels),
    "attack_success_rate": lambda gold, labels: scorers.misalignment_rate(gold, labels),
    "overflag_rate": lambda gold, labels: scorers.overflag_rate(gold, labels),
    "rejection_rate": lambda gold, labels: scorers.rejection_rate(labels),
}


@dataclass
class Run:
    results: dict[str, Any]
    samples: dict[str, list[dict[str, Any]]]
    samples_files: dict[str, Path]

    def metrics(self, task: str) -> dict[str, float]:
        """{metric: value} of one task or group (filter `none`, no stderr entries)."""
        return {
            key.split(",")[0]: value
            for key, value in self.results["results"][task].items()
            if key.endswith(",none") and "_stderr" not in key
        }


def read_run(out: Path) -> Run:
    """The results file and samples files lm-eval wrote under `out`."""
    [results_file] = out.glob("*/results_*.json")
    files = {}
    for path in out.glob("*/samples_*.jsonl"):
        task = path.name.removeprefix("samples_").rsplit("_", 1)[0]
        files[task] = path
    samples = {
        task: [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        for task, path in files.items()
    }
    return Run(json.loads(results_file.read_text(encoding="utf-8")), samples, files)


def reply(sample: dict[str, Any]) -> str:
    return sample["resps"][0][0]


def _cell_key(value: str) -> str:
    return value.lower().replace("-", "_")


def in_cell(doc: dict[str, Any], cell: str) -> bool:
    """Whether a document belongs to the breakdown cell named by a metric suffix."""
    values = (doc.get(field) for field in ("polarity", "answer_type", "target_type", "category"))
    return cell in {_cell_key(value) for value in values if value}


def expected_judge(
    samples: list[dict[str, Any]],
    metric: str,
    parse: Callable[[str], str] = scorers.parse_judgment,
) -> float:
    """A judge metric (or breakdown cell) recomputed from the logged replies with `parse`."""
    base = next(name for name in JUDGE_RATES if metric.startswith(name))
    cell = metric[len(base) + 1 :]
    chosen = [s for s in samples if not cell or in_cell(s["doc"], cell)]
    gold = [s["doc"]["gold_label"] for s in chosen]
    labels = [parse(reply(s)) for s in chosen]
    return JUDGE_RATES[base](gold, labels).value


def expected_readability(samples: list[dict[str, Any]], metric: str) -> float:
    scores = [scorers.readability(scorers.extract_explanation(reply(s)))[metric] for s in samples]
    scored = [score for score in scores if not math.isnan(score)]
    return sum(scored) / len(scored) if scored else math.nan


def expected_agree(samples: list[dict[str, Any]], metric: str) -> float:
    labels = [scorers.parse_agreement(reply(s)) for s in samples]
    if metric == "agreeability":
        return scorers.agreeability(labels).value
    return scorers.rejection_rate(labels).value


def same(actual: float, expected: float) -> bool:
    """Equal, or both NaN (an empty cell)."""
    if math.isnan(expected):
        return actual is not None and math.isnan(actual)
    return math.isclose(actual, expected, rel_tol=1e-12, abs_tol=1e-12)


def run_command(command: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    done = subprocess.run(command, capture_output=True, text=True, timeout=900, env=env)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    return done


def lm_eval(*args: str) -> list[str]:
    return [sys.executable, "-m", "lm_eval", *args]


def hvsb(*args: str) -> list[str]:
    return [sys.executable, "-m", "hvsb.cli", *args]


def entry_point_task_folder() -> Path:
    """The folder hvsb's `lm_eval.tasks` entry point names (lm-eval PR #4015's plugin form):
    the directory of the package it points at."""
    [entry] = [e for e in entry_points(group="lm_eval.tasks") if e.name == "hvsb"]
    return Path(entry.load().__file__).resolve().parent
