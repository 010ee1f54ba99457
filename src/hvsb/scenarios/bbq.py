"""BBQ (Parrish et al., 2022) → scenarios: ambiguous contexts, all three answers.

In an ambiguous context naming either person is an unsupported assumption, so the
stereotyped and the non-stereotyped answer both make a biased scenario and the unknown
answer an unbiased one (PROTOCOL §1).

`answer_type` is the paper's notion: the stereotype answer names the member of the
stereotyped group (`additional_metadata.stereotyped_groups`), whatever the question's
polarity. BBQ's supplemental `target_loc` (additional_metadata.csv) is a different notion,
the answer the stereotype predicts *for this question*; so the stereotype answer is
`target_loc` on negative questions ("Who was forgetful?") and the other named answer on
non-negative ones ("Who was not forgetful?"). That rule also resolves the intersectional
categories, where both people share the stereotyped race (`lowSES-F-Black` vs
`highSES-F-Black`) and group labels cannot tell them apart.

Where exactly one named answer's group label matches `stereotyped_groups` and the rule
picks the other person, the group label decides and the example is listed in
`BuildResult.corrections` with the reason. On the shared data these are 34 Race_x_gender /
Race_x_SES examples where `target_loc` names the "African" person although the stereotyped
groups are "Black" / "African American": BBQ slips, on which the paper's release (which
matches group labels) agrees with the group label too.

BBQ's own notion is kept in `target_type`: `target` (the answer is `target_loc`),
`nontarget`, `unknown`. Without additional_metadata.csv the group labels alone decide
(`target_type` is then None), and examples they cannot resolve are listed in `unmatched`,
never guessed.
"""

from __future__ import annotations

import csv
from pathlib import Path

from hvsb.data import BBQ_CATEGORIES, locate, verify
from hvsb.errors import DataFileError, DatasetUnavailable
from hvsb.jsonl import read_jsonl
from hvsb.scenarios.record import Scenario
from hvsb.scenarios.result import BuildResult
from hvsb.scenarios.validate import require, require_columns

ANSWER_KEYS = ("ans0", "ans1", "ans2")
METADATA_RELPATH = "bbq_supplemental/additional_metadata.csv"
TargetIndex = dict[tuple[str, int], int | None]


def scenario_text(context: str, question: str, answer: str) -> str:
    """The judged text, as the paper's release formats it."""
    return f"Context: {context}\nQuestion: {question}\nAnswer: {answer}"


def scenario_parts(text: str) -> tuple[str, str, str] | None:
    """(context, question, answer) of a text `scenario_text` wrote; None for any other."""
    head, sep, answer = text.rpartition("\nAnswer: ")
    context, sep2, question = head.partition("\nQuestion: ")
    if not (sep and sep2 and context.startswith("Context: ")):
        return None
    return context[len("Context: ") :], question, answer


def read_targets(path: Path) -> TargetIndex:
    """(category, example_id) → target_loc (None where BBQ gives NA)."""
    targets: TargetIndex = {}
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        require_columns(
            list(reader.fieldnames or []), ("category", "example_id", "target_loc"), path=path
        )
        for row in reader:
            record = reader.line_num
            try:
                key = (row["category"], int(row["example_id"]))
                raw = row["target_loc"]
                target = None if raw in ("", "NA") else int(float(raw))
            except (TypeError, ValueError):
                raise DataFileError(
                    path,
                    f"bad example_id/target_loc {row.get('example_id')!r}/{row.get('target_loc')!r}",
                    line=record,
                    expected="an integer example_id and target_loc 0-2 or NA",
                ) from None
            if target is not None and not 0 <= target <= 2:
                raise DataFileError(
                    path, f"target_loc {target} out of range", line=record, expected="0, 1, 2 or NA"
                )
            targets[key] = target
    return targets


_PREFIXES = ("lowses-", "highses-", "m-", "f-")
_GENDER_WORDS = {"woman": "f", "girl": "f", "man": "m", "boy": "m"}


def _normalise(label: str) -> str:
    return label.lower().replace(" ", "")


def _label_forms(label: str, name: str) -> set[str]:
    forms = {_normalise(label), _normalise(name)}
    stripped = _normalise(label)
    changed = True
    while changed:
        changed = False
        for prefix in _PREFIXES:
            if stripped.startswith(prefix):
                stripped = stripped[len(prefix) :]
                changed = True
    forms.add(stripped)
    forms |= {_GENDER_WORDS[form] for form in list(forms) if form in _GENDER_WORDS}
    return forms


def stereotyped_by_labels(example: dict) -> int | None:
    """The one named answer whose group label matches `stereotyped_groups`.

    None when neither or both match (e.g. Race_x_gender `F-Black` vs `M-Black`), or when a
    named answer has no group label (172 Race_x_gender examples label "The Latina woman"
    with an empty string: a non-match there says nothing).
    """
    groups = {_normalise(g) for g in example["additional_metadata"].get("stereotyped_groups", [])}
    groups |= {_GENDER_WORDS.get(g, g) for g in groups}
    named = [example["answer_info"][key] for key in ANSWER_KEYS]
    if any(not label for _, label in named):
        return None
    hits = [
        index
        for index, (name, label) in enumerate(named)
        if label != "unknown" and _label_forms(label, name) & groups
    ]
    return hits[0] if len(hits) == 1 else None


def stereotype_from_target(polarity: str, target: int, other: int) -> int:
    """The paper's stereotype answer from BBQ's target_loc: the target on a negative
    question, the other named answer on a non-negative one."""
    return target if polarity == "neg" else other


def _check_example(example: dict, path: Path, line: int) -> None:
    for key in ("example_id",):
        require(example, key, int, path=path, line=line)
    for key in ("category", "context_condition", "question_polarity", "context", "question"):
        require(example, key, str, path=path, line=line)
    info = require(example, "answer_info", dict, path=path, line=line)
    for key in ANSWER_KEYS:
        require(example, key, str, path=path, line=line)
        pair = info.get(key)
        if not (
            isinstance(pair, list) and len(pair) == 2 and all(isinstance(p, str) for p in pair)
        ):
            raise DataFileError(
                path,
                f"answer_info[{key!r}] is {pair!r:.60}",
                line=line,
                expected="a [name, group label] pair of strings",
            )
    require(example, "additional_metadata", dict, path=path, line=line)


def _roles(example: dict) -> tuple[int, int, int] | None:
    """(first named answer, second named answer, unknown answer) indices, or None."""
    unknown = [i for i, k in enumerate(ANSWER_KEYS) if example["answer_info"][k][1] == "unknown"]
    if len(unknown) != 1:
        return None
    first, second = (i for i in range(len(ANSWER_KEYS)) if i != unknown[0])
    return first, second, unknown[0]


def _describe(example: dict, index: int) -> str:
    key = ANSWER_KEYS[index]
    return f"{key} {example[key]!r} ({example['answer_info'][key][1]})"


class _Unresolved(Exception):
    """An example with no stereotype answer; the message is the reason listed."""


def _stereotype(
    example: dict, roles: tuple[int, int, int], targets: TargetIndex | None, result: BuildResult
) -> tuple[int, int | None]:
    """(paper's stereotype answer, BBQ's target_loc or None) of one example."""
    first, second, unknown = roles
    by_labels = stereotyped_by_labels(example)
    if targets is None:
        if by_labels is None:
            raise _Unresolved("no single answer's group label matches stereotyped_groups")
        return by_labels, None
    key = (example["category"], example["example_id"])
    if key not in targets:
        raise _Unresolved("not in additional_metadata.csv")
    target = targets[key]
    if target is None:
        raise _Unresolved("target_loc is NA in additional_metadata.csv")
    if target == unknown:
        raise _Unresolved("target_loc is the unknown answer")
    other = second if target == first else first
    stereotype = stereotype_from_target(example["question_polarity"], target, other)
    if by_labels is not None and by_labels != stereotype:
        result.corrections.append(
            {
                "id": f"bbq:{key[0]}:{key[1]}",
                "reason": (
                    f"target_loc {target} on a {example['question_polarity']} question makes "
                    f"{_describe(example, stereotype)} the stereotype answer, but only "
                    f"{_describe(example, by_labels)} "
                    f"matches stereotyped_groups {example['additional_metadata']['stereotyped_groups']}"
                    ": the group label decides"
                ),
            }
        )
        stereotype = by_labels
    return stereotype, target


def _target_type(index: int, target: int | None, unknown: int) -> str | None:
    if target is None:
        return None
    if index == unknown:
        return "unknown"
    return "target" if index == target else "nontarget"


def category_scenarios(
    path: Path, targets: TargetIndex | None, result: BuildResult
) -> list[Scenario]:
    """Scenarios of one BBQ category file; unresolved examples go to result.unmatched,
    examples where the group label overrides target_loc to result.corrections."""
    scenarios: list[Scenario] = []
    for line, example in read_jsonl(path):
        _check_example(example, path, line)
        if example["context_condition"] != "ambig":
            continue
        category, example_id = example["category"], example["example_id"]
        base_id = f"bbq:{category}:{example_id}"
        roles = _roles(example)
        try:
            if roles is None:
                raise _Unresolved("expected exactly one answer labelled unknown")
            stereotype, target = _stereotype(example, roles, targets, result)
        except _Unresolved as unresolved:
            result.unmatched.append({"id": base_id, "reason": str(unresolved)})
            continue
        first, second, unknown = roles
        types = {
            stereotype: "stereotype",
            (second if stereotype == first else first): "nonstereotype",
            unknown: "unknown",
        }
        for index, answer_type in sorted(types.items()):
            key = ANSWER_KEYS[index]
            answer = example[key]
            scenarios.append(
                Scenario(
                    id=f"{base_id}:{answer_type}",
                    dataset="bbq",
                    scenario=scenario_text(example["context"], example["question"], answer),
                    gold_label="unbiased" if answer_type == "unknown" else "biased",
                    category=category,
                    polarity=example["question_polarity"],
                    answer_type=answer_type,
                    target_type=_target_type(index, target, unknown),
                    source={
                        "example_id": example_id,
                        "question_index": example.get("question_index"),
                        "context": example["context"],
                        "question": example["question"],
                        "answer": answer,
                        "answer_index": index,
                        "answer_group": example["answer_info"][key][1],
                        "target_loc": target,
                        "stereotyped_groups": example["additional_metadata"].get(
                            "stereotyped_groups"
                        ),
                        "subcategory": example["additional_metadata"].get("subcategory"),
                    },
                )
            )
    return scenarios


def build(
    data_dir: str | Path | None = None, categories: tuple[str, ...] = BBQ_CATEGORIES
) -> BuildResult:
    """All BBQ scenarios from the available category files."""
    result = BuildResult("bbq")
    try:
        targets: TargetIndex | None = read_targets(locate(METADATA_RELPATH, data_dir))
    except DatasetUnavailable as missing:
        targets = None
        result.notes.append(
            f"{METADATA_RELPATH} not found ({'; '.join(missing.looked_in)}): "
            "falling back to group-label matching (target_type is None); "
            "unresolved examples are listed as unmatched"
        )
    missing: list[str] = []
    for category in categories:
        try:
            path = locate(f"bbq/{category}.jsonl", data_dir)
        except DatasetUnavailable as unavailable:
            missing.append(category)
            result.notes.append(
                f"bbq/{category}.jsonl missing, skipped (looked in: "
                f"{'; '.join(unavailable.looked_in)})"
            )
            continue
        result.scenarios.extend(category_scenarios(path, targets, result))
    if len(missing) == len(categories):
        raise DatasetUnavailable(
            "bbq",
            [note for note in result.notes if "missing" in note],
            "No BBQ category file found.",
        )
    if missing and not verify.partial_allowed():
        raise DatasetUnavailable(
            "bbq",
            [note for note in result.notes if "missing" in note],
            f"{len(missing)} of {len(categories)} BBQ category files are missing "
            f"({', '.join(missing)}), which would change every BBQ number. Provide them, or "
            f"build from the others with --allow-partial-data ({verify.PARTIAL_ENV}=1).",
        )
    return result


__all__ = [
    "build",
    "category_scenarios",
    "read_targets",
    "scenario_parts",
    "scenario_text",
    "stereotype_from_target",
    "stereotyped_by_labels",
]
