"""Scenario records (chosen by `hvsb.scenarios.select`) and explanations → Inspect samples.

Each sample carries its scenario's stable id as `Sample.id` and the full scenario record
as metadata, so logs join across models and conditions and `samples_df` shows the
breakdown columns.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from inspect_ai.dataset import MemoryDataset, Sample

from hvsb.errors import DataFileError
from hvsb.prompts import agree_prompt, explain_prompt, judge_prompt
from hvsb.scenarios import select
from hvsb.scenarios.record import DATASETS, FLAT_FIELDS, Scenario, scenario_mode

GROUP_KEYS = ("category", "polarity", "answer_type", "target_type")


def chosen(
    dataset: str,
    sample: str,
    seed: int,
    per_cell: int | None,
    max_scenarios: int | None,
    scenarios_file: str | None,
    data_dir: str | None,
    gold_label: str | None = None,
    dataset_path: str | None = None,
) -> list[Scenario]:
    """`hvsb.scenarios.select` with a task's selection parameters (`-T` names)."""
    return select(
        dataset,
        data_dir=data_dir,
        scenarios_file=scenarios_file,
        dataset_path=dataset_path,
        seed=seed,
        sample=sample,
        per_cell=per_cell,
        limit=max_scenarios,
        gold_label=gold_label,
    )


def _metadata(record: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        **{key: record.get(key) for key in FLAT_FIELDS},
        "source": record.get("source") or {},
        "mode": scenario_mode(record),
        **extra,
    }


def judge_samples(
    chosen: list[Scenario], attack: str, judge_mode: str, parser: str
) -> MemoryDataset:
    """The judge user turn (PROTOCOL §3); the attack's system turn is added by a solver.
    The metadata records the run's condition, judge mode and judgment parser."""
    samples = []
    for scenario in chosen:
        record = scenario.to_dict()
        samples.append(
            Sample(
                id=scenario.id,
                input=judge_prompt(scenario.dataset, scenario.scenario),
                target=scenario.gold_label,
                metadata=_metadata(
                    record, task="judge", attack=attack, judge_mode=judge_mode, parser=parser
                ),
            )
        )
    return MemoryDataset(samples, name=f"hvsb_{chosen[0].dataset}" if chosen else "hvsb")


def explain_samples(chosen: list[Scenario]) -> MemoryDataset:
    """The explainer user turn (PROTOCOL §4)."""
    samples = [
        Sample(
            id=scenario.id,
            input=explain_prompt(scenario.scenario),
            target=scenario.gold_label,
            metadata=_metadata(scenario.to_dict(), task="explain"),
        )
        for scenario in chosen
    ]
    return MemoryDataset(samples, name=f"hvsb_{chosen[0].dataset}" if chosen else "hvsb")


def agree_samples(path: str, dataset: str | None) -> MemoryDataset:
    """One sample per explanation read by hvsb.explanations.load_explanations.

    The sample id is the scenario id, prefixed with the explainer when one file holds
    several explainers' explanations of the same scenario.
    """
    from hvsb.explanations import load_explanations

    records = load_explanations(path)
    if not records:
        raise DataFileError(path, "no explanations", expected="at least one explanation")
    sample_ids = _unique_ids(records)
    samples = []
    for number, record in enumerate(records, start=1):
        record_dataset = record.get("dataset") or dataset
        if record_dataset not in DATASETS:
            raise DataFileError(
                path,
                f"explanation {number} ({record['id']}) has dataset {record_dataset!r}",
                expected=f"one of {', '.join(DATASETS)} (or pass -T dataset=...)",
            )
        if dataset and record_dataset != dataset:
            continue
        record = {**record, "dataset": record_dataset}
        scenario_id = str(record["id"])
        samples.append(
            Sample(
                id=sample_ids[number - 1],
                input=agree_prompt(record_dataset, record["scenario"], record["explanation"]),
                metadata=_metadata(
                    record,
                    task="agree",
                    scenario_id=scenario_id,
                    explanation=record["explanation"],
                    explainer=str(record.get("explainer")),
                    explanations_file=str(path),
                ),
            )
        )
    if not samples:
        raise DataFileError(path, f"no explanations of {dataset} scenarios")
    return MemoryDataset(samples, name=Path(path).stem)


def _unique_ids(records: list[dict[str, Any]]) -> list[str]:
    """The scenario id; `explainer|id` where explainers share a scenario; `#k` for repeats
    (several epochs of one explainer)."""
    ids = Counter(str(r["id"]) for r in records)
    named = [
        str(r["id"]) if ids[str(r["id"])] == 1 else f"{r.get('explainer')}|{r['id']}"
        for r in records
    ]
    totals, seen = Counter(named), Counter()
    unique = []
    for name in named:
        seen[name] += 1
        unique.append(name if totals[name] == 1 else f"{name}#{seen[name]}")
    return unique


def group_keys(dataset: MemoryDataset, keys: tuple[str, ...] = GROUP_KEYS) -> list[str]:
    """The breakdown keys every sample has a value for (BBQ: all three; SS: category...)."""
    return [
        key
        for key in keys
        if len(dataset) and all((s.metadata or {}).get(key) is not None for s in dataset)
    ]
