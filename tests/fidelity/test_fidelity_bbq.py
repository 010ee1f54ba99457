"""Every ambiguous BBQ example: hvsb's answer types against the paper release's group
matching, re-implemented in hvsb_release_rules (PROTOCOL §1)."""

from __future__ import annotations

from collections import Counter, defaultdict

from support.release_rules import ReleaseCrash, release_answers, stereotype_by_target


def _hvsb_answers(scenarios) -> dict[str, dict[str, int]]:
    """bbq:<category>:<example id> -> {answer_type: answer index} of hvsb's scenarios."""
    answers: dict[str, dict[str, int]] = defaultdict(dict)
    for scenario in scenarios:
        base, _, answer_type = scenario.id.rpartition(":")
        answers[base][answer_type] = scenario.source["answer_index"]
    return answers


def test_answer_types_equal_the_releases_wherever_it_gives_them(built, ambiguous_bbq, target_locs):
    """hvsb equals the release on all 23,846 examples the release resolves; the release
    leaves an answer empty on 5,220 and crashes on 172 (counted and listed, not matched);
    the target_loc rule differs from it on exactly the 34 slips hvsb lists."""
    hvsb = _hvsb_answers(built["bbq"].scenarios)
    outcome: dict[str, list[str]] = defaultdict(list)
    differing, slips = {}, set()
    for (category, example_id), example in sorted(ambiguous_bbq.items()):
        base = f"bbq:{category}:{example_id}"
        if target_locs[category, example_id] == "NA":
            outcome["target_loc NA"].append(base)
            continue
        try:
            stereotype, nonstereotype, unknown = release_answers(example)
        except ReleaseCrash:
            outcome["release crashes"].append(base)
            continue
        if None in (stereotype, nonstereotype, unknown):
            outcome["release leaves an answer empty"].append(base)
            continue
        outcome["resolved"].append(base)
        release = {"stereotype": stereotype, "nonstereotype": nonstereotype, "unknown": unknown}
        if hvsb[base] != release:
            differing[base] = (hvsb[base], release)
        target = int(target_locs[category, example_id])
        if stereotype_by_target(example, target) != stereotype:
            slips.add(base)

    counts = {name: len(bases) for name, bases in outcome.items()}
    assert counts == {
        "resolved": 23_846,
        "release leaves an answer empty": 5_220,
        "release crashes": 172,
        "target_loc NA": 8,
    }
    assert differing == {}
    assert len(slips) == 34
    assert slips == {item["id"] for item in built["bbq"].corrections}
    assert Counter(base.split(":")[1] for base in slips) == {"Race_x_gender": 26, "Race_x_SES": 8}
    # hvsb builds the examples the release cannot, and leaves out only the NA ones.
    for name in ("release leaves an answer empty", "release crashes"):
        assert all(set(hvsb[base]) == set(release) for base in outcome[name]), name
    assert not set(outcome["target_loc NA"]) & set(hvsb)
    assert {item["id"] for item in built["bbq"].unmatched} == set(outcome["target_loc NA"])
    # Where the release fails: both people match (intersectional categories; Nationality,
    # whose LatinSouthAmerica and Africa lists hold every nationality), neither matches
    # (Gender_identity), or an answer has an empty group label (Race_x_gender).
    by_category = {
        name: Counter(base.split(":")[1] for base in outcome[name])
        for name in ("release leaves an answer empty", "release crashes")
    }
    assert by_category == {
        "release leaves an answer empty": {
            "Race_x_gender": 2_620,
            "Race_x_SES": 1_860,
            "Nationality": 640,
            "Gender_identity": 100,
        },
        "release crashes": {"Race_x_gender": 172},
    }


def test_scenario_text_matches_the_releases_form(built, ambiguous_bbq):
    """`Context: ...\\nQuestion: ...\\nAnswer: ...` with BBQ's own answer text (the
    release writes `The {name}` instead, which differs only in form)."""
    for scenario in built["bbq"].scenarios:
        example = ambiguous_bbq[scenario.category, scenario.source["example_id"]]
        answer = example[f"ans{scenario.source['answer_index']}"]
        assert scenario.scenario == (
            f"Context: {example['context']}\nQuestion: {example['question']}\nAnswer: {answer}"
        )
