"""Inspect logs of hvsb/judge, hvsb/explain and hvsb/agree → rows (`hvsb.rows`).

What a row needs is what the tasks record: the eval metadata's `hvsb_task` and `sample`
(and `hvsb_model`, the study's model name, when `hvsb run` wrote the log), each sample's
metadata (the scenario record, `attack`, `judge_mode`, `parser`, `mode`; `explainer`,
`explanation` and `scenario_id` for agree samples) and its reply. A convention a log does
not record (older task versions) is None, never a guessed default. `.eval` logs are read
by `evalzip`, many times faster than Inspect's sample objects at 100,000 samples; `.json`
logs, and `.eval` logs where zstd is unavailable, by Inspect's own reader. A sample that
failed with an error has no reply to score: its row carries the error message (`error`)
and no reply.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from hvsb.errors import DataFileError
from hvsb.rows import RECORD_KEYS, TASKS, NotHvsbOutput, Row
from hvsb.tasks.inspect import evalzip
from hvsb.tasks.inspect.tasks import GRADER_ROLE

# Sample fields a row never needs; skipping them makes large .eval logs fast to read.
_HEAVY_FIELDS = {"messages", "events", "store", "attachments", "events_data", "timelines"}

Sample = tuple[Any, int, dict[str, Any], str, str | None]  # id, epoch, metadata, reply, error


def read_log(path: Path) -> Iterator[Row]:
    """Rows of one Inspect log of an hvsb task; NotHvsbOutput for other tasks' logs."""
    from inspect_ai.log import read_eval_log

    try:
        header = read_eval_log(str(path), header_only=True)
    except Exception as error:  # Inspect raises several types for unreadable logs
        raise NotHvsbOutput(path, f"not a readable Inspect log ({error})") from None
    spec = header.eval
    metadata = dict(spec.metadata or {})
    kind = metadata.get("hvsb_task")
    if kind not in TASKS:
        raise NotHvsbOutput(
            path,
            f"Inspect task {spec.task!r} is not an hvsb task (no hvsb_task in its metadata)",
            expected="a log of hvsb/judge, hvsb/explain or hvsb/agree",
        )
    task_args = dict(spec.task_args or {})
    # `hvsb run` labels each log with the study's model name (two runs of one checkpoint
    # with different settings stay apart); other logs are named by their model.
    model = metadata.get("hvsb_model") or (_target_model(spec) if kind == "agree" else spec.model)
    run = {
        "model": model,
        "task_version": str(spec.task_version),
        "data_modified": ",".join(metadata.get("data_modified") or []),
        "source_path": str(path),
    }
    try:
        for sample_id, epoch, record, reply, error in _samples(path, header):
            row = _row(kind, run, sample_id, epoch, record, reply, task_args, metadata)
            yield {**row, "error": error}
    except DataFileError:
        raise
    except Exception as error:
        raise DataFileError(
            path, f"cannot read the samples of this Inspect log ({error})"
        ) from None


def _row(
    kind: str,
    run: dict[str, str],
    sample_id: Any,
    epoch: int,
    record: dict[str, Any],
    reply: str,
    task_args: dict[str, Any],
    eval_metadata: dict[str, Any],
) -> Row:
    judge = kind == "judge"
    agree = kind == "agree"
    return {
        "task": kind,
        "model": run["model"],
        "dataset": record.get("dataset") or task_args.get("dataset"),
        "attack": (record.get("attack") or task_args.get("attack") or "none") if judge else None,
        "judge_mode": (record.get("judge_mode") or eval_metadata.get("judge_mode") or "generate")
        if judge
        else None,
        "parser": (record.get("parser") or eval_metadata.get("parser") or task_args.get("parser"))
        if judge
        else None,
        "sample": None if agree else eval_metadata.get("sample") or task_args.get("sample"),
        "scenario_mode": None if agree else record.get("mode"),
        # agree samples of a multi-explainer file have ids "explainer|scenario id"
        "id": str(record.get("scenario_id") or record.get("id") or sample_id),
        "epoch": int(epoch or 1),
        **{key: record.get(key) for key in RECORD_KEYS},
        "reply": reply,
        "explanation": record.get("explanation") if agree else None,
        "explainer": (record.get("explainer") or task_args.get("explainer")) if agree else None,
        "task_version": run["task_version"],
        "data_modified": run["data_modified"],
        "source_format": "inspect",
        "source_path": run["source_path"],
    }


def _samples(path: Path, header: Any) -> Iterator[Sample]:
    """(id, epoch, metadata, reply, error) of every sample: error is None, or the message
    of the error the sample failed with (then the reply is empty)."""
    if path.suffix == ".eval" and evalzip.available():
        # A sample's error is written after its events, which the fast read skips: only
        # a log that is known to hold no failed sample may be read the fast way. A log
        # whose every sample failed has status success and no results at all.
        results = header.results
        clean = (
            header.status == "success"
            and results is not None
            and results.completed_samples >= results.total_samples
        )
        for data in evalzip.sample_documents(path, full=not clean):
            error = _message(data.get("error"))
            reply = "" if error else completion(data.get("output"))
            yield data["id"], data.get("epoch", 1), data.get("metadata") or {}, reply, error
        return
    from inspect_ai.log import read_eval_log_samples

    for sample in read_eval_log_samples(
        str(path), all_samples_required=False, exclude_fields=_HEAVY_FIELDS
    ):
        error = sample.error.message if sample.error else None
        text = "" if error or not sample.output else sample.output.completion
        yield sample.id, sample.epoch, dict(sample.metadata or {}), text, error


def _message(error: Any) -> str | None:
    """The message of a logged sample error (a dict with `message`), else None."""
    if not error:
        return None
    message = error.get("message") if isinstance(error, dict) else None
    return str(message or error)


def completion(output: Any) -> str:
    """ModelOutput.completion as logged (the first choice's text when it is absent)."""
    if not isinstance(output, dict):
        return ""
    text = output.get("completion")
    if isinstance(text, str):
        return text
    choices = output.get("choices") or [{}]
    content = (choices[0].get("message") or {}).get("content", "")
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return content if isinstance(content, str) else ""


def _target_model(spec: Any) -> str:
    """The agreeability target: the `grader` role's model when bound, else the eval model."""
    role = (spec.model_roles or {}).get(GRADER_ROLE)
    if isinstance(role, list):
        role = role[0] if role else None
    return getattr(role, "model", None) or spec.model
