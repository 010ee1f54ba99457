"""Explain and agree runs of hvsb's own Inspect tasks, for `hvsb finetune evaluate`.

Explanations come from `hvsb/explain` on a scenario file (the held-out scenarios),
agreement from `hvsb/agree` on that run's log, each a normal Inspect log in the
evaluation folder (`inspect view` shows them). Decoding is the tasks' own (PROTOCOL §4:
temperature 1, top_p 0.95) with `max_tokens` as given.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hvsb.errors import HvsbError
from hvsb.scorers import parse_agreement


def inspect_model(name: str) -> str:
    """An Inspect model name; a local folder becomes `hf/<absolute path>`."""
    path = Path(name)
    if path.is_dir():
        return f"hf/{path.resolve()}"
    if "/" not in name:
        raise HvsbError(f"{name!r} is neither a model folder nor an Inspect model name")
    return name


def _run(task: str, task_args: dict[str, Any], model: str, log_dir: Path, **config: Any) -> Any:
    from inspect_ai import eval as inspect_eval

    logs = inspect_eval(
        task,
        task_args=task_args,
        model=model,
        log_dir=str(log_dir),
        display="plain",
        fail_on_error=False,
        **config,
    )
    log = logs[0]
    if log.status != "success":
        raise HvsbError(f"Inspect {task} with {model} failed ({log.status}): {log.error}")
    return log


def explain(scenarios_file: Path, dataset: str, model: str, log_dir: Path, **config: Any) -> Path:
    """Run hvsb/explain on every scenario of `dataset` in the file; the log's path."""
    log = _run(
        "hvsb/explain",
        {"dataset": dataset, "scenarios_file": str(scenarios_file), "max_scenarios": None},
        model,
        log_dir,
        **config,
    )
    return Path(log.location)


def agree(
    explanations: Path, target: str, log_dir: Path, **config: Any
) -> tuple[dict[str, str], Path]:
    """{scenario id: agree/disagree/rejected} from hvsb/agree (parsed by hvsb.scorers), log path."""
    from hvsb.tasks.inspect.logs import read_log

    log = _run("hvsb/agree", {"explanations": str(explanations)}, target, log_dir, **config)
    path = Path(log.location)
    return {row["id"]: parse_agreement(row["reply"]) for row in read_log(path)}, path
