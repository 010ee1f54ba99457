"""SFT examples from a teacher's explanations: clean, deduplicate, split deterministically.

Sources are whatever `hvsb.explanations.load_explanations` reads (Inspect logs of
`hvsb/explain`, lm-eval `samples_hvsb_explain_*.jsonl`, plain JSONL). The held-out split
is chosen by a hash of the scenario text, so it does not depend on file order and no
scenario is in both splits (the evaluation's "held-out scenarios" really are unseen).
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from hvsb.errors import HvsbError
from hvsb.explanations import METADATA_KEYS, load_explanations
from hvsb.jsonl import read_jsonl, write_jsonl

MIN_WORDS = 3  # shorter "explanations" (empty, "Biased.", a bare label) teach nothing


@dataclass(frozen=True)
class SftExample:
    """One teacher explanation of one scenario, with the record it came from."""

    id: str
    dataset: str | None
    scenario: str
    explanation: str
    explainer: str | None
    gold_label: str | None = None
    category: str | None = None
    polarity: str | None = None
    answer_type: str | None = None
    target_type: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class SftData:
    """The split plus what was dropped and why (reported to the user and in the card)."""

    train: list[SftExample]
    eval: list[SftExample]
    sources: list[str]
    read: int = 0
    dropped: Counter[str] = field(default_factory=Counter)

    def summary(self) -> dict[str, Any]:
        return {
            "sources": self.sources,
            "read": self.read,
            "train": len(self.train),
            "eval": len(self.eval),
            "dropped": dict(self.dropped),
            "explainers": sorted({e.explainer or "?" for e in self.train + self.eval}),
        }


def _normal(text: str) -> str:
    return " ".join(text.split()).lower()


def clean(records: Iterable[dict[str, Any]]) -> tuple[list[SftExample], Counter[str]]:
    """Usable, distinct examples, and a count of the others by reason."""
    kept: list[SftExample] = []
    dropped: Counter[str] = Counter()
    seen: set[tuple[str, str]] = set()
    for record in records:
        scenario = str(record.get("scenario") or "").strip()
        explanation = str(record.get("explanation") or "").strip()
        if not scenario:
            dropped["no scenario"] += 1
            continue
        if len(explanation.split()) < MIN_WORDS:
            dropped[f"explanation under {MIN_WORDS} words"] += 1
            continue
        if _normal(explanation) == _normal(scenario):
            dropped["explanation repeats the scenario"] += 1
            continue
        key = (_normal(scenario), _normal(explanation))
        if key in seen:
            dropped["duplicate"] += 1
            continue
        seen.add(key)
        kept.append(
            SftExample(
                id=str(record.get("id")),
                dataset=record.get("dataset"),
                scenario=scenario,
                explanation=explanation,
                explainer=record.get("explainer"),
                **{key: record.get(key) for key in METADATA_KEYS},
            )
        )
    return kept, dropped


def _bucket(scenario: str, seed: int) -> float:
    """A stable number in [0, 1) per scenario text (not Python's salted hash)."""
    digest = hashlib.sha256(f"{seed}\x00{_normal(scenario)}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def split(
    examples: Sequence[SftExample], eval_fraction: float, seed: int = 0
) -> tuple[list[SftExample], list[SftExample]]:
    """Hold out ~eval_fraction of the scenarios (at least one), all their explanations with them."""
    if not 0 < eval_fraction < 1:
        raise HvsbError(f"--eval-fraction must be between 0 and 1, got {eval_fraction}")
    scenarios = sorted({_normal(e.scenario) for e in examples}, key=lambda s: _bucket(s, seed))
    n_eval = min(max(1, math.ceil(len(scenarios) * eval_fraction)), len(scenarios) - 1)
    held_out = set(scenarios[:n_eval])
    train = [e for e in examples if _normal(e.scenario) not in held_out]
    evaluation = [e for e in examples if _normal(e.scenario) in held_out]
    return train, evaluation


def load_sft_data(
    paths: Sequence[str | Path],
    *,
    eval_fraction: float = 0.05,
    seed: int = 0,
    min_examples: int = 8,
) -> SftData:
    """Read teacher outputs, keep usable distinct explanations, split; fail if too few."""
    records: list[dict[str, Any]] = []
    for path in paths:
        records.extend(load_explanations(path))
    examples, dropped = clean(records)
    names = ", ".join(str(p) for p in paths)
    if len(examples) < max(min_examples, 2):
        reasons = "; ".join(f"{n} {why}" for why, n in dropped.most_common()) or "none dropped"
        raise HvsbError(
            f"{names}: only {len(examples)} usable explanations out of {len(records)} records "
            f"(dropped: {reasons}); fine-tuning needs at least {max(min_examples, 2)}. "
            "Run the explain task on more scenarios, or lower --min-examples."
        )
    train, evaluation = split(examples, eval_fraction, seed)
    return SftData(
        train=train,
        eval=evaluation,
        sources=[str(p) for p in paths],
        read=len(records),
        dropped=dropped,
    )


def write_split(data: SftData, folder: Path) -> None:
    """train.jsonl and eval.jsonl: what the run trained and evaluated on, for `evaluate`."""
    write_jsonl(folder / "train.jsonl", (e.to_dict() for e in data.train))
    write_jsonl(folder / "eval.jsonl", (e.to_dict() for e in data.eval))


def read_split(path: Path) -> list[SftExample]:
    """Examples written by `write_split`."""
    fields = SftExample.__dataclass_fields__
    return [SftExample(**{k: r.get(k) for k in fields}) for _, r in read_jsonl(path)]
