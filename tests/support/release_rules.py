"""The paper release's scenario construction, re-written from its facts for the fidelity
tests (PROTOCOL §1; ku-nlp/Evaluate-Alignment-HVSB, preprocess/). Nothing here uses
hvsb's builders: the tests compare two independent readings of the same raw files.

BBQ: the release names an answer's groups through a hand-written map per category and
calls an answer the stereotype one when those groups meet `stereotyped_groups`, the
unknown one when they are "unknown", the non-stereotype one otherwise, in `answer_info`
order (a later answer overwrites an earlier one of the same kind). Its map is restated
here as rules plus the exceptions it makes, on the group labels that occur in the data:
every such label has an entry except the empty label of 172 Race_x_gender answers, on
which the release crashes (KeyError).
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

RELEASE_CAP = {"ss": 200, "cp": 200}  # sentences / pairs per bias type (and direction for SS)

_DISABILITIES = frozenset(
    {
        "Down's syndrome",
        "people with blindness or low-vision",
        "people with cognitive disabilities or mental illness",
        "autistic people",
        "disabled",
        "D/deaf",
        "people with cerebral palsy",
        "mentally-ill",
        "physically disabled",
    }
)
_MIDDLE_EAST = frozenset({"Iranian", "Saudi", "Palestinian", "Iraqi", "Syrian", "Afghan", "Yemeni"})
_ARAB_STATES = frozenset({"ArabStates", "Yemeni", "Libyan", "Syrian", "Iraqi", "Saudi", "Moroccan"})
_ASIA_PACIFIC = frozenset(
    {
        "Burmese",
        "Sri Lankan",
        "Japanese",
        "Pakistani",
        "Chinese",
        "Vietnamese",
        "Korean",
        "Indian",
        "Indonesian",
        "Thai",
    }
    | _MIDDLE_EAST - {"Iranian"}
)
_AFRICAN = frozenset(
    {"Eritrean", "Mozambican", "Guinean", "Ethiopian", "Namibian", "Kenyan", "Malian", "Nigerian"}
)
_EUROPE = frozenset({"British", "Italian", "Irish"})
# The release gives both LatinSouthAmerica and Africa the same list: every nationality.
_EVERY_NATIONALITY = (
    _EUROPE
    | {"American"}
    | (_ARAB_STATES - {"ArabStates"})
    | _ASIA_PACIFIC
    | _MIDDLE_EAST
    | _AFRICAN
)
_NATIONALITY = {
    "Europe": _EUROPE,
    "NorthAmerica": frozenset({"American"}),
    "ArabStates": _ARAB_STATES,
    "AsiaPacific": _ASIA_PACIFIC,
    "MiddleEast": _MIDDLE_EAST,
    "LatinSouthAmerica": _EVERY_NATIONALITY,
    "Africa": _EVERY_NATIONALITY,
}
_GENDER_IDENTITY = {
    "girl": "F",
    "woman": "F",
    "boy": "M",
    "man": "M",
    "trans_F": "transgender women",
    "trans_M": "transgender men",
}
# Race_x_SES: the release's map renames these races (so they never meet a group).
_RACE_X_SES = {"Middle Eastern": "Eastern", "Native American": "American"}


class ReleaseCrash(Exception):
    """The release's map has no entry for this group label."""


def release_groups(category: str, label: str) -> frozenset[str]:
    """The group names the release's map gives one answer's group label."""
    if label == "":
        raise ReleaseCrash(f"{category}: empty group label")
    if label == "unknown":
        return frozenset({"unknown"})
    if category == "Nationality":
        return _NATIONALITY[label]
    if category == "Disability_status" and label == "disabled":
        return _DISABILITIES
    if category == "Gender_identity":
        return frozenset({_GENDER_IDENTITY.get(label, label)})
    if category == "SES" and label == "lowSES":
        return frozenset({"low SES"})
    if not category.startswith("Race"):
        return frozenset({label})
    ses, _, rest = label.partition("SES-")
    bare = rest if ses in ("low", "high") else label
    if bare[:2] in ("M-", "F-"):
        bare = bare[2:]
    if category == "Race_x_SES" and bare == "South American":
        return frozenset({"American" if ses == "high" else ""})
    if category == "Race_x_SES":
        bare = _RACE_X_SES.get(bare, bare)
    return frozenset({bare})


def release_answers(example: dict) -> tuple[int | None, int | None, int | None]:
    """(stereotype, non-stereotype, unknown) answer indices as the release picks them;
    None where it leaves that answer empty. Raises ReleaseCrash where it crashes."""
    stereotyped = set(example["additional_metadata"]["stereotyped_groups"])
    stereotype = nonstereotype = unknown = None
    for key, (_, label) in example["answer_info"].items():
        index = int(key.removeprefix("ans"))
        groups = release_groups(example["category"], label)
        if groups & stereotyped:
            stereotype = index
        elif "unknown" in groups:
            unknown = index
        else:
            nonstereotype = index
    return stereotype, nonstereotype, unknown


def stereotype_by_target(example: dict, target_loc: int) -> int:
    """PROTOCOL's reading of target_loc: the target on negative questions, the other named
    answer on non-negative ones."""
    if example["question_polarity"] == "neg":
        return target_loc
    unknown = next(i for i in range(3) if example["answer_info"][f"ans{i}"][1] == "unknown")
    return 3 - target_loc - unknown


# BiasDPO -------------------------------------------------------------------------------


def biasdpo_rows(path: Path) -> dict[str, tuple[str, str]]:
    """id -> (scenario, gold): `{prompt} {rejected}` biased, `{prompt} {chosen}` unbiased,
    rows numbered from 0 in file order (the release numbers the dataset's rows)."""
    expected = {}
    with path.open(encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle if line.strip()]
    for row, record in enumerate(rows):
        expected[f"biasdpo:{row}:rejected"] = (f"{record['prompt']} {record['rejected']}", "biased")
        expected[f"biasdpo:{row}:chosen"] = (f"{record['prompt']} {record['chosen']}", "unbiased")
    return expected


# SS / CP sample ------------------------------------------------------------------------


def ss_release_sample(path: Path, cap: int = RELEASE_CAP["ss"]) -> dict[str, str]:
    """id -> sentence: per bias type the first `cap` stereotype and the first `cap`
    anti-stereotype intrasentence sentences, in file order."""
    directions = {"stereotype": "pro", "anti-stereotype": "anti"}
    taken: Counter[tuple[str, str]] = Counter()
    chosen = {}
    for example in json.loads(path.read_text(encoding="utf-8"))["data"]["intrasentence"]:
        for sentence in example["sentences"]:
            direction = directions.get(sentence["gold_label"])
            if direction is None or taken[example["bias_type"], direction] >= cap:
                continue
            taken[example["bias_type"], direction] += 1
            chosen[f"ss:{example['id']}:{direction}"] = sentence["sentence"]
    return chosen


def cp_release_sample(path: Path, cap: int = RELEASE_CAP["cp"]) -> dict[str, str]:
    """id -> sentence: per bias type the first `cap` rows in file order, each giving its
    stereotype sentence (pro) and the other one (anti)."""
    taken: Counter[str] = Counter()
    chosen = {}
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if taken[row["bias_type"]] >= cap:
                continue
            taken[row["bias_type"]] += 1
            more_is_pro = row["stereo_antistereo"] == "stereo"
            pro, anti = (row["sent_more"], row["sent_less"])[:: 1 if more_is_pro else -1]
            chosen[f"cp:{row['']}:pro"] = pro
            chosen[f"cp:{row['']}:anti"] = anti
    return chosen
