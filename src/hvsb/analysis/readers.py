"""Read hvsb outputs of both ecosystems into plain rows for the tidy table.

Two sources, one row shape (see `hvsb.analysis.table.COLUMNS`):
- Inspect logs (`.eval` / `.json`) of the tasks `hvsb/judge`, `hvsb/explain`, `hvsb/agree`:
  `log.eval.task_args` holds dataset/attack, `sample.id` the scenario id and
  `sample.metadata` the scenario record (plus `explainer`/`explanation` for agree samples);
- lm-eval `samples_<task>_<timestamp>.jsonl` files (`--log_samples`): the task name in the
  file name says judge/explain/agree and the attack, `doc` holds the scenario record,
  `resps[0][0]` the raw reply (log-likelihood tasks `hvsb_<ds>_ll`: the choice with the
  higher logged log-likelihood), and the model comes from the sibling `results_<timestamp>.json`
  (or the folder lm-eval named after the model).

Readers only read: labels, explanations and readability are derived later, in one place,
from the raw replies, so a table never trusts a score stored at run time.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from hvsb.analysis import evalzip
from hvsb.errors import DataFileError
from hvsb.jsonl import read_jsonl
from hvsb.prompts import ATTACKS, DATASETS

TASKS = ("judge", "explain", "agree")
GRADER_ROLE = "grader"  # hvsb/agree's target model when bound with --model-role
RECORD_KEYS = ("gold_label", "category", "polarity", "answer_type", "scenario")
# Sample fields an analysis never needs; skipping them makes large .eval logs fast to read.
_HEAVY_FIELDS = {"messages", "events", "store", "attachments", "events_data", "timelines"}
_LM_EVAL_FILE = re.compile(
    r"^samples_(?P<task>.+)_(?P<date>\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}(?:\.\d+)?)\.jsonl$"
)

Row = dict[str, Any]
ROW_FIELDS = (
    "task",
    "model",
    "dataset",
    "attack",
    "id",
    "epoch",
    *RECORD_KEYS,
    "reply",
    "explanation",
    "explainer",
    "source_format",
    "source_path",
)


class NotHvsbOutput(DataFileError):
    """A readable file that is not the output of an hvsb task (skipped in folder scans)."""


def task_kind(name: str) -> str | None:
    """judge / explain / agree for an hvsb task name of either ecosystem, else None.

    Inspect: `hvsb/judge`; lm-eval: `hvsb_bbq`, `hvsb_bbq_targeted`,
    `hvsb_explain_bbq`, `hvsb_agree_bbq` (any `hvsb_*` task that is not explain/agree judges).
    """
    short = name.rsplit("/", 1)[-1].lower()
    words = set(re.split(r"[_\-]", short))
    for kind in ("agree", "explain", "judge"):
        if kind in words:
            return kind
    if name.lower().startswith(("hvsb_", "hvsb/")):
        return "judge"
    return None


def attack_of(name: str, *candidates: Any) -> str:
    """The attack id: the first candidate that is one, else a suffix of the task name."""
    for value in candidates:
        if isinstance(value, str) and value in ATTACKS:
            return value
    for attack in ("untargeted", "targeted"):
        if re.search(rf"(^|[_\-/]){attack}($|[_\-])", name.lower()):
            return attack
    return "none"


# ---------------------------------------------------------------- Inspect logs


def read_inspect_log(path: Path) -> Iterator[Row]:
    """Rows of one Inspect log of an hvsb task; NotHvsbOutput for other tasks' logs."""
    from inspect_ai.log import read_eval_log

    try:
        header = read_eval_log(str(path), header_only=True)
    except Exception as error:  # Inspect raises several types for unreadable logs
        raise NotHvsbOutput(path, f"not a readable Inspect log ({error})") from None
    spec = header.eval
    name = spec.task or ""
    kind = dict(spec.metadata or {}).get("hvsb_task") or (
        task_kind(name) if name.startswith("hvsb/") else None
    )
    if kind not in TASKS:
        raise NotHvsbOutput(
            path,
            f"Inspect task {spec.task!r} is not an hvsb task",
            expected="hvsb/judge|explain|agree",
        )
    task_args = dict(spec.task_args or {})
    # `hvsb run` labels each log with the study's model name (two runs of one checkpoint
    # with different settings stay apart); other logs are named by their model.
    model = dict(spec.metadata or {}).get("hvsb_model") or (
        _target_model(spec) if kind == "agree" else spec.model
    )
    try:
        for sample_id, epoch, metadata, reply in _samples(path, header):
            yield {
                "task": kind,
                "model": model,
                "dataset": metadata.get("dataset") or task_args.get("dataset"),
                "attack": attack_of(spec.task, task_args.get("attack"), metadata.get("attack"))
                if kind == "judge"
                else None,
                # agree samples of a multi-explainer file have ids "explainer|scenario id"
                "id": str(metadata.get("scenario_id") or metadata.get("id") or sample_id),
                "epoch": int(epoch or 1),
                **{key: metadata.get(key) for key in RECORD_KEYS},
                "reply": reply,
                "explanation": metadata.get("explanation") if kind == "agree" else None,
                "explainer": _explainer(metadata, task_args) if kind == "agree" else None,
                "source_format": "inspect",
                "source_path": str(path),
            }
    except DataFileError:
        raise
    except Exception as error:
        raise DataFileError(
            path, f"cannot read the samples of this Inspect log ({error})"
        ) from None


Sample = tuple[Any, int, dict[str, Any], str]


def _samples(path: Path, header: Any) -> Iterator[Sample]:
    """(id, epoch, metadata, reply) of every sample that did not fail with an error.

    `.eval` logs are read by `hvsb.analysis.evalzip` (many times faster than building
    Inspect's sample objects, which matters at 100,000 samples); `.json` logs, and
    `.eval` logs where zstd is unavailable, go through Inspect's own reader.
    """
    if path.suffix == ".eval" and evalzip.available():
        # A sample's error is written after its events: only a log that may hold failed
        # samples needs every document read in full.
        results = header.results
        clean = header.status == "success" and (
            results is None or results.completed_samples >= results.total_samples
        )
        for data in evalzip.sample_documents(path, full=not clean):
            if not data.get("error"):
                metadata = data.get("metadata") or {}
                yield data["id"], data.get("epoch", 1), metadata, _completion(data.get("output"))
        return
    from inspect_ai.log import read_eval_log_samples

    for sample in read_eval_log_samples(
        str(path), all_samples_required=False, exclude_fields=_HEAVY_FIELDS
    ):
        if sample.error is None:  # no reply to score: the run failed on this sample
            completion = sample.output.completion if sample.output else ""
            yield sample.id, sample.epoch, dict(sample.metadata or {}), completion


def _completion(output: Any) -> str:
    """ModelOutput.completion as logged (the first choice's text when it is absent)."""
    if not isinstance(output, dict):
        return ""
    completion = output.get("completion")
    if isinstance(completion, str):
        return completion
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


def _explainer(metadata: dict[str, Any], task_args: dict[str, Any]) -> Any:
    return metadata.get("explainer") or task_args.get("explainer")


# ---------------------------------------------------------------- lm-eval samples


def lm_eval_task_name(path: Path) -> str | None:
    """The task name in `samples_<task>_<timestamp>.jsonl`, or None for other names."""
    match = _LM_EVAL_FILE.match(path.name)
    return match.group("task") if match else None


def lm_eval_model(path: Path) -> str:
    """The model of an lm-eval samples file: its run's results JSON, else the folder name.

    lm-eval writes `results_<ts>.json` and `samples_<task>_<ts>.jsonl` with the same
    timestamp into `OUTPUT/<sanitised model name>/`.
    """
    match = _LM_EVAL_FILE.match(path.name)
    if match:
        results = path.with_name(f"results_{match.group('date')}.json")
        if results.is_file():
            try:
                data = json.loads(results.read_text(encoding="utf-8"))
            except (OSError, json.JSONDecodeError) as error:
                raise DataFileError(results, f"unreadable lm-eval results file ({error})") from None
            name = data.get("model_name") or _model_from_args(data.get("config") or {})
            if name:
                return str(name)
    return path.parent.name


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


def read_lm_eval_samples(path: Path) -> Iterator[Row]:
    """Rows of one lm-eval samples file of an hvsb task (one row per doc, any filter)."""
    task = lm_eval_task_name(path)
    if task is None:
        raise NotHvsbOutput(
            path, "not an lm-eval samples file name", expected="samples_<task>_<timestamp>.jsonl"
        )
    kind = task_kind(task)
    if kind is None or not task.startswith("hvsb"):
        raise NotHvsbOutput(
            path, f"lm-eval task {task!r} is not an hvsb task", expected="hvsb_* tasks"
        )
    model = lm_eval_model(path)
    seen: set[Any] = set()
    for line, record in read_jsonl(path):
        doc = record.get("doc")
        if not isinstance(doc, dict):
            raise DataFileError(
                path, "sample without a 'doc' object", line=line, expected="lm-eval samples"
            )
        key = record.get("doc_id", line)
        if key in seen:  # lm-eval logs each doc once per filter; the raw reply is the same
            continue
        seen.add(key)
        reply = _loglikelihood_choice(path, line, record)
        if reply is None:
            reply = _first_text(record.get("resps"))
        if reply is None:
            raise DataFileError(
                path, "sample without a text reply in 'resps'", line=line, expected="[[text]]"
            )
        scenario_id = doc.get("id")
        if scenario_id is None:
            raise DataFileError(
                path, "doc without an 'id'", line=line, expected="an hvsb scenario record"
            )
        yield {
            "task": kind,
            "model": model,
            "dataset": doc.get("dataset") or _dataset_of(task),
            "attack": attack_of(task, doc.get("attack")) if kind == "judge" else None,
            "id": str(scenario_id),
            "epoch": 1,
            **{key: doc.get(key) for key in RECORD_KEYS},
            "reply": reply,
            "explanation": doc.get("explanation") if kind == "agree" else None,
            "explainer": doc.get("explainer") if kind == "agree" else None,
            "source_format": "lm-eval",
            "source_path": str(path),
        }


def _dataset_of(task: str) -> str | None:
    words = task.lower().split("_")
    return next((word for word in words if word in DATASETS), None)


def _loglikelihood_choice(path: Path, line: int, record: dict[str, Any]) -> str | None:
    """The winning choice of a log-likelihood judge sample (`hvsb_<ds>_ll`), else None.

    Such a sample holds one (context, continuation) request per choice in `arguments`
    (a generation request's second argument is its settings, not text) and each one's
    [log-likelihood, is_greedy] in `resps`. The reply is the assistant's text with the
    likelier continuation, e.g. `Judgment: BIASED`, as `hvsb.tasks.lm_eval.utils.ll_label`
    decides it (an exact tie goes to the first choice): the label is recomputed, not
    trusted, and reads as the Inspect log-likelihood mode's reply.
    """
    arguments = record.get("arguments")
    if isinstance(arguments, dict):  # {gen_args_<i>: {arg_0: context, arg_1: ...}}
        ordered = [arguments[key] for key in sorted(arguments, key=_request_index)]
        requests = [
            (r.get("arg_0"), r.get("arg_1")) if isinstance(r, dict) else () for r in ordered
        ]
    elif isinstance(arguments, list):  # [[context, continuation], ...] (lm-eval's Python API)
        requests = [tuple(r[:2]) if isinstance(r, list | tuple) else () for r in arguments]
    else:
        return None
    if not requests or not all(
        len(r) == 2 and isinstance(r[0], str) and isinstance(r[1], str) for r in requests
    ):
        return None
    context, choices = requests[0][0], [continuation for _, continuation in requests]
    responses = record.get("resps")
    try:
        logliks = [float(response[0][0]) for response in responses]
    except (TypeError, IndexError, KeyError, ValueError):
        logliks = []
    if len(logliks) != len(choices):
        raise DataFileError(
            path,
            "log-likelihood sample without one log-likelihood per choice in 'resps'",
            line=line,
            expected="[[[loglik, is_greedy]], ...]",
        )
    best = max(range(len(choices)), key=logliks.__getitem__)
    prefix = "Judgment:" if context.rstrip().endswith("Judgment:") else ""
    return f"{prefix}{choices[best]}".strip()


def _request_index(key: str) -> int:
    """gen_args_<i> → i (lm-eval's name for the i-th request of a sample)."""
    digits = key.rsplit("_", 1)[-1]
    return int(digits) if digits.isdigit() else 0


def _first_text(responses: Any) -> str | None:
    """lm-eval keeps generations as [[text, ...]] (resps); the first string is the reply."""
    while isinstance(responses, list) and responses:
        responses = responses[0]
    return responses if isinstance(responses, str) else None
