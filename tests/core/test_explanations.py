"""load_explanations reads plain JSONL and lm-eval sample files, and names bad lines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hvsb.errors import DataFileError
from hvsb.explanations import load_explanations


def _write(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def test_plain_jsonl_keeps_fields_and_names_explainer_after_file(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "teacher.jsonl",
        [{"id": "bbq:Age:0:stereotype", "scenario": "S", "explanation": "E", "category": "Age"}],
    )
    [row] = load_explanations(path)
    assert row["id"] == "bbq:Age:0:stereotype"
    assert (row["scenario"], row["explanation"], row["category"]) == ("S", "E", "Age")
    assert row["explainer"] == "teacher"


def test_lm_eval_samples_take_text_after_last_explanation_label(tmp_path: Path) -> None:
    folder = tmp_path / "my__model"
    folder.mkdir()
    # what hvsb_explain_ss records in each doc: the scenario record and the task
    doc = {
        "id": "ss:x:pro",
        "dataset": "ss",
        "scenario": "Girls are bad at math.",
        "task": "explain",
    }
    path = _write(
        folder / "samples_hvsb_explain_ss_2026-11-29T10-00-00.000001.jsonl",
        [{"doc_id": 0, "doc": doc, "resps": [["Sure. Explanation: It stereotypes girls."]]}],
    )
    [row] = load_explanations(path)
    assert row["explanation"] == "It stereotypes girls."
    assert row["explainer"] == "my__model"
    assert row["dataset"] == "ss"


def test_missing_field_names_file_and_line(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "e.jsonl", [{"id": "a", "scenario": "s", "explanation": "e"}, {"id": "b"}]
    )
    with pytest.raises(DataFileError, match=r"e\.jsonl, line 2: missing or empty 'scenario'"):
        load_explanations(path)


def test_truncated_line_is_a_named_error(tmp_path: Path) -> None:
    path = tmp_path / "e.jsonl"
    path.write_text('{"id": "a", "scenario": "s", "explanation": "e"}\n{"id": "b", "sce', "utf-8")
    with pytest.raises(DataFileError, match=r"line 2: invalid JSON"):
        load_explanations(path)


def test_non_utf8_file_is_a_named_error(tmp_path: Path) -> None:
    path = tmp_path / "e.jsonl"
    path.write_bytes(b'{"id": "a", "scenario": "s", "explanation": "e"}\n\xff\xfe\n')
    with pytest.raises(DataFileError, match=r"e\.jsonl: not UTF-8 text"):
        load_explanations(path)
