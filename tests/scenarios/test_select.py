"""hvsb.scenarios.select: the one selection; a bad scenarios file or option stops it with
the file, line and id named, before any model could run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hvsb.errors import DataFileError, HvsbError
from hvsb.scenarios import select

GOOD = {"id": "ss:a:pro", "dataset": "ss", "scenario": "A.", "gold_label": "biased"}


def _file(path: Path, *records: dict) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (
            {"gold_label": "maybe"},
            r"line 2: record 'ss:b:anti': gold_label 'maybe' \(expected biased or unbiased\)",
        ),
        (
            {"category": 7},
            r"line 2: record 'ss:b:anti': field 'category' is 7 \(expected a string or null\)",
        ),
        ({"dataset": "xx"}, r"line 2: record 'ss:b:anti': dataset 'xx' \(expected one of bbq"),
        ({"scenario": ""}, r"line 2: record 'ss:b:anti': field 'scenario' is ''"),
        ({"source": [1]}, r"line 2: record 'ss:b:anti': field 'source' is \[1\]"),
        ({"id": "ss:a:pro"}, r"line 2: id 'ss:a:pro' repeats the record on line 1"),
        ({"id": 5}, r"line 2: record: field 'id' is 5"),
    ],
)
def test_a_bad_record_is_named(tmp_path, bad, message):
    path = _file(tmp_path / "s.jsonl", GOOD, {**GOOD, "id": "ss:b:anti", **bad})
    with pytest.raises(DataFileError, match=rf"s\.jsonl, {message}"):
        select("ss", scenarios_file=path)


def test_the_whole_file_is_checked_not_only_the_chosen_dataset(tmp_path):
    bad_cp = {"id": "cp:1:pro", "dataset": "cp", "scenario": "B.", "gold_label": "maybe"}
    path = _file(tmp_path / "s.jsonl", GOOD, bad_cp)
    with pytest.raises(DataFileError, match=r"line 2: record 'cp:1:pro': gold_label 'maybe'"):
        select("ss", scenarios_file=path)


def test_an_edited_file_is_read_again(tmp_path):
    path = _file(tmp_path / "s.jsonl", GOOD)
    assert [s.id for s in select("ss", scenarios_file=path)] == ["ss:a:pro"]
    _file(path, GOOD, {**GOOD, "id": "ss:b:anti"}, {**GOOD, "id": "ss:c:anti"})
    assert len(select("ss", scenarios_file=path)) == 3


@pytest.mark.parametrize(
    ("option", "value"), [("limit", -3), ("limit", 0), ("per_cell", -1), ("limit", "5")]
)
def test_counts_must_be_positive_whole_numbers(tmp_path, option, value):
    path = _file(tmp_path / "s.jsonl", GOOD)
    with pytest.raises(HvsbError, match=rf"{option} must be a whole number of at least 1"):
        select("ss", scenarios_file=path, **{option: value})


def test_unknown_dataset_sample_and_gold_label(tmp_path):
    path = _file(tmp_path / "s.jsonl", GOOD)
    with pytest.raises(HvsbError, match="dataset must be one of bbq, biasdpo, ss, cp"):
        select("stereoset", scenarios_file=path)
    with pytest.raises(HvsbError, match="sample must be one of paper, seeded"):
        select("ss", scenarios_file=path, sample="random")
    with pytest.raises(HvsbError, match="gold_label must be one of biased, unbiased"):
        select("ss", scenarios_file=path, gold_label="BIASED")


def test_order_is_seeded_and_a_limit_takes_its_head(data_dir, offline):
    everything = [s.id for s in select("biasdpo", data_dir=data_dir, seed=4)]
    assert [s.id for s in select("biasdpo", data_dir=data_dir, seed=4, limit=25)] == everything[:25]
    assert everything != [s.id for s in select("biasdpo", data_dir=data_dir, seed=5)]
    biased = select("biasdpo", data_dir=data_dir, seed=4, gold_label="biased")
    assert {s.gold_label for s in biased} == {"biased"}
    assert [s.id for s in biased] == [i for i in everything if i.endswith(":rejected")]
