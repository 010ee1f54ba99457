"""The one record shape every dataset is turned into."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

GOLD_LABELS = ("biased", "unbiased")


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
        return cls(**{name: record.get(name) for name in cls.__dataclass_fields__})
