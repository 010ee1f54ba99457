"""paper_sample: the release's first-N-in-file-order choice of SS and CP scenarios."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from hvsb.errors import HvsbError
from hvsb.scenarios.paper_sample import paper_sample
from hvsb.scenarios.record import Scenario


def _scenario(dataset: str, index: int, category: str, direction: str) -> Scenario:
    return Scenario(
        id=f"{dataset}:{index}:{direction}",
        dataset=dataset,
        scenario=f"sentence {index} {direction}",
        gold_label="biased",
        category=category,
        polarity=None,
        answer_type=direction,
        source={"file_index": index},
    )


def _ids(scenarios: list[Scenario]) -> list[str]:
    return [s.id for s in scenarios]


def test_ss_first_per_bias_type_and_direction_in_file_order():
    # File order: 0 a, 1 b, 2 a, 3 a, 4 a; example 2 has lost its anti sentence.
    records = [(0, "a"), (1, "b"), (2, "a"), (3, "a"), (4, "a")]
    scenarios = [_scenario("ss", i, c, d) for i, c in records for d in ("pro", "anti")]
    scenarios.remove(next(s for s in scenarios if s.id == "ss:2:anti"))
    random.Random(1).shuffle(scenarios)  # list order must not matter
    chosen = paper_sample(scenarios, per_cell=2)
    # pro: examples 0, 2 of "a"; anti: 0, 3 (the release counts each direction alone);
    # "b" has one example and is taken whole. Output in file order, pro before anti.
    assert _ids(chosen) == ["ss:0:pro", "ss:0:anti", "ss:1:pro", "ss:1:anti"] + [
        "ss:2:pro",
        "ss:3:anti",
    ]


def test_cp_first_pairs_per_bias_type_both_sentences():
    # Pair 0 has lost its anti sentence: the pair still counts (the release chose pairs
    # before emulating), so pair 3 does not get in.
    records = [(0, "x"), (1, "y"), (2, "x"), (3, "x")]
    scenarios = [_scenario("cp", i, c, d) for i, c in records for d in ("pro", "anti")]
    scenarios = [s for s in scenarios if s.id != "cp:0:anti"]
    random.Random(2).shuffle(scenarios)
    chosen = paper_sample(scenarios, per_cell=2)
    assert _ids(chosen) == ["cp:0:pro", "cp:1:pro", "cp:1:anti", "cp:2:pro", "cp:2:anti"]


def test_default_cap_is_the_papers_200():
    scenarios = [_scenario("cp", i, "x", d) for i in range(250) for d in ("pro", "anti")]
    chosen = paper_sample(scenarios)
    assert len(chosen) == 400
    assert {s.source["file_index"] for s in chosen} == set(range(200))


@pytest.mark.parametrize(
    ("scenario", "message"),
    [
        (_scenario("bbq", 0, "Age", "pro"), "applies to ss and cp only"),
        (
            Scenario("ss:x:pro", "ss", "s", "biased", "race", None, "pro", source={}),
            "has no source['file_index']",
        ),
        (_scenario("ss", 0, "race", "unknown"), "expected one of pro, anti"),
    ],
)
def test_bad_input_is_named(scenario, message):
    with pytest.raises(HvsbError) as error:
        paper_sample([scenario])
    assert message in str(error.value) and scenario.id in str(error.value)


def test_duplicates_and_bad_cap_are_refused():
    one = _scenario("cp", 0, "x", "pro")
    with pytest.raises(HvsbError, match="pass each sentence once"):
        paper_sample([one, one])
    with pytest.raises(HvsbError, match="positive integer"):
        paper_sample([one], per_cell=0)


def test_real_data_counts_and_shared_pairs(built):
    """On the shared data: SS 200 per bias type and direction (religion has 79 examples),
    CP the first 200 pairs per bias type (or all), pro and anti from the same pairs."""
    ss = paper_sample(built["ss"].scenarios)
    assert Counter((s.category, s.answer_type) for s in ss) == {
        (bias, direction): n
        for bias, n in {"gender": 200, "profession": 200, "race": 200, "religion": 79}.items()
        for direction in ("pro", "anti")
    }
    ss_examples = {
        d: {s.source["example_id"] for s in ss if s.answer_type == d} for d in ("pro", "anti")
    }
    assert ss_examples["pro"] == ss_examples["anti"]

    cp = paper_sample(built["cp"].scenarios)
    per_type = {
        "race-color": 200,
        "gender": 200,
        "socioeconomic": 172,
        "nationality": 159,
        "religion": 105,
        "age": 87,
        "sexual-orientation": 84,
        "physical-appearance": 63,
        "disability": 60,
    }
    assert Counter((s.category, s.answer_type) for s in cp) == {
        (bias, direction): n for bias, n in per_type.items() for direction in ("pro", "anti")
    }
    pairs = {d: {s.source["pair_id"] for s in cp if s.answer_type == d} for d in ("pro", "anti")}
    assert pairs["pro"] == pairs["anti"]
    # race-color has 516 pairs: the chosen 200 are its first 200 rows in the file.
    race = sorted(
        {s.source["file_index"] for s in built["cp"].scenarios if s.category == "race-color"}
    )
    chosen = {s.source["file_index"] for s in cp if s.category == "race-color"}
    assert len(race) == 516 and chosen == set(race[:200])
