"""Expand a study into the Inspect evaluations it needs, in dependency order.

judge (every model × dataset × attack) and explain (every model × dataset) come first;
agree (every target model × every explainer's explain log) needs the explain logs, so it
is planned per explain log once those exist. The plan also sizes the work for --dry-run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hvsb.scenarios import select
from hvsb.study.spec import ModelSpec, StepSpec, Study


@dataclass(frozen=True)
class Evaluation:
    """One Inspect task run: `task` (registry name), its -T args, the model, where logs go."""

    phase: str
    task: str
    model: ModelSpec
    task_args: dict[str, Any] = field(default_factory=dict)
    samples: int = 0

    @property
    def label(self) -> str:
        args = ",".join(f"{k}={v}" for k, v in self.task_args.items() if k in ("dataset", "attack"))
        return f"{self.phase}[{self.model.name}] {args}".strip()


def step_args(
    study: Study, step: StepSpec, dataset: str, scenarios_file: str | None = None
) -> dict[str, Any]:
    """The selection arguments of one step's task (`hvsb/judge`, `hvsb/explain` -T names),
    all given explicitly so that no task default can differ from the plan's size."""
    return {
        "dataset": dataset,
        "sample": study.sample,
        "seed": study.seed,
        "per_cell": step.per_cell,
        "max_scenarios": step.limit,
        "scenarios_file": scenarios_file,
        "data_dir": study.data_dir,
    }


def size(args: dict[str, Any], gold_label: str | None = None) -> int:
    """How many samples a task with these arguments logs: the selection the task makes."""
    return len(
        select(
            args["dataset"],
            data_dir=args["data_dir"],
            scenarios_file=args["scenarios_file"],
            seed=args["seed"],
            sample=args["sample"],
            per_cell=args["per_cell"],
            limit=args["max_scenarios"],
            gold_label=gold_label,
        )
    )


def first_phase(
    study: Study, available: list[str], scenario_files: dict[str, str] | None = None
) -> list[Evaluation]:
    """judge and explain evaluations for the datasets that could be built (from the raw
    files, or from a scenarios file such as the study's emulated SS/CP scenarios)."""
    files = scenario_files or {}
    planned = []
    for model in study.models:
        for dataset in available:
            if study.judge.enabled:
                args = step_args(study, study.judge, dataset, files.get(dataset))
                judged = size(args)
                for attack in study.attacks:
                    judge_args = {**args, "attack": attack, "parser": study.parser}
                    planned.append(Evaluation("judge", "hvsb/judge", model, judge_args, judged))
            if study.explain.enabled:
                args = step_args(study, study.explain, dataset, files.get(dataset))
                explained = size(args, gold_label="biased")
                planned.append(Evaluation("explain", "hvsb/explain", model, args, explained))
    return planned


def agree_phase(study: Study, explain_logs: dict[tuple[str, str], Path]) -> list[Evaluation]:
    """Every target model judges every explainer's explanations: the E × T matrix."""
    if not study.agree.enabled:
        return []
    planned = []
    for target in study.models:
        for (_explainer, dataset), log in sorted(explain_logs.items()):
            args = {"explanations": str(log), "dataset": dataset}
            planned.append(Evaluation("agree", "hvsb/agree", target, args))
    return planned
