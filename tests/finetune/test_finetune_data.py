"""SFT data: cleaning, deduplication, the deterministic split and the too-few error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hvsb.errors import HvsbError
from hvsb.finetune.data import clean, load_sft_data, read_split, split, write_split


def _write(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def _record(i: int, explanation: str | None = None, scenario: str | None = None) -> dict:
    return {
        "id": f"bbq:Age:{i}:stereotype",
        "dataset": "bbq",
        "scenario": scenario or f"Context: person {i} waited.\nQuestion: Who?\nAnswer: The {i}",
        "explanation": explanation or f"It assumes person {i} is slow because of their age.",
        "explainer": "teacher",
        "gold_label": "biased",
    }


def test_clean_drops_short_repeated_and_duplicate_explanations():
    records = [
        _record(1),
        _record(1),  # exact duplicate
        {**_record(1), "explanation": "  IT assumes person 1 is slow because of their AGE. "},
        _record(2, explanation="Biased."),
        _record(3, explanation="Context: x y z", scenario="Context: x y z"),
        {**_record(4), "scenario": ""},
        _record(5),
    ]
    kept, dropped = clean(records)
    assert [e.id for e in kept] == ["bbq:Age:1:stereotype", "bbq:Age:5:stereotype"]
    assert dropped == {
        "duplicate": 2,
        "explanation under 3 words": 1,
        "explanation repeats the scenario": 1,
        "no scenario": 1,
    }
    assert kept[0].gold_label == "biased"  # scenario metadata travels with the example


def test_split_is_deterministic_order_free_and_keeps_scenarios_apart():
    records = [_record(i) for i in range(40)]
    # a second teacher explaining the same scenarios must land on the same side
    records += [_record(i, explanation=f"Another view on person {i} and age.") for i in range(40)]
    examples, _ = clean(records)
    train, held = split(examples, 0.05, seed=0)
    train2, held2 = split(list(reversed(examples)), 0.05, seed=0)
    assert {e.explanation for e in held} == {e.explanation for e in held2}
    assert len({e.scenario for e in held}) == 2  # ceil(40 * 5 %)
    assert not {e.scenario for e in train} & {e.scenario for e in held}
    assert len(train) + len(held) == len(examples)


def test_split_holds_out_at_least_one_and_leaves_one_to_train():
    examples, _ = clean([_record(i) for i in range(2)])
    train, held = split(examples, 0.05)
    assert len(train) == 1 and len(held) == 1
    with pytest.raises(HvsbError, match="between 0 and 1"):
        split(examples, 1.0)


def test_too_few_usable_explanations_is_a_clear_error(tmp_path):
    path = _write(
        tmp_path / "teacher.jsonl",
        [_record(1), _record(1), _record(2, explanation="Yes."), _record(3)],
    )
    with pytest.raises(HvsbError) as error:
        load_sft_data([path], min_examples=8)
    message = str(error.value)
    assert str(path) in message
    assert "only 2 usable explanations out of 4 records" in message
    assert "1 duplicate" in message and "1 explanation under 3 words" in message
    assert "--min-examples" in message


def test_bad_record_names_file_and_line(tmp_path):
    path = _write(tmp_path / "teacher.jsonl", [_record(1), {"id": "x", "scenario": "s"}])
    with pytest.raises(HvsbError, match=r"teacher.jsonl, line 2: missing or empty 'explanation'"):
        load_sft_data([path])


def test_split_round_trips_through_files(tmp_path):
    path = _write(tmp_path / "teacher.jsonl", [_record(i) for i in range(20)])
    data = load_sft_data([path], eval_fraction=0.1)
    write_split(data, tmp_path / "data")
    assert read_split(tmp_path / "data" / "train.jsonl") == data.train
    assert read_split(tmp_path / "data" / "eval.jsonl") == data.eval
    assert data.summary()["train"] == 18 and data.summary()["eval"] == 2


def test_every_scenario_field_an_explanation_carries_is_kept():
    """An explain log's records carry every flat scenario field (BBQ's target_type too)."""
    from hvsb.explanations import METADATA_KEYS

    record = {**_record(1), **{key: f"value of {key}" for key in METADATA_KEYS}}
    [example], _ = clean([record])
    assert {key: example.to_dict()[key] for key in METADATA_KEYS} == {
        key: record[key] for key in METADATA_KEYS
    }
