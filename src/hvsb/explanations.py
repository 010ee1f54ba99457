"""Read an explainer's explanations from any of the places hvsb writes them.

Accepted inputs (the agree tasks of both ecosystems and the fine-tuning data use this):
- an Inspect log (`.eval` or `.json`) of `hvsb/explain`;
- an lm-eval `samples_hvsb_explain_<ds>_*.jsonl` file (`--log_samples` output);
- a plain JSONL of {id, scenario, explanation[, dataset, explainer, ...]}.

Each explanation comes back as a dict with at least id, dataset, scenario, explanation and
explainer (the model that wrote it), plus whatever scenario metadata the source kept.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hvsb.errors import DataFileError
from hvsb.jsonl import read_jsonl
from hvsb.rows import RECORD_KEYS, Row
from hvsb.scorers.explanation import extract_explanation

METADATA_KEYS = tuple(key for key in RECORD_KEYS if key != "scenario")


def load_explanations(path: str | Path) -> list[dict[str, Any]]:
    """Explanations from an Inspect log, an lm-eval samples file or a plain JSONL."""
    path = Path(path)
    if not path.is_file():
        raise DataFileError(path, "file not found", expected="an Inspect log or a JSONL file")
    if path.suffix in (".eval", ".json"):
        from hvsb.tasks.inspect.logs import read_log

        return _from_rows(path, read_log(path))
    records = list(read_jsonl(path))
    from hvsb.tasks.lm_eval.samples import is_samples_file, read_samples

    if is_samples_file(path, records):
        return _from_rows(path, read_samples(path))
    return _from_plain_jsonl(path, records)


def _from_rows(path: Path, rows: Any) -> list[dict[str, Any]]:
    """The explain rows of an Inspect log or lm-eval samples file (`hvsb.rows`)."""
    explanations = []
    for row in rows:
        if row["task"] != "explain":
            raise DataFileError(
                path, f"holds {row['task']} samples", expected="the output of an explain task"
            )
        explanations.append(_explanation(row))
    return explanations


def _explanation(row: Row) -> dict[str, Any]:
    return {
        **{key: row[key] for key in METADATA_KEYS},
        "id": row["id"],
        "dataset": row["dataset"],
        "scenario": row["scenario"],
        "explanation": extract_explanation(row["reply"]),
        "reply": row["reply"],
        "explainer": row["model"],
    }


def _from_plain_jsonl(
    path: Path, records: list[tuple[int, dict[str, Any]]]
) -> list[dict[str, Any]]:
    explanations = []
    for line, record in records:
        explanations.append(
            {
                **{key: record.get(key) for key in METADATA_KEYS},
                **record,
                "id": str(_required(record, "id", path, line)),
                "scenario": _required(record, "scenario", path, line),
                "explanation": _required(record, "explanation", path, line),
                "dataset": record.get("dataset"),
                "explainer": record.get("explainer") or path.stem,
            }
        )
    return explanations


def _required(record: dict[str, Any], key: str, path: Path, line: int) -> Any:
    value = record.get(key)
    if not isinstance(value, str | int) or value == "":
        raise DataFileError(
            path, f"missing or empty {key!r}", line=line, expected=f"a {key} string"
        )
    return value
