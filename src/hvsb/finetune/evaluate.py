"""Base vs fine-tuned explainer on the same held-out scenarios: readability vs agreeability.

The paper's finding for task 3 is a trade-off: fine-tuned small explainers write easier
text (lower FKGL / GFI / CLI) that target models agree with less. This runs both
explainers through `hvsb/explain` on the scenarios the fine-tuning never saw, has each
target model judge every explanation with `hvsb/agree`, and scores the logged replies with
`hvsb.scorers` (readability, parse_agreement, agreeability). It writes
`finetune_evaluation.json` (numbers, log paths) and `finetune_evaluation.md` (the report
section), and leaves the Inspect logs in `OUT/logs` for `hvsb report` and `inspect view`.
"""

from __future__ import annotations

import json
import math
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hvsb.errors import DataFileError, HvsbError
from hvsb.explanations import load_explanations
from hvsb.finetune.card import CARD_JSON
from hvsb.finetune.data import SftExample, read_split
from hvsb.finetune.inspect_runs import agree, explain, inspect_model
from hvsb.finetune.report import EVAL_JSON, EVAL_MD, markdown, report_section
from hvsb.jsonl import atomic_writer, write_jsonl
from hvsb.scenarios import read_scenarios_file, select
from hvsb.scenarios.record import DATASETS, FLAT_FIELDS
from hvsb.scorers import agreeability, readability
from hvsb.scorers.readability import METRICS

Log = Callable[[str], None]
__all__ = [
    "EVAL_JSON",
    "EVAL_MD",
    "Run",
    "evaluate",
    "heldout_scenarios",
    "markdown",
    "report_section",
]


@dataclass(frozen=True)
class Run:
    """A `hvsb finetune train` output folder."""

    folder: Path

    @property
    def merged(self) -> Path:
        return self.folder / "merged"

    def card(self) -> dict[str, Any]:
        path = self.merged / CARD_JSON
        if not path.is_file():
            raise DataFileError(path, "not found", expected="a `hvsb finetune train` output folder")
        return json.loads(path.read_text(encoding="utf-8"))

    def split(self, name: str) -> list[SftExample]:
        path = self.folder / "data" / f"{name}.jsonl"
        if not path.is_file():
            raise DataFileError(path, "not found", expected=f"the run's {name} split")
        return read_split(path)


def _normal(text: str) -> str:
    return " ".join(text.split()).lower()


def heldout_scenarios(
    run: Run,
    scenarios_file: Path | None = None,
    *,
    default_dataset: str = "bbq",
    limit: int | None = None,
) -> tuple[list[dict[str, Any]], int]:
    """Biased scenario records the model was not trained on, and how many were excluded
    as seen.

    By default the run's held-out split; with `scenarios_file` (a scenarios JSONL, e.g. of
    `hvsb scenarios build`) its biased records as `hvsb.scenarios.select` takes them (the
    file validated, hvsb's seeded order), minus any scenario in the training split.
    """
    trained = {_normal(e.scenario) for e in run.split("train")}
    if scenarios_file is None:
        records = [e.to_dict() for e in run.split("eval")]
    else:
        records = [
            s.to_dict()
            for dataset in sorted({s.dataset for s in read_scenarios_file(scenarios_file)})
            for s in select(
                dataset, scenarios_file=scenarios_file, sample="seeded", gold_label="biased"
            )
        ]
    chosen, seen_ids, excluded = [], set(), 0
    for record in records:
        if _normal(str(record["scenario"])) in trained:
            excluded += 1
            continue
        if str(record["id"]) in seen_ids:
            continue
        seen_ids.add(str(record["id"]))
        scenario = {key: record.get(key) for key in FLAT_FIELDS}
        scenario["id"] = str(record["id"])
        scenario["dataset"] = scenario["dataset"] or default_dataset
        scenario["gold_label"] = scenario["gold_label"] or "biased"  # explained = biased
        if scenario["dataset"] not in DATASETS:
            raise HvsbError(f"scenario {scenario['id']}: unknown dataset {scenario['dataset']!r}")
        if scenario["gold_label"] == "biased":
            chosen.append(scenario)
    if limit is not None:
        chosen = chosen[:limit]
    if not chosen:
        raise HvsbError("no held-out biased scenarios to evaluate on")
    return chosen, excluded


def _mean(values: Sequence[float]) -> float:
    finite = [v for v in values if not math.isnan(v)]
    return statistics.fmean(finite) if finite else math.nan


def readability_summary(explanations: Sequence[str]) -> dict[str, Any]:
    """Mean FKGL / GFI / CLI over the explanations readability can score."""
    scores = [readability(text) for text in explanations]
    return {
        **{name: _mean([s[name] for s in scores]) for name in METRICS},
        "n": len(scores),
        "scored": sum(not math.isnan(s["fkgl"]) for s in scores),
    }


def evaluate(
    run: Run,
    scenarios: Sequence[dict[str, Any]],
    targets: Sequence[str],
    out: Path,
    *,
    base: str | None = None,
    explain_config: dict[str, Any] | None = None,
    agree_config: dict[str, Any] | None = None,
    log: Log = print,
) -> dict[str, Any]:
    """Explain with base and fine-tuned model, agree with each target, score, write summary."""
    card = run.card()
    if card.get("seq2seq"):
        raise HvsbError(
            "Inspect's hf/ provider cannot generate with seq2seq models (it cuts the prompt's "
            "length off the decoder output, leaving it empty); run the explain task with "
            "lm-eval instead: hvsb lm-eval --model hf --model_args pretrained=MODEL "
            "--tasks hvsb_explain_bbq --log_samples --output_path DIR"
        )
    explainers = {"base": base or card["base_model"], "fine-tuned": str(run.merged)}
    targets = [inspect_model(t) for t in targets]
    logs_dir, scenario_file = out / "logs", out / "heldout_scenarios.jsonl"
    write_jsonl(scenario_file, scenarios)
    datasets = sorted({s["dataset"] for s in scenarios})
    rows = []
    for name, model_name in explainers.items():
        model = inspect_model(model_name)
        log(f"{name}: explaining {len(scenarios)} held-out scenarios with {model}")
        explain_logs = [
            explain(scenario_file, ds, model, logs_dir, **(explain_config or {})) for ds in datasets
        ]
        texts = [r["explanation"] for path in explain_logs for r in load_explanations(path)]
        row = {
            "explainer": name,
            "model": model,
            "readability": readability_summary(texts),
            "explain_logs": [str(p) for p in explain_logs],
            "agreeability": {},
            "agree_logs": {},
        }
        for target in targets:
            log(f"{name}: {target} judges {len(texts)} explanations")
            labels: list[str] = []
            row["agree_logs"][target] = []
            for path in explain_logs:
                found, agree_log = agree(path, target, logs_dir, **(agree_config or {}))
                labels += list(found.values())
                row["agree_logs"][target].append(str(agree_log))
            row["agreeability"][target] = agreeability(labels).as_dict()
        rows.append(row)
    teacher = [e.explanation for e in run.split("eval") if e.id in {s["id"] for s in scenarios}]
    summary = {
        "run": str(run.folder),
        "base_model": explainers["base"],
        "fine_tuned_model": explainers["fine-tuned"],
        "scenarios": len(scenarios),
        "datasets": datasets,
        "targets": targets,
        "explainers": rows,
        "teacher_readability": readability_summary(teacher) if teacher else None,
        "card": {k: card.get(k) for k in ("method", "eval_loss_before", "eval_loss_after")},
    }
    write_summary(summary, out)
    return summary


def write_summary(summary: dict[str, Any], out: Path) -> None:
    with atomic_writer(out / EVAL_JSON) as handle:
        json.dump(summary, handle, indent=2, default=str)
    with atomic_writer(out / EVAL_MD) as handle:
        handle.write(markdown(summary))
