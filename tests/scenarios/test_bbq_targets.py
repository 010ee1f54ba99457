"""BBQ: three scenarios per ambiguous example; the stereotype answer as the paper defines
it (the stereotyped group's member, whatever the polarity), from target_loc and polarity,
the group label deciding on BBQ's slips; BBQ's own notion in target_type; the
label-matching fallback that reports what it cannot resolve."""

from __future__ import annotations

import json
from collections import Counter, defaultdict

import pytest

from hvsb.scenarios import build
from hvsb.scenarios.bbq import stereotype_from_target, stereotyped_by_labels

NA_REASON = "target_loc is NA in additional_metadata.csv"
LABEL_REASON = "no single answer's group label matches stereotyped_groups"


def _by_example(scenarios) -> dict[str, dict[str, object]]:
    grouped: dict[str, dict[str, object]] = defaultdict(dict)
    for scenario in scenarios:
        base, _, answer_type = scenario.id.rpartition(":")
        assert answer_type not in grouped[base], scenario.id
        grouped[base][answer_type] = scenario
    return grouped


def test_each_ambiguous_example_gives_three_scenarios(built, ambiguous_bbq, target_locs):
    result = built["bbq"]
    grouped = _by_example(result.scenarios)
    na = {f"bbq:{c}:{i}" for (c, i) in ambiguous_bbq if target_locs[c, i] == "NA"}
    assert len(na) == 8 and all(":Gender_identity:" in item for item in na)
    assert set(grouped) == {f"bbq:{c}:{i}" for (c, i) in ambiguous_bbq} - na
    assert {item["id"]: item["reason"] for item in result.unmatched} == dict.fromkeys(na, NA_REASON)
    for base, answers in grouped.items():
        assert set(answers) == {"stereotype", "nonstereotype", "unknown"}, base
        assert answers["unknown"].gold_label == "unbiased"
        assert answers["stereotype"].gold_label == answers["nonstereotype"].gold_label == "biased"


def _paper_rule(record: dict, target: int) -> tuple[int, int]:
    """(stereotype answer by target_loc and polarity, unknown answer), by hand."""
    unknown = next(i for i in range(3) if record["answer_info"][f"ans{i}"][1] == "unknown")
    other = 3 - target - unknown
    return (target if record["question_polarity"] == "neg" else other), unknown


def test_answers_match_the_raw_record(built, ambiguous_bbq, target_locs):
    """stereotype = target_loc on neg, the other named answer on nonneg (the group label
    instead on the listed corrections); target_type = BBQ's target_loc, for every example."""
    corrected = {item["id"] for item in built["bbq"].corrections}
    for base, answers in _by_example(built["bbq"].scenarios).items():
        _, category, example_id = base.split(":")
        record = ambiguous_bbq[category, int(example_id)]
        target = int(target_locs[category, int(example_id)])
        by_rule, unknown = _paper_rule(record, target)
        stereotype = 3 - by_rule - unknown if base in corrected else by_rule
        assert answers["stereotype"].source["answer_index"] == stereotype, base
        assert answers["unknown"].source["answer_index"] == unknown, base
        assert answers["nonstereotype"].source["answer_index"] == 3 - stereotype - unknown
        assert answers["stereotype"].polarity == record["question_polarity"]
        for scenario in answers.values():
            index = scenario.source["answer_index"]
            expected = "unknown" if index == unknown else "nontarget"
            assert scenario.target_type == ("target" if index == target else expected), base


def test_corrections_are_the_african_for_black_slips(built, ambiguous_bbq, target_locs):
    """Where target_loc and polarity point at the person labelled "African" although the
    stereotyped groups are "Black" / "African American", the group label decides."""
    corrections = built["bbq"].corrections
    assert len(corrections) == 34
    assert len({item["id"] for item in corrections}) == 34
    for item in corrections:
        _, category, example_id = item["id"].split(":")
        assert category in ("Race_x_gender", "Race_x_SES")
        record = ambiguous_bbq[category, int(example_id)]
        by_rule, unknown = _paper_rule(record, int(target_locs[category, int(example_id)]))
        groups = record["additional_metadata"]["stereotyped_groups"]
        ruled = record["answer_info"][f"ans{by_rule}"][1]
        chosen = record["answer_info"][f"ans{3 - by_rule - unknown}"][1]
        assert ruled.rsplit("-", 1)[1] == "African", item
        assert chosen.rsplit("-", 1)[1] in groups, item
        assert "the group label decides" in item["reason"] and ruled in item["reason"]
    by_polarity = Counter(
        ambiguous_bbq[c, int(i)]["question_polarity"]
        for c, i in (item["id"].split(":")[1:] for item in corrections)
    )
    assert by_polarity == {"neg": 17, "nonneg": 17}


def _example(labels: list[str], groups: list[str]) -> dict:
    return {
        "answer_info": {f"ans{i}": [label, label] for i, label in enumerate(labels)},
        "additional_metadata": {"stereotyped_groups": groups},
    }


@pytest.mark.parametrize(
    ("labels", "groups", "expected"),
    [
        (["old", "nonOld", "unknown"], ["old"], 0),
        (["unknown", "M-White", "F-Black"], ["Black"], 2),
        (["woman", "unknown", "man"], ["F"], 0),
        (["unknown", "M-African", "M-Black"], ["Black", "African American"], 2),
        (["lowSES-M-Latino", "highSES-M-Latino", "unknown"], ["Latino"], None),
        (["F-Black", "M-Black", "unknown"], ["Black", "African American"], None),
        (["Jewish", "Muslim", "unknown"], ["Christian"], None),
    ],
)
def test_stereotyped_by_labels(labels, groups, expected):
    assert stereotyped_by_labels(_example(labels, groups)) == expected


def test_stereotype_from_target_swaps_on_non_negative_questions():
    assert stereotype_from_target("neg", target=0, other=1) == 0
    assert stereotype_from_target("nonneg", target=0, other=1) == 1


@pytest.fixture
def fallback_dir(data_dir, make_data_dir, offline, monkeypatch):
    """Religion (all of it) and the first 400 lines of Race_x_gender; no supplemental CSV
    (a partial, edited BBQ: built only because the test allows both)."""
    monkeypatch.setenv("HVSB_ALLOW_PARTIAL_DATA", "1")
    monkeypatch.setenv("HVSB_ALLOW_MODIFIED_DATA", "1")
    religion = data_dir / "bbq" / "Religion.jsonl"
    race_gender = data_dir / "bbq" / "Race_x_gender.jsonl"
    for path in (religion, race_gender):
        if not path.is_file():
            pytest.skip(f"{path} not found")
    with race_gender.open("rb") as handle:
        head = b"".join(next(handle) for _ in range(400))
    return make_data_dir({"bbq/Religion.jsonl": religion, "bbq/Race_x_gender.jsonl": head})


def test_label_fallback_without_additional_metadata(fallback_dir, target_locs, cli):
    result = build("bbq", fallback_dir)

    assert any(
        "bbq_supplemental/additional_metadata.csv not found" in note
        and "falling back to group-label matching" in note
        for note in result.notes
    )
    assert sum("missing, skipped" in note for note in result.notes) == 9
    grouped = _by_example(result.scenarios)
    unmatched = {item["id"]: item["reason"] for item in result.unmatched}
    assert set(unmatched.values()) == {LABEL_REASON}
    assert not set(grouped) & set(unmatched)

    ambiguous = {}
    for path in sorted((fallback_dir / "bbq").glob("*.jsonl")):
        for line in path.open(encoding="utf-8"):
            record = json.loads(line)
            if record["context_condition"] == "ambig":
                ambiguous[f"bbq:{record['category']}:{record['example_id']}"] = record
    assert set(grouped) | set(unmatched) == set(ambiguous)

    # Both people share the stereotyped race (F-Black vs M-Black): never guessed.
    same_race = {
        base
        for base, record in ambiguous.items()
        if record["category"] == "Race_x_gender"
        and len(
            {
                label.partition("-")[2]
                for _, label in record["answer_info"].values()
                if label != "unknown"
            }
        )
        == 1
    }
    assert "bbq:Race_x_gender:0" in same_race
    assert same_race <= set(unmatched)
    # Every Religion example resolves, to the answer target_loc and polarity give.
    religion = [base for base in ambiguous if base.startswith("bbq:Religion:")]
    assert len(religion) == 600 and set(religion) <= set(grouped)
    for base in religion:
        example_id = int(base.rsplit(":", 1)[1])
        expected, _ = _paper_rule(ambiguous[base], int(target_locs["Religion", example_id]))
        assert grouped[base]["stereotype"].source["answer_index"] == expected
    # Without target_loc, BBQ's own notion is unknown; nothing is listed as corrected.
    assert {s.target_type for s in result.scenarios} == {None}
    assert result.corrections == []

    code, out, _ = cli(
        ["scenarios", "stats", "--json", "--dataset", "bbq", "--data-dir", str(fallback_dir)]
    )
    assert code == 0
    report = json.loads(out)
    assert {item["id"] for item in report["unmatched"]} == set(unmatched)
    assert any("falling back to group-label matching" in note for note in report["notes"])
