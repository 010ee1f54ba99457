"""The paper's SS / CP sample: the first sentences of each bias type, in file order.

What the authors' release does (ku-nlp/Evaluate-Alignment-HVSB, preprocess/):

- StereoSet (`preprocess_ss.py`): it reads one row per intrasentence sentence (id,
  context, bias_word, bias_type, gold_label) and, per bias type, keeps the first 200
  `stereotype` and the first 200 `anti-stereotype` sentences in file order
  (`pro_list[:200]`, `anti_list[:200]`); unrelated sentences are not used.
- CrowS-Pairs (`preprocess_cp.py`): per bias type it walks the CSV in file order and takes
  the first 200 rows (pairs) of that type, whatever their `stereo_antistereo`; the "pro"
  pass emulates each pair's stereotype sentence, the "anti" pass the same pairs' other
  sentence, so a CP pro scenario and its anti scenario always come from the same pair.

Interpretation: the release's SS table is not in the release. hvsb takes it to be
StereoSet dev.json's intrasentence examples in file order (the shared data's file). As
every example has one stereotype and one anti-stereotype sentence, the first 200 of each
direction come from the same 200 examples, so SS pro and anti share contexts as well.
A bias type with fewer records than the cap is taken whole (SS religion: 79 examples; CP
socioeconomic, nationality, religion, age, sexual-orientation, physical-appearance and
disability: 60-172 pairs).

The choice rests on `source["file_index"]` (the record's position in its raw file, set by
the SS and CP builders), never on list order, so it holds for shuffled or re-read lists.
Apply it to sentence-mode scenarios (before emulation), as the release chose sentences
before emulating them: a CP pair counts once, whichever of its sentences are present.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from hvsb.errors import HvsbError
from hvsb.scenarios.record import Scenario
from hvsb.scenarios.sampling import PAPER_PER_CELL

DIRECTIONS = ("pro", "anti")


def paper_sample(scenarios: Sequence[Scenario], per_cell: int | None = None) -> list[Scenario]:
    """The release's choice of SS or CP scenarios, in file order (pro before anti).

    SS: the first `per_cell` sentences per bias type and direction. CP: the first
    `per_cell` pairs per bias type, both sentences of each. `per_cell` defaults to the
    paper's cap (hvsb.scenarios.sampling.PAPER_PER_CELL, 200).
    """
    if per_cell is not None and per_cell < 1:
        raise HvsbError(f"per_cell must be a positive integer, not {per_cell}")
    ordered = sorted(scenarios, key=_position)
    _require_unique(ordered)
    taken: Counter[tuple] = Counter()
    chosen: set[tuple] = set()
    sample = []
    for scenario in ordered:
        cap = PAPER_PER_CELL[scenario.dataset] if per_cell is None else per_cell
        cell, unit = _cell_and_unit(scenario)
        if unit not in chosen:
            if taken[cell] >= cap:
                continue
            taken[cell] += 1
            chosen.add(unit)
        sample.append(scenario)
    return sample


def _position(scenario: Scenario) -> tuple[str, int, int]:
    """(dataset, position in the raw file, direction): the release's reading order."""
    if scenario.dataset not in PAPER_PER_CELL:
        raise HvsbError(
            f"scenario {scenario.id!r} is from {scenario.dataset!r}; the paper's file-order "
            f"sample applies to {' and '.join(PAPER_PER_CELL)} only"
        )
    index = (scenario.source or {}).get("file_index")
    if not isinstance(index, int) or isinstance(index, bool) or index < 0:
        raise HvsbError(
            f"scenario {scenario.id!r} has no source['file_index'] (its position in the raw "
            "file), which the paper's sample needs: build it with hvsb.scenarios.build"
        )
    if scenario.answer_type not in DIRECTIONS:
        raise HvsbError(
            f"scenario {scenario.id!r} has answer_type {scenario.answer_type!r}; "
            f"expected one of {', '.join(DIRECTIONS)}"
        )
    return scenario.dataset, index, DIRECTIONS.index(scenario.answer_type)


def _cell_and_unit(scenario: Scenario) -> tuple[tuple, tuple]:
    """What the cap counts in (cell) and what it counts (unit): CP counts pairs per bias
    type, SS counts sentences per bias type and direction."""
    dataset, index, _ = _position(scenario)
    if dataset == "cp":
        return (dataset, scenario.category), (dataset, index)
    cell = (dataset, scenario.category, scenario.answer_type)
    return cell, (*cell, index)


def _require_unique(ordered: list[Scenario]) -> None:
    for before, after in zip(ordered, ordered[1:], strict=False):
        if _position(before) == _position(after):
            raise HvsbError(
                f"scenarios {before.id!r} and {after.id!r} are the same sentence of the same "
                "raw record; pass each sentence once"
            )


__all__ = ["paper_sample"]
