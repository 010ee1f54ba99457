"""Run a study through Inspect's eval_set: resumable, per model, errors reported, never scored.

Each model's judge, explain and agree evaluations go to their own log folder
(`<output_dir>/logs/<phase>/<model>`), run by `inspect_ai.eval_set`, which skips tasks
already complete there and, after a crash or kill, recovers the partial log and re-runs
only the samples that had not finished. A sample that fails with an error (a failed or
hung request, a broken reply) is retried as the study's `retry` block says; a step that
still has errored samples fails (continue_on_fail: its other samples finish first), is
reported with a FAILED line naming the model, the step and the count, and is retried —
its errored and unfinished samples only — by the next `hvsb run` of the same study. The
others go on. While a model backend retries a request, a progress line says so on
stderr. The logs are ordinary Inspect logs (`inspect view` opens them) and `hvsb report`
turns them into the study's report.

When the study has an `emulate:` step, SS and CP are judged on LLM-written scenarios, as
in the paper (PROTOCOL §2): the sentences the judge and explain steps take are emulated
first (cached under `<output_dir>/emulation/`, resumable), and those tasks read the written
`<output_dir>/scenarios/<dataset>.jsonl`; without it they judge the raw sentences.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from inspect_ai.hooks import Hooks, ModelRetry, hooks

from hvsb.errors import DatasetUnavailable, HvsbError
from hvsb.serving.vllm import StudyServers
from hvsb.study.plan import Evaluation, agree_phase, first_phase
from hvsb.study.spec import EMBEDDED_PREFIX, ModelSpec, Study


@dataclass
class Outcome:
    """What a study run produced and what failed."""

    logs: list[Path] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def plain(error: BaseException) -> str:
    """An error's message on one line, without the rich markup Inspect puts in some."""
    from rich.text import Text

    return " ".join(Text.from_markup(str(error)).plain.split())


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
    """Datasets whose raw files can be had; the others are skipped with every place looked."""
    from hvsb.scenarios.select import built

    available, skipped = [], []
    for dataset in study.datasets:
        try:
            built(dataset, study.data_dir)
        except DatasetUnavailable as missing:
            places = "; ".join(missing.looked_in) or "nowhere"
            line = f"{dataset}: skipped, not available (looked in: {places}). {missing.how_to_fix}"
            skipped.append(line)
            print(f"hvsb run: {line}", file=out)
            continue
        available.append(dataset)
    return available, skipped


def describe(planned: list[Evaluation], study: Study, emulated: dict[str, int]) -> str:
    """The --dry-run plan: one line per evaluation and the total size."""
    lines = [f"study {study.name!r} → {study.output_dir}"]
    for dataset, count in emulated.items():
        lines.append(
            f"  emulate[{study.emulate.model}] dataset={dataset:<37} {count:>6} sentences"
            " (judged as the scenarios that emulate well)"
        )
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


# ---------------------------------------------------------------- progress while retrying

_PROGRESS: list[TextIO] = []  # where retry lines go while a study runs (empty: off)


@hooks(name="hvsb_study_progress", description="hvsb run: a line per model request retry")
class _RetryProgress(Hooks):
    """Says on stderr what is waited for while a model backend retries (a hanging or dead
    server would otherwise leave `hvsb run` silent for minutes)."""

    def enabled(self) -> bool:
        return bool(_PROGRESS)

    async def on_model_retry(self, data: ModelRetry) -> None:
        cause = " ".join(str(x) for x in (data.exception_type, data.status_code) if x)
        where = f" ({data.task_name})" if data.task_name else ""
        print(
            f"hvsb run: waiting for {data.model_name}{where}: attempt {data.attempt} failed"
            f"{f' ({cause})' if cause else ''}; next try in {data.wait_time:.0f} s",
            file=_PROGRESS[-1],
            flush=True,
        )


@contextmanager
def _progress(out: TextIO) -> Iterator[None]:
    _PROGRESS.append(out)
    try:
        yield
    finally:
        _PROGRESS.remove(out)


# ---------------------------------------------------------------- one model's phase


def _errored(path: Path) -> tuple[int, int, str | None]:
    """(errored samples, all samples, first error message) of a log."""
    from hvsb.tasks.inspect.logs import read_log

    rows = list(read_log(path))
    errors = [row["error"] for row in rows if row["error"]]
    return len(errors), len(rows), (errors[0] if errors else None)


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
    phase = evaluations[0].phase
    retry = study.retry
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
            retry_attempts=retry.step_attempts,
            retry_immediate=retry.step_attempts > 0,
            retry_on_error=retry.sample_attempts or None,
            fail_on_error=True,
            continue_on_fail=True,
            max_retries=retry.max_retries,
            timeout=retry.timeout,
            attempt_timeout=retry.attempt_timeout,
        )
    except Exception as error:  # a model that cannot load, a bad base_url, ...
        outcome.failures.append(f"{phase}[{spec.name}]: {plain(error)}")
        return []
    for evaluation, log in zip(evaluations, logs, strict=False):
        path = local_path(log.location)
        outcome.logs.append(path)
        if log.status == "success":
            continue
        errored, total, first = _errored(path)
        if errored:
            detail = f"{errored} of {total} samples failed with an error (first: {first})"
        else:
            detail = log.error.message if log.error else f"status {log.status}"
        outcome.failures.append(f"{evaluation.label}: {detail}; rerun to retry them")
    if not success and not any(f"[{spec.name}]" in f for f in outcome.failures):
        outcome.failures.append(f"{phase}[{spec.name}]: eval_set did not finish")
    return [log for log in logs if log.status == "success"]


# ---------------------------------------------------------------- emulation (PROTOCOL §2)


def emulation_plan(study: Study, available: list[str]) -> dict[str, list[Any]]:
    """{dataset: sentences to emulate} for the study's SS/CP datasets: every sentence its
    judge or explain step will take (the study's sample), each once."""
    from hvsb.scenarios import select
    from hvsb.scenarios.emulate import EMULABLE

    if not study.emulate.enabled:
        return {}
    steps = [(study.judge, None), (study.explain, "biased")]
    plan: dict[str, list[Any]] = {}
    for dataset in (d for d in available if d in EMULABLE):
        chosen: dict[str, Any] = {}
        for step, gold_label in steps:
            if step.enabled:
                for scenario in select(
                    dataset,
                    data_dir=study.data_dir,
                    seed=study.seed,
                    sample=study.sample,
                    per_cell=step.per_cell,
                    limit=step.limit,
                    gold_label=gold_label,
                ):
                    chosen.setdefault(scenario.id, scenario)
        plan[dataset] = list(chosen.values())
    return plan


def emulate_datasets(study: Study, plan: dict[str, list[Any]], outcome: Outcome) -> dict[str, str]:
    """Emulate each dataset's planned sentences; {dataset: scenarios file} for the datasets
    with at least one emulated scenario. Failures are listed, never dropped."""
    from hvsb.jsonl import write_jsonl
    from hvsb.scenarios.emulate import emulate

    spec = study.emulate
    root = Path(study.output_dir)
    files: dict[str, str] = {}
    for dataset, sentences in plan.items():
        try:
            result = emulate(
                sentences,
                spec.model,
                cache=root / "emulation" / f"{dataset}.jsonl",
                retries=spec.retries,
                concurrency=spec.concurrency,
                max_tokens=spec.max_tokens,
                json_schema=spec.json_schema,
                model_args={**spec.args, **({"base_url": spec.base_url} if spec.base_url else {})},
            )
        except Exception as error:  # the backend failed: finished sentences stay cached
            outcome.failures.append(f"emulate[{dataset}]: {plain(error)}; rerun to resume")
            continue
        if result.failures:
            outcome.notes.append(
                f"emulate[{dataset}]: {len(result.failures)} of {len(sentences)} sentences gave "
                f"no scenario and are not judged (raw replies in {root / 'emulation'})"
            )
        if not result.scenarios:
            outcome.failures.append(f"emulate[{dataset}]: every sentence failed; not judged")
            continue
        path = root / "scenarios" / f"{dataset}.jsonl"
        write_jsonl(path, (s.to_dict() for s in result.scenarios))
        files[dataset] = str(path)
    return files


# ---------------------------------------------------------------- the study


def _data_consent(study: Study) -> AbstractContextManager[None]:
    """The study's `allow_modified_data` / `allow_partial_data`, for every data file read
    while it runs (the tasks read them through the environment)."""
    from hvsb.data import verify

    return verify.consent(modified=study.allow_modified_data, partial=study.allow_partial_data)


def run_study(study: Study, *, dry_run: bool = False, out: TextIO | None = None) -> Outcome:
    """emulate → judge → explain → agree for every model; returns logs and failures.
    Progress and skip lines go to `out` (default: stderr at the time of the call)."""
    out = out or sys.stderr
    with _data_consent(study), _progress(out):
        return _run(study, dry_run, out)


def _run(study: Study, dry_run: bool, out: TextIO) -> Outcome:
    outcome = Outcome()
    available, outcome.skipped = available_datasets(study, out)
    if not available:
        raise HvsbError("no dataset of the study could be had; see the lines above")
    to_emulate = emulation_plan(study, available)
    if dry_run:
        sizes = {dataset: len(sentences) for dataset, sentences in to_emulate.items()}
        print(describe(first_phase(study, available), study, sizes), file=out)
        return outcome
    scenario_files = emulate_datasets(study, to_emulate, outcome)
    judged = [d for d in available if d not in to_emulate or d in scenario_files]
    planned = first_phase(study, judged, scenario_files)
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
