"""Task construction without a model: registration, record → sample, and clear errors."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from hvsb.errors import DataFileError, HvsbError
from hvsb.prompts import judge_prompt
from hvsb.scenarios import build
from hvsb.tasks.inspect import agree, explain, judge


def test_entry_point_names_a_light_registry() -> None:
    [entry] = [e for e in entry_points(group="inspect_ai") if e.name == "hvsb"]
    assert entry.value == "hvsb.tasks.inspect._registry"
    heavy = ("statsmodels", "transformers", "torch", "hvsb.scorers", "hvsb.scenarios")
    code = f"import sys, {entry.value}; print([m for m in {heavy!r} if m in sys.modules])"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_judge_sample_is_the_scenario_record(data_dir: Path) -> None:
    task = judge(dataset="biasdpo", data_dir=str(data_dir))
    scenario = build("biasdpo", data_dir).scenarios[0]
    [sample] = [s for s in task.dataset if s.id == scenario.id]
    assert sample.input == judge_prompt("biasdpo", scenario.scenario)
    assert sample.target == scenario.gold_label
    record = scenario.to_dict()
    assert {k: sample.metadata[k] for k in record} == record
    assert (sample.metadata["mode"], sample.metadata["attack"]) == ("sentence", "none")
    assert len(task.dataset) == len(build("biasdpo", data_dir).scenarios)


def test_sampling_parameters_follow_hvsb_sampling(data_dir: Path) -> None:
    small = judge(dataset="cp", data_dir=str(data_dir), per_cell=1, seed=3)
    cells = [(s.metadata["category"], s.metadata["answer_type"]) for s in small.dataset]
    assert len(cells) == len(set(cells))  # at most one per category x direction
    again = judge(dataset="cp", data_dir=str(data_dir), per_cell=1, seed=3)
    assert [s.id for s in small.dataset] == [s.id for s in again.dataset]
    capped = explain(dataset="bbq", data_dir=str(data_dir), max_scenarios=5)
    assert len(capped.dataset) == 5
    assert {s.metadata["gold_label"] for s in capped.dataset} == {"biased"}


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"dataset": "nope"}, "bbq, biasdpo, ss, cp"),
        ({"attack": "evil"}, "none, untargeted, targeted"),
        ({"system_turn": "maybe"}, "auto, system, fold"),
        ({"parser": "strict"}, "parser must be one of hvsb, release, not 'strict'"),
    ],
)
def test_bad_parameters_are_named(arguments: dict, message: str) -> None:
    with pytest.raises((HvsbError, ValueError), match=message):
        judge(**arguments)


def test_bad_scenarios_file_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "scenarios.jsonl"
    good = {"id": "ss:1:pro", "dataset": "ss", "scenario": "S", "gold_label": "biased"}
    path.write_text(json.dumps(good) + "\n" + json.dumps({"id": "ss:2:pro"}) + "\n")
    with pytest.raises(
        DataFileError,
        match=r"scenarios.jsonl, line 2: record .ss:2:pro.: field .dataset. is missing",
    ):
        judge(dataset="ss", scenarios_file=str(path))


def test_agree_needs_explanations_with_a_known_dataset(tmp_path: Path) -> None:
    with pytest.raises(HvsbError, match="-T explanations=PATH"):
        agree()
    path = tmp_path / "plain.jsonl"
    path.write_text(json.dumps({"id": "x", "scenario": "S", "explanation": "E"}) + "\n")
    with pytest.raises(DataFileError, match=r"plain.jsonl.*dataset None"):
        agree(explanations=str(path))
    task = agree(explanations=str(path), dataset="cp")
    [sample] = task.dataset
    assert (sample.id, sample.metadata["dataset"], sample.metadata["explainer"]) == (
        "x",
        "cp",
        "plain",
    )
