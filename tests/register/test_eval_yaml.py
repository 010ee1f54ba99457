"""eval.yaml, hvsb's Inspect Evals Register metadata: valid against the schema written down
from the register's docs (docs/eval.schema.json), and equal to what hvsb defines elsewhere
(the data catalogue, the tasks behind the `inspect_ai` entry point), so it cannot drift."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import jsonschema
import pytest
import yaml
from inspect_ai import list_tasks

from hvsb.data.catalogue import CATALOGUE
from hvsb.register import registered_tasks, render_eval_yaml
from hvsb.tasks.inspect.tasks import VERSION

REPO = Path(__file__).resolve().parents[2]
EVAL_YAML = REPO / "eval.yaml"
SCHEMA = REPO / "docs" / "eval.schema.json"
SHA256_COMMENT = re.compile(r"^sha256 ([0-9a-f]{64}); read as <data dir>/(\S+)$")


@pytest.fixture(scope="module")
def entry() -> dict:
    return yaml.safe_load(EVAL_YAML.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_eval_yaml_validates_against_the_register_schema(entry, validator) -> None:
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(entry)]
    assert errors == []


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        (lambda e: e.update(version="1"), "does not match"),  # not N-X
        (lambda e: e.pop("external_assets"), "'external_assets' is a required property"),
        (lambda e: e["external_assets"][0].update(sha256="0" * 64), "Additional properties"),
        (lambda e: e["external_assets"][0].update(state="frozen"), "is not one of"),
        (lambda e: e["tasks"][0].update(name="hvsb/judge"), "does not match"),
        (lambda e: e.update(group="Fairness"), "is not one of"),
        (lambda e: e.update(metadata={"requires_internet": True}), "Additional properties"),
    ],
)
def test_the_schema_refuses_what_the_register_refuses(entry, validator, change, complaint):
    broken = copy.deepcopy(entry)
    change(broken)
    messages = [error.message for error in validator.iter_errors(broken)]
    assert any(complaint in message for message in messages), messages


def test_eval_yaml_is_the_current_rendering() -> None:
    """Regenerate with `python -m hvsb.register eval.yaml` when this fails."""
    assert EVAL_YAML.read_text(encoding="utf-8") == render_eval_yaml()


def test_assets_are_the_catalogue_files_with_their_sha256(entry) -> None:
    listed = set()
    for asset in entry["external_assets"]:
        match = SHA256_COMMENT.match(asset["comment"])
        assert match, asset["comment"]
        listed.add((asset["source"], match[1], match[2]))
        pinned = re.search(r"/[0-9a-f]{40}/", asset["source"]) is not None
        assert asset["state"] == ("pinned" if pinned else "floating"), asset["source"]
        assert (asset["type"], asset["fetch_method"]) == ("direct_url", "download_and_verify")
    assert listed == {(f.url, f.sha256, f.relpath) for f in CATALOGUE}
    assert len(entry["external_assets"]) == len(CATALOGUE) == 15
    floating = [a["source"] for a in entry["external_assets"] if a["state"] == "floating"]
    assert floating == [
        "https://huggingface.co/datasets/ahmedallam/BiasDPO/resolve/main/dataset.jsonl"
    ]


def test_tasks_are_the_registered_inspect_tasks(entry) -> None:
    names = [task["name"] for task in entry["tasks"]]
    assert {f"hvsb/{name}" for name in names} == set(registered_tasks())
    assert sorted(names) == ["agree", "explain", "judge"]
    for task in entry["tasks"]:
        path = REPO / task["task_path"]
        assert path.is_file(), task["task_path"]
        # Inspect's own listing of the @task functions in that file (what the register runs)
        found = {info.name for info in list_tasks(task["task_path"], root_dir=REPO)}
        assert task["name"] in found, (task["task_path"], found)


def test_version_paper_and_group(entry) -> None:
    assert entry["version"] == VERSION
    assert entry["arxiv"] == "https://arxiv.org/abs/2509.13869"
    assert entry["group"] == "Bias"
    assert "Judging and Explaining Social Biases" in entry["title"]
