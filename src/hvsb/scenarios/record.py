"""The one record shape every dataset is turned into, and the names it may take."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

DATASETS: tuple[str, ...] = ("bbq", "biasdpo", "ss", "cp")
GOLD_LABELS: tuple[str, ...] = ("biased", "unbiased")


@dataclass(frozen=True)
class Scenario:
    """A text shown to a judge model, its gold label and the metadata for breakdowns.

    `id` is stable across runs and unique across datasets (e.g. `bbq:Age:0:stereotype`),
    so results of different models and conditions join on it. `answer_type` is the
    paper's notion (BBQ: `stereotype` / `nonstereotype` / `unknown`); `target_type` is
    BBQ's own (`target` = the answer is BBQ's `target_loc`, `nontarget`, `unknown`) and
    None for the other datasets.
    """

    id: str
    dataset: str
    scenario: str
    gold_label: str
    category: str | None
    polarity: str | None
    answer_type: str | None
    source: dict[str, Any] = field(default_factory=dict)
    target_type: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, record: dict[str, Any]) -> Scenario:
        return cls(**{name: record.get(name) for name in SCENARIO_FIELDS})


# Every field of a scenario record, in order; the flat ones (all but `source`) are what
# each ecosystem's samples carry and what the readers give back for breakdowns.
SCENARIO_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Scenario))
FLAT_FIELDS: tuple[str, ...] = tuple(name for name in SCENARIO_FIELDS if name != "source")
REQUIRED_FIELDS: tuple[str, ...] = ("id", "dataset", "scenario", "gold_label")


def scenario_mode(record: dict[str, Any]) -> str:
    """`emulated` when an LLM wrote the scenario (SS/CP, PROTOCOL §2), else `sentence`."""
    return "emulated" if "emulation" in (record.get("source") or {}) else "sentence"
