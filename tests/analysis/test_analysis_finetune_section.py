"""`hvsb report` with a fine-tuning evaluation: the "Fine-tuned explainers" section.

The evaluation folder is laid out as `hvsb finetune evaluate` writes it: the summary JSON
beside real Inspect logs (written by inspect_ai from a mockllm run, see
analysis_builders) of the explain and agree tasks. The end-to-end version on a real
fine-tuned model is in tests/finetune/test_finetune_causal.py.
"""

from __future__ import annotations

import copy
import json
import math
import shutil
from pathlib import Path

import pandas as pd
import pytest
from support.analysis_builders import agree_reply, scenario, write_inspect_log

from hvsb.cli import main
from hvsb.finetune.report import EVAL_JSON, section

BASE, TUNED, TARGET = "hf//models/smollm2", "hf//runs/explainer/merged", "hf//models/smollm2"
TEXT = "Explanation: It assumes the older person is forgetful only because of age."


def _rate(hits: int, n: int, low: float, high: float) -> dict:
    return {"value": hits / n, "hits": hits, "n": n, "low": low, "high": high}


SUMMARY = {
    "run": "/runs/explainer",
    "base_model": "/models/smollm2",
    "fine_tuned_model": "/runs/explainer/merged",
    "scenarios": 4,
    "datasets": ["bbq"],
    "targets": [TARGET],
    "explainers": [
        {
            "explainer": "base",
            "model": BASE,
            "readability": {"fkgl": 9.5, "gfi": 12.25, "cli": 10.0, "n": 4, "scored": 4},
            "agreeability": {TARGET: _rate(3, 4, 0.3006, 0.9544)},
        },
        {
            "explainer": "fine-tuned",
            "model": TUNED,
            "readability": {"fkgl": 6.5, "gfi": 8.0, "cli": math.nan, "n": 4, "scored": 3},
            "agreeability": {TARGET: _rate(1, 4, 0.0456, 0.6994)},
        },
    ],
    "teacher_readability": {"fkgl": 7.0, "gfi": 9.0, "cli": 8.0, "n": 4, "scored": 4},
    "card": {"method": "lora", "eval_loss_before": 2.5, "eval_loss_after": 1.25},
}


@pytest.fixture
def evaluation(tmp_path, inspect_template) -> Path:
    """An evaluation folder: finetune_evaluation.json and explain/agree logs in logs/."""
    folder = tmp_path / "evaluation"
    logs = folder / "logs"
    for name, model in (("base", BASE), ("tuned", TUNED)):
        records = [scenario(f"bbq:Age:{i}:stereotype") for i in range(4)]
        samples = [{"id": r["id"], "metadata": r, "reply": TEXT} for r in records]
        write_inspect_log(
            inspect_template, logs / f"explain_{name}.eval", task="hvsb/explain",
            model=model, task_args={"dataset": "bbq"}, samples=samples,
        )  # fmt: skip
        agree = [
            {
                "id": r["id"],
                "metadata": {**r, "explanation": TEXT, "explainer": model},
                "reply": agree_reply("agree" if i < 2 else "disagree"),
            }
            for i, r in enumerate(records)
        ]
        write_inspect_log(
            inspect_template, logs / f"agree_{name}.eval", task="hvsb/agree", model=TARGET,
            samples=agree,
        )  # fmt: skip
    (folder / EVAL_JSON).write_text(json.dumps(SUMMARY, indent=2), encoding="utf-8")
    return folder


def _report(paths: list[Path], out: Path, *extra: str) -> str:
    assert main(["report", *map(str, paths), "--out", str(out), *extra]) == 0
    return (out / "report.md").read_text(encoding="utf-8")


def test_report_on_an_evaluation_folder_adds_the_section(evaluation, tmp_path):
    out = tmp_path / "report"
    text = _report([evaluation], out)
    part = text[text.index("## Fine-tuned explainers") :]
    assert (
        "| base | smollm2 | smollm2 | 4 | 4 | 9.500 | 12.250 | 10.000 | 75.0 % [30.1, 95.4] (3/4) |"
        in part
    )
    assert (
        "| fine-tuned | merged | smollm2 | 4 | 3 | 6.500 | 8.000 | – | 25.0 % [4.6, 69.9] (1/4) |"
        in part
    )
    assert "| teacher (training data) | – | – | 4 | 4 | 7.000 | 9.000 | 8.000 | – |" in part
    assert "eval loss 2.5000 -> 1.2500" in part and "same 4 held-out scenarios (bbq)" in part
    assert "Both directions are the paper's trade-off" in part
    # the evaluation's logs are read as usual, and its JSON is not counted as skipped
    assert "8 explain, 8 agree rows" in text and "not hvsb outputs" not in text
    assert "## Explainer × target agreeability" in text
    html = (out / "report.html").read_text(encoding="utf-8")
    assert '<section id="finetune">' in html and '<a href="#finetune">' in html
    csv = pd.read_csv(out / "tables" / "finetune.csv")
    for explainer in SUMMARY["explainers"]:
        (row,) = csv[csv["explainer"] == explainer["explainer"]].to_dict("records")
        rate = explainer["agreeability"][TARGET]
        assert row["agreeability"] == rate["value"] and row["agreeability_n"] == rate["n"]
        for metric in ("fkgl", "gfi", "cli"):
            expected = explainer["readability"][metric]
            assert row[metric] == expected or (math.isnan(expected) and math.isnan(row[metric]))


def test_a_named_evaluation_file_brings_its_logs(evaluation, tmp_path, capsys):
    text = _report([evaluation / EVAL_JSON], tmp_path / "report", "--names", "merged=tuned")
    assert "| fine-tuned | tuned | smollm2 |" in text and "8 explain, 8 agree rows" in text
    shutil.rmtree(evaluation / "logs")
    assert main(["report", str(evaluation / EVAL_JSON), "--out", str(tmp_path / "r2")]) == 2
    assert "no Inspect logs beside it" in capsys.readouterr().err


def test_no_evaluation_no_section_and_the_stale_table_goes(evaluation, tmp_path):
    out = tmp_path / "report"
    _report([evaluation], out)
    (evaluation / EVAL_JSON).unlink()
    text = _report([evaluation], out)
    assert "Fine-tuned explainers" not in text and not (out / "tables" / "finetune.csv").exists()


def test_a_broken_evaluation_file_is_named(evaluation, tmp_path, capsys):
    (evaluation / EVAL_JSON).write_text('{"scenarios": 4}', encoding="utf-8")
    assert main(["report", str(evaluation), "--out", str(tmp_path / "report")]) == 2
    err = capsys.readouterr().err
    assert f"{evaluation / EVAL_JSON}: missing base_model" in err


def test_the_text_follows_the_numbers(tmp_path):
    """Swap the agreeability of base and fine-tuned: the verdict flips; two evaluations get a
    column saying which is which."""
    flipped = copy.deepcopy(SUMMARY)
    base, tuned = flipped["explainers"]
    base["agreeability"], tuned["agreeability"] = tuned["agreeability"], base["agreeability"]
    paths = []
    for name, summary in (("a", SUMMARY), ("b", flipped)):
        path = tmp_path / name / EVAL_JSON
        path.parent.mkdir()
        path.write_text(json.dumps(summary), encoding="utf-8")
        paths.append(path)
    result = section(paths)
    first, second = result.text.split("The fine-tuned explainer")[1:]
    assert "Both directions are the paper's trade-off" in first
    assert "25.0 % (1/4) of the fine-tuned explanations and 75.0 % (3/4)" in first
    assert "This is not the paper's trade-off" in second and "more often" in second
    ((_caption, frame),) = result.tables
    assert list(frame["evaluation"].unique()) == [str(tmp_path / "a"), str(tmp_path / "b")]
