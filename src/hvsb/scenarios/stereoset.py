"""StereoSet intrasentence (Nadeem et al., 2021) → pro- and anti-stereotype sentences.

Each example gives a stereotype and an anti-stereotype sentence (the unrelated one is
not used). In `sentence` mode the sentence is the scenario; `emulated` mode replaces it
with an LLM-written scenario (hvsb.scenarios.emulate). All are labelled biased.
"""

from __future__ import annotations

import json
from pathlib import Path

from hvsb.data import locate
from hvsb.errors import DataFileError
from hvsb.scenarios.record import Scenario
from hvsb.scenarios.result import BuildResult
from hvsb.scenarios.validate import require

RELPATH = "stereoset/dev.json"
DIRECTIONS = {"stereotype": "pro", "anti-stereotype": "anti"}


def _load(path: Path) -> list:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise DataFileError(
            path, f"invalid JSON ({exc.msg})", line=exc.lineno, expected="StereoSet dev.json"
        ) from None
    examples = (
        (document.get("data") or {}).get("intrasentence") if isinstance(document, dict) else None
    )
    if not isinstance(examples, list):
        raise DataFileError(path, "no data.intrasentence list", expected="StereoSet dev.json")
    return examples


def build(data_dir: str | Path | None = None) -> BuildResult:
    """Ids are `ss:<example id>:<pro|anti>` with StereoSet's own example id; the example's
    position in data.intrasentence is `source["file_index"]` (the paper's sample follows
    file order: hvsb.scenarios.paper_sample)."""
    path = locate(RELPATH, data_dir)
    result = BuildResult("ss")
    for number, example in enumerate(_load(path)):
        where = f"data.intrasentence[{number}]"
        if not isinstance(example, dict):
            raise DataFileError(path, f"{where} is not an object", expected="an example object")
        example_id = _field(example, "id", str, path, where)
        bias_type = _field(example, "bias_type", str, path, where)
        sentences = _field(example, "sentences", list, path, where)
        labels = [s.get("gold_label") if isinstance(s, dict) else None for s in sentences]
        if sorted(label for label in labels if label in DIRECTIONS) != sorted(DIRECTIONS):
            raise DataFileError(
                path,
                f"{where} (id {example_id}) has gold labels {labels}",
                expected="one stereotype and one anti-stereotype sentence",
            )
        for sentence, label in zip(sentences, labels, strict=True):
            if label not in DIRECTIONS:
                continue
            text = _field(sentence, "sentence", str, path, f"{where}.sentences")
            direction = DIRECTIONS[label]
            result.scenarios.append(
                Scenario(
                    id=f"ss:{example_id}:{direction}",
                    dataset="ss",
                    scenario=text,
                    gold_label="biased",
                    category=bias_type,
                    polarity=None,
                    answer_type=direction,
                    source={
                        "example_id": example_id,
                        "file_index": number,
                        "sentence_id": sentence.get("id"),
                        "sentence": text,
                        "target": example.get("target"),
                        "context": example.get("context"),
                    },
                )
            )
    return result


def _field(record: dict, key: str, kind: type, path: Path, where: str):
    try:
        return require(record, key, kind, path=path, line=None)
    except DataFileError as error:
        raise DataFileError(path, f"{where}: {error.problem}", expected=error.expected) from None
