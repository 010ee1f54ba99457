"""`hvsb run` end to end on the embedded model: dry run, a kill mid-study, and the resume.

The study is tiny (one dataset, two attack conditions, a few scenarios, short replies)
so that the real model, the real Inspect eval_set and a real SIGKILL run in CI.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hvsb.analysis import build_table

STUDY = """\
name: tiny
output_dir: {out}
data_dir: {data}
datasets: [bbq]
attacks: [none, targeted]
judge: {{limit: 3, max_tokens: 8}}
explain: {{limit: 2, max_tokens: 24}}
agree: {{max_tokens: 24}}
"""


def _hvsb(*args: str) -> list[str]:
    return [sys.executable, "-m", "hvsb.cli", *args]


@pytest.fixture
def study(tmp_path: Path, data_dir: Path, model_path: Path) -> tuple[Path, Path]:
    out = tmp_path / "out"
    path = tmp_path / "tiny.yaml"
    path.write_text(STUDY.format(out=out, data=data_dir), encoding="utf-8")
    return path, out


def test_dry_run_prints_plan_and_size(study: tuple[Path, Path]) -> None:
    path, out = study
    done = subprocess.run(_hvsb("run", str(path), "--dry-run"), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "judge[smollm2] dataset=bbq,attack=targeted" in done.stderr
    assert "total: 10 generations (6 judge, 2 explain, 2 agree)" in done.stderr
    assert not out.exists()  # nothing run


def _eval_files(folder: Path) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in folder.rglob("*.eval")}


def test_killed_study_resumes_without_lost_or_repeated_samples(study: tuple[Path, Path]) -> None:
    path, out = study
    first = subprocess.Popen(
        _hvsb("run", str(path), "--no-report"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    explain_dir = out / "logs" / "explain"
    deadline = time.monotonic() + 600
    while not any(explain_dir.rglob("*.eval")) and first.poll() is None:
        assert time.monotonic() < deadline, "the study never reached the explain step"
        time.sleep(0.2)
    os.killpg(first.pid, signal.SIGKILL)  # the whole process group, mid-explain
    first.wait()
    judged = _eval_files(out / "logs" / "judge")
    assert len(judged) == 2

    second = subprocess.run(_hvsb("run", str(path), "--bundle"), capture_output=True, text=True)
    assert second.returncode == 0, second.stderr[-3000:]
    assert _eval_files(out / "logs" / "judge") == judged  # finished work was not redone

    table = build_table([out / "logs"])
    keys = ["task", "model", "dataset", "attack", "explainer", "id"]
    assert not table.duplicated(keys).any()
    counts = table.groupby("task").size().to_dict()
    assert counts == {"judge": 6, "explain": 2, "agree": 2}
    judged_ids = table[table.task == "judge"].groupby("attack")["id"].apply(set)
    assert judged_ids["none"] == judged_ids["targeted"]  # same scenarios in every condition
    assert (out / "report" / "report.html").is_file()
    viewer = out / "report" / "viewer"  # --bundle: every log, with Inspect's viewer
    assert (viewer / "index.html").is_file()
    assert sorted(p.name for p in (viewer / "logs").rglob("*.eval")) == sorted(
        p.name for p in (out / "logs").rglob("*.eval")
    )
