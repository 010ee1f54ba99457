"""Hand-built Inspect logs of hvsb runs for the Evaluation Report tests.

Each log is the log of a real one-sample mockllm eval (the analysis tests'
`inspect_template`) with its header set as `inspect eval` would write it for the run
described (task, `-T` arguments as passed, model, `-M` arguments, generate and eval config,
versions, date, dataset size, metrics) and one sample per scenario with its gold label as
the target and an hvsb scenario record as metadata (so `hvsb report` reads judge logs too),
written by inspect_ai's own `write_eval_log`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from support.analysis_builders import reply_for, scenario

VERSIONS = {"inspect_ai": "0.3.285", "hvsb": "0.1.0"}


def write_run_log(
    template: Any,
    path: Path,
    *,
    task: str,
    model: str,
    task_args: dict[str, Any],
    gold: list[str],
    metrics: dict[str, float],
    model_args: dict[str, Any] | None = None,
    max_tokens: int | None = None,
    limit: int | None = None,
    dataset_samples: int = 100,
    created: str = "2026-11-20T10:00:00+00:00",
    readability: dict[str, tuple[float, float]] | None = None,
    model_roles: dict[str, str] | None = None,
    status: str = "success",
) -> Path:
    """Write the log of one hvsb run; `gold` holds one gold label per sample run,
    `readability` {measure: (mean, stderr)} for explain runs."""
    from inspect_ai.log import EvalMetric, EvalResults, EvalScore, write_eval_log
    from inspect_ai.model import GenerateConfig, ModelConfig, ModelOutput, ModelUsage

    kind = task.removeprefix("hvsb/")
    scorer = {"judge": "judgment", "explain": "explanation", "agree": "agreement"}[kind]
    scores = [
        EvalScore(
            name=scorer,
            scorer=scorer,
            metrics={name: EvalMetric(name=name, value=value) for name, value in metrics.items()},
        )
    ]
    for measure, (mean, stderr) in (readability or {}).items():
        scores.append(
            EvalScore(
                name=measure,
                scorer=scorer,
                metrics={
                    "mean": EvalMetric(name="mean", value=mean),
                    "stderr": EvalMetric(name="stderr", value=stderr),
                },
            )
        )
    base = template.samples[0]
    output = ModelOutput.from_content(model="mockllm/model", content=reply_for("biased"))
    output.usage = ModelUsage(input_tokens=1, output_tokens=1, total_tokens=2)
    dataset = task_args.get("dataset") or "bbq"
    samples = [
        base.model_copy(
            update={
                "id": f"s{number}",
                "target": label,
                "epoch": 1,
                "output": output,
                "metadata": {**scenario(f"s{number}", dataset=dataset, gold=label), "task": kind},
            }
        )
        for number, label in enumerate(gold)
    ]
    log = template.model_copy(update={"samples": samples, "status": status})
    log.eval = template.eval.model_copy(deep=True)
    spec = log.eval
    spec.task, spec.task_version, spec.model = task, "2-A", model
    spec.task_args_passed = dict(task_args)
    spec.task_args = {"dataset": None, **task_args}
    spec.model_args = dict(model_args or {})
    spec.model_roles = {r: ModelConfig(model=m) for r, m in (model_roles or {}).items()} or None
    spec.model_generate_config = GenerateConfig(max_tokens=max_tokens)
    spec.config = spec.config.model_copy(update={"limit": limit})
    spec.created = created
    spec.packages = dict(VERSIONS)
    spec.metadata = {
        "hvsb_task": kind,
        **{k: v for k, v in task_args.items() if k != "explanations"},
    }
    spec.dataset.samples = dataset_samples
    spec.dataset.sample_ids = [s.id for s in samples]
    log.results = EvalResults(
        total_samples=len(samples), completed_samples=len(samples), scores=scores
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    write_eval_log(log, str(path))
    return path
