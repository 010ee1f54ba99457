"""Run a study through Inspect's eval_set: resumable, per model, failures reported.

Each model's judge, explain and agree evaluations go to their own log folder
(`<output_dir>/logs/<phase>/<model>`), run by `inspect_ai.eval_set`, which skips tasks
already complete there and, after a crash or kill, recovers the partial log and re-runs
only the samples that had not finished. A model or step that fails is reported at the
end and the others go on. The logs are ordinary Inspect logs (`inspect view` opens them)
and `hvsb report` turns them into the study's report.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from hvsb.errors import DatasetUnavailable, HvsbError
from hvsb.scenarios import build
from hvsb.serving.vllm import StudyServers
from hvsb.study.plan import Evaluation, agree_phase, first_phase
from hvsb.study.spec import EMBEDDED_PREFIX, ModelSpec, Study


@dataclass
class Outcome:
    """What a study run produced and what failed."""

    logs: list[Path] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def local_path(location: str) -> Path:
    """An Inspect log location (a path or a file: URI) as a local path."""
    return Path(location[len("file:") :] if location.startswith("file:") else location)


def inspect_model_name(spec: ModelSpec) -> str:
    """The Inspect model name: embedded/<name> becomes hf/<prepared folder>."""
    if spec.model.startswith(EMBEDDED_PREFIX):
        from hvsb import models

        return f"hf/{models.prepare(spec.model[len(EMBEDDED_PREFIX) :])}"
    return spec.model


def available_datasets(study: Study, out: TextIO) -> tuple[list[str], list[str]]:
    """Datasets whose raw files can be had; the others are skipped with one line each."""
    available, skipped = [], []
    for dataset in study.datasets:
        try:
            build(dataset, study.data_dir)
        except DatasetUnavailable as missing:
            line = f"{dataset}: skipped, {str(missing).splitlines()[0]}"
            skipped.append(line)
            print(f"hvsb run: {line}", file=out)
            continue
        available.append(dataset)
    return available, skipped


def describe(planned: list[Evaluation], study: Study) -> str:
    """The --dry-run plan: one line per evaluation and the total size."""
    lines = [f"study {study.name!r} → {study.output_dir}"]
    for evaluation in planned:
        lines.append(f"  {evaluation.label:<55} {evaluation.samples:>6} samples")
    judged = sum(e.samples for e in planned if e.phase == "judge")
    explained = sum(e.samples for e in planned if e.phase == "explain")
    agreed = explained * len(study.models) if study.agree.enabled else 0
    lines.append(
        f"  agree[every target] on every explain log{'':<16} {agreed:>6} samples (after explain)"
    )
    lines.append(
        f"total: {judged + explained + agreed} generations "
        f"({judged} judge, {explained} explain, {agreed} agree) for {len(study.models)} model(s)"
    )
    return "\n".join(lines)


def build_task(evaluation: Evaluation, max_tokens: int) -> Any:
    """The Inspect task of one planned evaluation, with the step's token limit."""
    from inspect_ai.model import GenerateConfig

    from hvsb.tasks.inspect import tasks

    factory = {"judge": tasks.judge, "explain": tasks.explain, "agree": tasks.agree}
    task = factory[evaluation.phase](**evaluation.task_args)
    task.config = task.config.merge(GenerateConfig(max_tokens=max_tokens))
    return task


def _eval_set(
    evaluations: list[Evaluation],
    spec: ModelSpec,
    study: Study,
    log_dir: Path,
    outcome: Outcome,
    servers: StudyServers,
) -> list[Any]:
    """Run one model's evaluations of one phase; record failures instead of raising."""
    if not evaluations:
        return []
    from inspect_ai import eval_set

    steps = {"judge": study.judge, "explain": study.explain, "agree": study.agree}
    try:
        spec = servers.serving(spec)  # a vllm/ model's server, started once per study
        tasks = [build_task(e, steps[e.phase].max_tokens) for e in evaluations]
        success, logs = eval_set(
            tasks,
            log_dir=str(log_dir),
            model=inspect_model_name(spec),
            model_base_url=spec.base_url,
            model_args=spec.args,
            metadata={"hvsb_model": spec.name, "hvsb_family": spec.family, "study": study.name},
            retry_attempts=1,
            fail_on_error=False,
        )
    except Exception as error:  # a model that cannot load, a bad base_url, ...
        outcome.failures.append(f"{evaluations[0].phase}[{spec.name}]: {error}")
        return []
    for log in logs:
        outcome.logs.append(local_path(log.location))
        if log.status != "success":
            detail = log.error.message if log.error else log.status
            outcome.failures.append(f"{log.eval.task}[{spec.name}]: {detail}")
    if not success and not any(f.endswith(spec.name + "]") for f in outcome.failures):
        outcome.failures.append(f"{evaluations[0].phase}[{spec.name}]: eval_set did not finish")
    return [log for log in logs if log.status == "success"]


def run_study(study: Study, *, dry_run: bool = False, out: TextIO = sys.stderr) -> Outcome:
    """judge → explain → agree for every model; returns logs and failures."""
    outcome = Outcome()
    available, outcome.skipped = available_datasets(study, out)
    if not available:
        raise HvsbError("no dataset of the study could be had; see the lines above")
    planned = first_phase(study, available)
    if dry_run:
        print(describe(planned, study), file=out)
        return outcome
    logs_root = Path(study.output_dir) / "logs"
    explain_logs: dict[tuple[str, str], Path] = {}
    with StudyServers(log_dir=Path(study.output_dir) / "servers", out=out) as servers:
        for spec in study.models:
            mine = [e for e in planned if e.model == spec]
            for phase in ("judge", "explain"):
                done = _eval_set(
                    [e for e in mine if e.phase == phase],
                    spec,
                    study,
                    logs_root / phase / spec.name,
                    outcome,
                    servers,
                )
                if phase == "explain":
                    for log in done:
                        explain_logs[(spec.name, log.eval.task_args["dataset"])] = local_path(
                            log.location
                        )
        for spec in study.models:
            agree = [e for e in agree_phase(study, explain_logs) if e.model == spec]
            _eval_set(agree, spec, study, logs_root / "agree" / spec.name, outcome, servers)
    return outcome
