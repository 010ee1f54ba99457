"""`hvsb report` on real runs of the hvsb tasks: Inspect and lm-eval on the embedded model."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pandas as pd
import pytest
from support.data import OFFLINE

from hvsb.scorers import parse_agreement, parse_judgment

pytestmark = pytest.mark.model


def _run(command: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def test_report_on_real_inspect_and_lm_eval_runs(tmp_path, data_dir, model_path, monkeypatch):
    from inspect_ai import eval as inspect_eval
    from inspect_ai.log import read_eval_log

    from hvsb.tasks.lm_eval import tasks_path

    env = {**os.environ, **OFFLINE, "HVSB_DATA_DIR": str(data_dir)}
    for name, value in {"HVSB_DATA_DIR": str(data_dir), **OFFLINE}.items():
        monkeypatch.setenv(name, value)  # for the in-process Inspect runs, this test only
    model = dict(model=f"hf/{model_path}", model_args={"do_sample": False}, display="none")
    logs = tmp_path / "inspect"
    first = inspect_eval(
        ["hvsb/judge", "hvsb/explain"],
        task_args={"dataset": "bbq", "max_scenarios": 2},
        max_tokens=8,
        log_dir=str(logs),
        **model,
    )
    explain_log = next(log.location for log in first if log.eval.task.endswith("explain"))
    inspect_eval(
        "hvsb/agree",
        task_args={"explanations": explain_log},
        max_tokens=12,
        log_dir=str(logs),
        **model,
    )
    lm_out = tmp_path / "lm-eval"
    _run(
        [
            sys.executable,
            "-m",
            "lm_eval",
            "--model",
            "hf",
            "--model_args",
            f"pretrained={model_path}",
            "--include_path",
            tasks_path(),
            "--tasks",
            "hvsb_bbq,hvsb_bbq_targeted",
            "--apply_chat_template",
            "--limit",
            "2",
            "--gen_kwargs",
            "max_gen_toks=8",
            "--log_samples",
            "--output_path",
            str(lm_out),
        ],
        env,
    )
    out, csv = tmp_path / "report", tmp_path / "table.csv"
    _run(
        [
            sys.executable,
            "-m",
            "hvsb.cli",
            "report",
            str(logs),
            str(lm_out),
            "--out",
            str(out),
            "--csv",
            str(csv),
            "--names",
            f"{model_path}=smollm2-lm-eval",
        ],
        env,
    )
    table = pd.read_csv(csv)

    # Inspect rows: the replies in the logs, judged again with hvsb.scorers
    inspect_rows = table[table["source_format"] == "inspect"]
    expected = {}
    for path in logs.glob("*.eval"):
        log = read_eval_log(str(path))
        kind = log.eval.task.rsplit("/", 1)[-1]
        for sample in log.samples:
            reply = sample.output.completion
            label = {"judge": parse_judgment, "agree": parse_agreement}.get(kind)
            expected[(kind, sample.metadata.get("scenario_id") or str(sample.id))] = (
                label(reply) if label else reply
            )
    assert len(inspect_rows) == len(expected) == 2 + 2 + 2
    for _, got in inspect_rows.iterrows():
        want = expected[(got["task"], got["id"])]
        if got["task"] == "judge":
            assert got["judgment"] == want
        elif got["task"] == "agree":
            assert got["agreement"] == want and got["explainer"] == "smollm2"
        else:
            assert got["reply"] == want
    assert set(inspect_rows["model"]) == {"smollm2"}

    # lm-eval rows: one per logged doc, the attack from the task name
    lm_rows = table[table["source_format"] == "lm-eval"]
    docs = [
        json.loads(line)
        for path in lm_out.rglob("samples_*.jsonl")
        for line in path.read_text(encoding="utf-8").splitlines()
    ]
    assert len(lm_rows) == len({(d["doc"]["id"], d["doc"]["attack"]) for d in docs}) == 4
    assert set(lm_rows["model"]) == {"smollm2-lm-eval"}  # --names: the exact lm-eval name only
    assert sorted(lm_rows["attack"]) == ["none", "none", "targeted", "targeted"]
    for _, got in lm_rows.iterrows():
        assert got["judgment"] == parse_judgment(got["reply"])
    attacks = pd.read_csv(out / "tables" / "attacks.csv")
    biased = lm_rows[(lm_rows["attack"] == "targeted") & (lm_rows["gold_label"] == "biased")]
    assert attacks.set_index("model").loc["smollm2-lm-eval", "pairs"] == len(biased)
    pairs = pd.read_csv(out / "tables" / "consistency.csv")
    # the paper's pool: biased scenarios both models judged without attack
    biased_ids = {
        source: set(rows.loc[(rows["task"] == "judge") & (rows["gold_label"] == "biased"), "id"])
        for source, rows in (("inspect", inspect_rows), ("lm-eval", lm_rows))
    }
    lm_none = set(lm_rows.loc[lm_rows["attack"] == "none", "id"])
    shared = biased_ids["inspect"] & biased_ids["lm-eval"] & lm_none
    assert pairs["items"].tolist() == [len(shared)]
    markdown = (out / "report.md").read_text(encoding="utf-8")
    # the Data section states the conventions both ecosystems' files record
    assert "Task versions read — Inspect logs: 2-A; lm-eval samples: 2.0." in markdown
    assert "Sample kind (judge and explain runs): paper." in markdown
    assert "Judgment parser: hvsb." in markdown
    assert "Judge mode: generate." in markdown
    assert set(table.loc[table["task"] == "judge", "parser"]) == {"hvsb"}
    for title in (
        "Misalignment, over-flagging",
        "Attack success rate",
        "Judgment consistency",
        "Explainer × target agreeability",
        "Readability beside agreeability",
    ):
        assert f"## {title}" in markdown
    assert "| smollm2 | bbq | none |" in markdown
    assert (out / "report.html").stat().st_size > 10_000
