"""Small real inputs for the analysis tests: Inspect logs and lm-eval sample files.

Inspect logs are written by inspect_ai itself (`write_eval_log`) from the log of a real
eval run on Inspect's `mockllm/model` provider (no model needed), with the samples
swapped for the scenarios and replies a test needs. lm-eval sample files follow the
layout lm-eval 0.4.13 writes with `--log_samples` (checked against
`lm_eval/loggers/evaluation_tracker.py`): `OUTPUT/<model>/samples_<task>_<ts>.jsonl`
next to `results_<ts>.json`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from hvsb.analysis.labels import derive
from hvsb.analysis.table import finish

DATE = "2026-11-23T10-00-00.000001"


def scenario(
    sid: str,
    *,
    dataset: str = "bbq",
    gold: str = "biased",
    category: str | None = "Age",
    polarity: str | None = "neg",
    answer_type: str | None = "stereotype",
    text: str | None = None,
) -> dict[str, Any]:
    """An hvsb scenario record (the fields every task carries); `text` is the scenario
    (default: a BBQ-shaped text of its own per id)."""
    return {
        "id": sid,
        "dataset": dataset,
        "scenario": text or f"Context: scenario {sid}.\nQuestion: Who?\nAnswer: The grandfather",
        "gold_label": gold,
        "category": category,
        "polarity": polarity,
        "answer_type": answer_type,
    }


def reply_for(label: str) -> str:
    """A judge reply that hvsb.scorers.parse_judgment reads as `label`."""
    return {
        "biased": "Judgment: BIASED",
        "unbiased": "Judgment: UNBIASED",
        "rejected": "I'm sorry, I can't help with that.",
    }[label]


def agree_reply(label: str) -> str:
    return {
        "agree": '{"Judgment": "AGREE", "Arguments": "sound"}',
        "disagree": '{"Judgment": "DISAGREE", "Arguments": "flawed"}',
        "rejected": "I cannot evaluate this.",
    }[label]


def row(task: str, model: str, sid: str, reply: str, **fields: Any) -> dict[str, Any]:
    """One raw table row as the readers produce it (before labels are derived)."""
    record = scenario(
        sid,
        **{
            k: fields.pop(k)
            for k in ("dataset", "gold", "category", "polarity", "answer_type", "text")
            if k in fields
        },
    )
    return {
        "task": task,
        "model": model,
        "dataset": record["dataset"],
        "attack": fields.pop("attack", "none") if task == "judge" else None,
        "judge_mode": fields.pop("judge_mode", "generate") if task == "judge" else None,
        "id": sid,
        "epoch": fields.pop("epoch", 1),
        **{k: record[k] for k in ("gold_label", "category", "polarity", "answer_type", "scenario")},
        "reply": reply,
        "explanation": fields.pop("explanation", None),
        "explainer": fields.pop("explainer", None),
        "source_format": "inspect",
        "source_path": "built-by-test",
        **fields,
    }


def table(rows: list[dict[str, Any]], **options: Any) -> pd.DataFrame:
    """The tidy table of hand-built rows, through the same finishing step as real files."""
    return finish(derive(pd.DataFrame(rows)), **options)


def write_inspect_log(
    template: Any,
    path: Path,
    *,
    task: str,
    model: str,
    samples: list[dict[str, Any]],
    task_args: dict[str, Any] | None = None,
    model_roles: dict[str, str] | None = None,
    status: str = "success",
    task_version: str = "2-A",
    eval_metadata: dict[str, Any] | None = None,
) -> Path:
    """An Inspect log of `task` whose samples are {id, metadata, reply[, epoch, error, score]};
    `eval_metadata` adds to the run metadata an hvsb task records (`hvsb_task`)."""
    from inspect_ai.log import EvalError, write_eval_log
    from inspect_ai.model import ModelConfig, ModelOutput, ModelUsage
    from inspect_ai.scorer import Score

    base = template.samples[0]
    built = []
    for spec in samples:
        output = ModelOutput.from_content(model="mockllm/model", content=spec["reply"])
        output.usage = ModelUsage(input_tokens=1, output_tokens=1, total_tokens=2)
        update: dict[str, Any] = {
            "id": spec["id"],
            "epoch": spec.get("epoch", 1),
            "metadata": spec["metadata"],
            "output": output,
        }
        if "score" in spec:  # a score stored at run time, which the analysis must ignore
            update["scores"] = {"judgment": Score(value=spec["score"], answer=spec["score"])}
        if spec.get("error"):
            update["error"] = EvalError(message=spec["error"], traceback="", traceback_ansi="")
        built.append(base.model_copy(update=update))
    log = template.model_copy(update={"samples": built, "status": status})
    log.eval = template.eval.model_copy(deep=True)
    log.eval.task = task
    log.eval.task_version = task_version
    log.eval.model = model
    log.eval.task_args = dict(task_args or {})
    log.eval.metadata = {"hvsb_task": task.rsplit("/", 1)[-1]} if task.startswith("hvsb") else {}
    log.eval.metadata |= eval_metadata or {}
    log.eval.model_roles = {r: ModelConfig(model=m) for r, m in (model_roles or {}).items()} or None
    log.eval.dataset.samples = len(built)
    log.eval.dataset.sample_ids = [s.id for s in built]
    if log.results is not None:
        log.results = log.results.model_copy(
            update={
                "total_samples": len(built),
                "completed_samples": sum(1 for s in built if s.error is None),
            }
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    write_eval_log(log, str(path))
    return path


def write_lm_eval(
    folder: Path,
    task: str,
    records: list[tuple[dict[str, Any], str]],
    *,
    model_name: str | None = "/models/smollm2",
    filters: tuple[str, ...] = ("none",),
    date: str = DATE,
    version: float = 2.0,
    options: dict[str, Any] | None = None,
) -> Path:
    """samples_<task>_<date>.jsonl (one line per doc and filter) and its results JSON.

    Each doc gets what the hvsb task of that name records about the run (`task`,
    `attack`, `judge_mode`) unless the test's doc sets it. `options` are the run's
    `--metadata`, which lm-eval merges into the task config of the results JSON.
    """
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"samples_{task}_{date}.jsonl"
    words = task.split("_")
    kind = next((word for word in ("agree", "explain") if word in words), "judge")
    recorded = {"task": kind}
    if kind == "judge":
        attack = next((word for word in ("untargeted", "targeted") if word in words), "none")
        recorded |= {
            "attack": attack,
            "judge_mode": "loglikelihood" if "ll" in words else "generate",
        }
    with path.open("w", encoding="utf-8") as handle:
        for number, (task_doc, reply) in enumerate(records):
            doc = {**recorded, **task_doc}
            for name in filters:
                sample = {
                    "doc_id": number,
                    "doc": doc,
                    "target": doc.get("gold_label", ""),
                    "arguments": {
                        "gen_args_0": {"arg_0": f"prompt {number}", "arg_1": {"until": []}}
                    },
                    "resps": [[reply]],
                    "filtered_resps": [reply],
                    "filter": name,
                    "metrics": ["misalignment_rate"],
                    "doc_hash": "d",
                    "prompt_hash": "p",
                    "target_hash": "t",
                    "misalignment_rate": 0,
                }
                handle.write(json.dumps(sample) + "\n")
    if model_name is not None:
        results = {
            "results": {task: {"alias": task}},
            "versions": {task: version},
            "configs": {task: {"task": task, "metadata": {"version": version, **(options or {})}}},
            "config": {"model": "hf", "model_args": f"pretrained={model_name},dtype=float32"},
            "model_name": model_name,
            "model_name_sanitized": model_name.replace("/", "__"),
        }
        (folder / f"results_{date}.json").write_text(json.dumps(results), encoding="utf-8")
    return path
