"""`hvsb finetune evaluate` without models: choosing held-out scenarios, the summary's Markdown."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from hvsb.errors import HvsbError
from hvsb.finetune.card import CARD_JSON
from hvsb.finetune.data import SftExample
from hvsb.finetune.evaluate import Run, heldout_scenarios, markdown, readability_summary
from hvsb.jsonl import write_jsonl
from hvsb.scorers import readability


def _example(i: int) -> dict:
    return SftExample(
        id=f"bbq:Age:{i}:stereotype",
        dataset="bbq",
        scenario=f"Context: person {i}.\nQuestion: Who?\nAnswer: The {i}",
        explanation=f"It assumes things about person {i} from their age.",
        explainer="teacher",
    ).to_dict()


@pytest.fixture
def run(tmp_path: Path) -> Run:
    write_jsonl(tmp_path / "data" / "train.jsonl", [_example(i) for i in range(3)])
    write_jsonl(tmp_path / "data" / "eval.jsonl", [_example(i) for i in (3, 4, 4)])
    (tmp_path / "merged").mkdir()
    (tmp_path / "merged" / CARD_JSON).write_text(json.dumps({"base_model": "b", "seq2seq": False}))
    return Run(tmp_path)


def test_default_scenarios_are_the_held_out_split_once_each(run):
    scenarios, excluded = heldout_scenarios(run)
    assert [s["id"] for s in scenarios] == ["bbq:Age:3:stereotype", "bbq:Age:4:stereotype"]
    assert excluded == 0
    assert all(s["gold_label"] == "biased" and s["dataset"] == "bbq" for s in scenarios)


def test_a_scenario_file_loses_what_was_trained_on_and_unbiased_records(run, tmp_path):
    records = [
        {**_example(1), "gold_label": "biased"},  # trained on
        {**_example(7), "gold_label": "biased"},
        {**_example(8), "id": "bbq:Age:8:unknown", "gold_label": "unbiased"},
        {**_example(9), "gold_label": "biased", "category": "Age"},
    ]
    path = tmp_path / "pool.jsonl"
    write_jsonl(path, records)
    scenarios, excluded = heldout_scenarios(run, path)
    assert excluded == 1
    # in hvsb's seeded order (a hash of seed and id), not the file's
    assert sorted(s["id"] for s in scenarios) == ["bbq:Age:7:stereotype", "bbq:Age:9:stereotype"]
    assert {s["id"]: s["category"] for s in scenarios}["bbq:Age:9:stereotype"] == "Age"
    limited, _ = heldout_scenarios(run, path, limit=1)
    assert len(limited) == 1


def test_no_scenario_left_is_an_error(run, tmp_path):
    path = tmp_path / "pool.jsonl"
    write_jsonl(path, [{**_example(0), "gold_label": "biased"}])  # trained on
    with pytest.raises(HvsbError, match="no held-out biased scenarios"):
        heldout_scenarios(run, path)


def test_not_a_run_folder_names_the_missing_file(tmp_path):
    with pytest.raises(HvsbError, match=f"{CARD_JSON}: not found"):
        Run(tmp_path).card()


def test_readability_summary_skips_texts_too_short_to_score():
    texts = ["Too short.", "It assumes the old man is forgetful because of his age alone."]
    summary = readability_summary(texts)
    assert summary["n"] == 2 and summary["scored"] == 1
    assert summary["fkgl"] == readability(texts[1])["fkgl"]
    assert math.isnan(readability_summary(["No."])["gfi"])


def test_markdown_puts_explainers_side_by_side():
    rate = {"value": 0.5, "hits": 1, "n": 2, "low": 0.09, "high": 0.91}
    empty = {"value": math.nan, "hits": 0, "n": 0, "low": math.nan, "high": math.nan}
    row = {"fkgl": 6.0, "gfi": 8.0, "cli": 9.0, "n": 2, "scored": 2}
    summary = {
        "base_model": "base",
        "fine_tuned_model": "ft",
        "scenarios": 2,
        "datasets": ["bbq"],
        "targets": ["hf/t"],
        "explainers": [
            {"explainer": "base", "readability": row, "agreeability": {"hf/t": rate}},
            {
                "explainer": "fine-tuned",
                "readability": {**row, "fkgl": math.nan},
                "agreeability": {"hf/t": empty},
            },
        ],
        "teacher_readability": row,
        "card": {"method": "lora", "eval_loss_before": 2.0, "eval_loss_after": 1.5},
    }
    text = markdown(summary)
    assert "| explainer | FKGL | GFI | CLI | scored | agree: hf/t |" in text
    assert "| base | 6.00 | 8.00 | 9.00 | 2/2 | 0.50 [0.09, 0.91] (n=2) |" in text
    assert "| fine-tuned | n/a | 8.00 | 9.00 | 2/2 | n/a |" in text
    assert "| teacher (training data) | 6.00 | 8.00 | 9.00 | 2/2 |" in text
    assert "LoRA, eval loss 2.0000 -> 1.5000" in text
