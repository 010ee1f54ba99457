"""What the Evaluation Report needs from each Inspect log of an hvsb task, and the
`inspect eval` command that makes the run again.

Everything comes from the log's header (task, `-T` arguments as passed, model, `-M`
arguments, model roles, generate and eval config, versions, dates, metrics) and its sample
summaries (the scenarios' gold labels, the denominators of the rates).
"""

from __future__ import annotations

import re
import shlex
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

TASK_ORDER = ("hvsb/judge", "hvsb/explain", "hvsb/agree")


@dataclass(frozen=True)
class Run:
    """What one Inspect log of an hvsb task says about its run."""

    path: Path
    task: str
    task_version: str
    task_args: dict[str, Any]  # as passed (`-T`)
    dataset: str | None
    condition: str  # judge: the attack (and a non-default mode); else "-"
    explainers: tuple[str, ...]  # agree: the explainers whose explanations were judged
    model: str  # as `--model` names it
    study_name: str | None  # the name `hvsb run` gave the model, if it ran the eval
    model_args: dict[str, Any]
    model_roles: dict[str, str]
    generate: dict[str, Any]  # the generate config set for the run (`--max-tokens`, ...)
    eval_options: dict[str, Any]  # `--limit`, `--epochs`, `--sample-id`
    created: str
    packages: dict[str, str]
    revision: str | None
    samples_run: int
    samples_total: int  # the task's dataset, after the task's own selection
    gold: Counter = field(default_factory=Counter)  # gold labels of the scenarios run
    metrics: dict[str, float] = field(default_factory=dict)
    stderr: dict[str, float] = field(default_factory=dict)

    @property
    def answering(self) -> str:
        """The model whose replies were scored: an agree run's `grader` role, if bound."""
        from hvsb.tasks.inspect.tasks import GRADER_ROLE

        return self.model_roles.get(GRADER_ROLE, self.model)


def read_runs(paths: Iterable[str | Path]) -> tuple[list[Run], list[str]]:
    """The finished hvsb runs among the Inspect logs in `paths` (files or folders), in task
    order, and a note for each log passed over."""
    from hvsb.analysis.table import discover
    from hvsb.rows import is_inspect_log

    runs, notes = [], []
    for path, _named in discover(paths):
        if not is_inspect_log(path):
            continue
        run, note = _read_run(path)
        if run is not None:
            runs.append(run)
        if note:
            notes.append(note)
    runs.sort(key=lambda run: (_task_rank(run.task), run.dataset or "", run.created))
    return runs, notes


def _task_rank(task: str) -> int:
    return TASK_ORDER.index(task) if task in TASK_ORDER else len(TASK_ORDER)


def _read_run(path: Path) -> tuple[Run | None, str | None]:
    from inspect_ai.log import read_eval_log, read_eval_log_sample_summaries

    log = read_eval_log(str(path), header_only=True)
    spec = log.eval
    if not spec.task.startswith("hvsb/"):
        return None, f"{path.name}: not an hvsb task ({spec.task})"
    if log.status != "success" or log.results is None:
        return None, f"{path.name}: {spec.task} did not finish ({log.status})"
    metrics, stderr = _metrics(log.results.scores)
    metadata = spec.metadata or {}
    summaries = read_eval_log_sample_summaries(str(path))
    return (
        Run(
            path=path,
            task=spec.task,
            task_version=str(spec.task_version),
            task_args=dict(spec.task_args_passed or {}),
            dataset=metadata.get("dataset") or spec.task_args.get("dataset"),
            condition=_condition(spec.task, metadata),
            explainers=_explainers(metrics),
            model=spec.model,
            study_name=metadata.get("hvsb_model"),
            model_args=dict(spec.model_args or {}),
            model_roles={role: config.model for role, config in (spec.model_roles or {}).items()},
            generate=spec.model_generate_config.model_dump(exclude_none=True),
            eval_options=_eval_options(spec.config),
            created=spec.created,
            packages=dict(spec.packages or {}),
            revision=spec.revision.commit if spec.revision else None,
            samples_run=log.results.completed_samples,
            samples_total=spec.dataset.samples or 0,
            gold=Counter(str(s.target) for s in summaries if s.epoch == 1),
            metrics=metrics,
            stderr=stderr,
        ),
        None,
    )


def _metrics(scores: Sequence[Any]) -> tuple[dict[str, float], dict[str, float]]:
    """{metric: value} and {measure: stderr}: a scorer's own metrics under their names; a
    dict score's per-key `mean` and `stderr` (the readability measures) under the key."""
    values, errors = {}, {}
    for score in scores:
        for name, metric in score.metrics.items():
            if score.name == score.scorer:
                values[name] = metric.value
            elif name == "mean":
                values[score.name] = metric.value
            elif name == "stderr":
                errors[score.name] = metric.value
    return values, errors


def _condition(task: str, metadata: dict[str, Any]) -> str:
    if task != "hvsb/judge":
        return "-"
    attack = str(metadata.get("attack") or "none")
    mode = metadata.get("judge_mode")
    return f"{attack}, {mode}" if mode and mode != "generate" else attack


def _explainers(metrics: dict[str, float]) -> tuple[str, ...]:
    """The explainers an agree run's `agreeability(explainer=...)` breakdown names."""
    found = (re.match(r"agreeability\(explainer=(.+)\)$", name) for name in metrics)
    return tuple(sorted({match.group(1) for match in found if match}))


def _eval_options(config: Any) -> dict[str, Any]:
    options: dict[str, Any] = {}
    if config.limit is not None:
        options["limit"] = config.limit
    if config.epochs not in (None, 1):
        options["epochs"] = config.epochs
    if config.sample_id is not None:
        options["sample_id"] = config.sample_id
    return options


def command(run: Run) -> str:
    """The `inspect eval` command that makes this run again (an embedded model's folder
    written as `$(hvsb models path NAME)`, so it holds on any machine)."""
    words = ["inspect", "eval", run.task]
    words += [f"-T {key}={_arg(value)}" for key, value in run.task_args.items()]
    words += [f"--model {portable(run.model)}"]
    words += [f"-M {key}={_arg(value)}" for key, value in run.model_args.items()]
    words += [f"--model-role {role}={portable(model)}" for role, model in run.model_roles.items()]
    for key, value in run.eval_options.items():
        words.append(f"--{key.replace('_', '-')} {_option(key, value)}")
    for key, value in run.generate.items():
        if isinstance(value, str | int | float | bool):
            words.append(f"--{key.replace('_', '-')} {_arg(value)}")
    return " ".join(words)


def flags(run: Run) -> list[str]:
    """The options the run's command sets (`-T dataset`, `--limit`, ...)."""
    named = [f"-T {key}" for key in run.task_args] + [f"-M {key}" for key in run.model_args]
    named += [f"--{key.replace('_', '-')}" for key in (*run.eval_options, *run.generate)]
    return named + (["--model-role"] if run.model_roles else [])


def _option(key: str, value: Any) -> str:
    if key == "limit" and isinstance(value, list | tuple):  # Inspect stores "11-20" as (10, 20)
        return f"{value[0] + 1}-{value[1]}"
    if isinstance(value, list | tuple):
        return ",".join(map(str, value))
    return _arg(value)


def _arg(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    return shlex.quote(str(value))


def folder(model: str) -> str:
    """The local folder an `hf/PATH` model names (else the name itself)."""
    return model.removeprefix("hf/")


def portable(model: str) -> str:
    """`hf/$(hvsb models path NAME)` for an embedded model's folder, else the model as is."""
    from hvsb import models

    for name in models.EMBEDDED:
        if folder(model) == str(models.model_dir(name)):
            return f"hf/$(hvsb models path {name})"
    return model
