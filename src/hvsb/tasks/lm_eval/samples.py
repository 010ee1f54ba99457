"""lm-eval `samples_<task>_<timestamp>.jsonl` files of the hvsb tasks → rows (`hvsb.rows`).

lm-eval writes them with `--log_samples` into `OUTPUT/<sanitised model>/`, next to
`results_<timestamp>.json`. Each line holds the document the task built — the scenario
record plus what the task records about the run: `task` (judge / explain / agree),
`attack`, `judge_mode`, `system_turn`, `parser`, `sample`, `mode`, and `explanation` /
`explainer` for agree — and the model's response: the reply text in `resps` for
generation tasks, one [log-likelihood, is_greedy] per choice for the log-likelihood
tasks, whose label is recomputed here with `hvsb.scorers.loglikelihood`, never taken
from the stored metrics. A parser or sample kind the docs do not record is taken from
the run's `--metadata` (the results JSON's task config), else left None.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from hvsb.errors import DataFileError
from hvsb.jsonl import read_jsonl
from hvsb.rows import RECORD_KEYS, TASKS, NotHvsbOutput, Row
from hvsb.scorers import loglikelihood as ll_rule

_FILE = re.compile(
    r"^samples_(?P<task>.+)_(?P<date>\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}(?:\.\d+)?)\.jsonl$"
)


def task_name(path: Path) -> str | None:
    """The task name in `samples_<task>_<timestamp>.jsonl`, or None for other names."""
    match = _FILE.match(path.name)
    return match.group("task") if match else None


def is_samples_file(path: Path, records: list[tuple[int, dict[str, Any]]]) -> bool:
    """Whether already-read JSONL records look like an lm-eval samples file."""
    return bool(records) and {"doc", "resps"} <= records[0][1].keys()


def run_of(path: Path) -> tuple[str, str | None]:
    """The model and task version of a samples file, from its run's results JSON (the
    model falls back to the folder name, the version to None when there is none).

    lm-eval writes `results_<ts>.json` and `samples_<task>_<ts>.jsonl` with the same
    timestamp into `OUTPUT/<sanitised model name>/`.
    """
    model, version, _ = _run(path)
    return model, version


def _run(path: Path) -> tuple[str, str | None, dict[str, Any]]:
    """`run_of`, and the task's config metadata in the results JSON (the `--metadata`
    options lm-eval merged into it; empty when there is no results file)."""
    match = _FILE.match(path.name)
    if match:
        results = path.with_name(f"results_{match.group('date')}.json")
        if results.is_file():
            try:
                data = json.loads(results.read_text(encoding="utf-8"))
            except (OSError, json.JSONDecodeError) as error:
                raise DataFileError(results, f"unreadable lm-eval results file ({error})") from None
            name = data.get("model_name") or _model_from_args(data.get("config") or {})
            version = (data.get("versions") or {}).get(match.group("task"))
            config = (data.get("configs") or {}).get(match.group("task")) or {}
            options = config.get("metadata") if isinstance(config, dict) else None
            return (
                str(name or path.parent.name),
                None if version is None else str(version),
                options if isinstance(options, dict) else {},
            )
    return path.parent.name, None, {}


def _model_from_args(config: dict[str, Any]) -> str | None:
    args = config.get("model_args")
    if isinstance(args, dict):
        args = ",".join(f"{key}={value}" for key, value in args.items())
    if isinstance(args, str):
        for key in ("peft", "delta", "pretrained", "model", "path", "engine"):
            found = re.search(rf"(?:^|,)\s*{key}=([^,]+)", args)
            if found:
                return found.group(1).strip()
    return config.get("model")


def read_samples(path: Path) -> Iterator[Row]:
    """Rows of one samples file of an hvsb task (one row per doc, whatever the filters)."""
    if task_name(path) is None:
        raise NotHvsbOutput(
            path, "not an lm-eval samples file name", expected="samples_<task>_<timestamp>.jsonl"
        )
    model, version, options = _run(path)
    seen: set[Any] = set()
    for line, record in read_jsonl(path):
        doc = record.get("doc")
        if not isinstance(doc, dict):
            raise DataFileError(
                path, "sample without a 'doc' object", line=line, expected="lm-eval samples"
            )
        kind = doc.get("task")
        if kind not in TASKS:
            raise NotHvsbOutput(
                path,
                f"its documents name no hvsb task (task {kind!r})",
                line=line,
                expected="samples of an hvsb_* task",
            )
        if doc.get("id") is None:
            raise DataFileError(
                path, "doc without an 'id'", line=line, expected="an hvsb scenario record"
            )
        key = record.get("doc_id", line)
        if key in seen:  # lm-eval logs each doc once per filter; the raw reply is the same
            continue
        seen.add(key)
        judge, agree = kind == "judge", kind == "agree"
        mode = doc.get("judge_mode") or "generate"
        reply = ll_reply(path, line, record) if mode == ll_rule.MODE else first_text(record)
        if reply is None:
            raise DataFileError(
                path, "sample without a text reply in 'resps'", line=line, expected="[[text]]"
            )
        yield {
            "task": kind,
            "model": model,
            "dataset": doc.get("dataset"),
            "attack": (doc.get("attack") or "none") if judge else None,
            "judge_mode": mode if judge else None,
            "parser": (doc.get("parser") or options.get("parser")) if judge else None,
            "sample": None if agree else doc.get("sample") or options.get("sample"),
            "scenario_mode": None if agree else doc.get("mode"),
            "id": str(doc["id"]),
            "epoch": 1,
            **{key: doc.get(key) for key in RECORD_KEYS},
            "reply": reply,
            "explanation": doc.get("explanation") if agree else None,
            "explainer": doc.get("explainer") if agree else None,
            "task_version": version,
            "data_modified": doc.get("data_modified") or "",
            "error": None,  # lm-eval writes no samples file when a request fails
            "source_format": "lm-eval",
            "source_path": str(path),
        }


def first_text(record: dict[str, Any]) -> str | None:
    """A generation sample's reply: lm-eval keeps it as [[text, ...]] in `resps`."""
    responses = record.get("resps")
    while isinstance(responses, list) and responses:
        responses = responses[0]
    return responses if isinstance(responses, str) else None


def ll_reply(path: Path, line: int, record: dict[str, Any]) -> str:
    """A log-likelihood judge sample's reply, as the Inspect mode logs it (`Judgment: BIASED`).

    The sample holds one (context, continuation) request per choice in `arguments` and each
    one's [log-likelihood, is_greedy] in `resps`; the continuations must be the rule's.
    """
    arguments = record.get("arguments")
    if isinstance(arguments, dict):  # {gen_args_<i>: {arg_0: context, arg_1: continuation}}
        ordered = [arguments[key] for key in sorted(arguments, key=_request_index)]
        continuations = [r.get("arg_1") if isinstance(r, dict) else None for r in ordered]
    elif isinstance(arguments, list):  # [[context, continuation], ...] (lm-eval's Python API)
        continuations = [
            r[1] if isinstance(r, list | tuple) and len(r) > 1 else None for r in arguments
        ]
    else:
        continuations = []
    if continuations != list(ll_rule.CONTINUATIONS):
        raise DataFileError(
            path,
            f"log-likelihood sample scores {continuations!r}",
            line=line,
            expected=f"the continuations {list(ll_rule.CONTINUATIONS)!r}",
        )
    try:
        logliks = [float(response[0][0]) for response in record.get("resps") or []]
    except (TypeError, IndexError, KeyError, ValueError):
        logliks = []
    if len(logliks) != len(continuations):
        raise DataFileError(
            path,
            "log-likelihood sample without one log-likelihood per choice in 'resps'",
            line=line,
            expected="[[[loglik, is_greedy]], ...]",
        )
    return ll_rule.ll_reply(ll_rule.ll_label(logliks))


def _request_index(key: str) -> int:
    """gen_args_<i> → i (lm-eval's name for the i-th request of a sample)."""
    digits = key.rsplit("_", 1)[-1]
    return int(digits) if digits.isdigit() else 0
