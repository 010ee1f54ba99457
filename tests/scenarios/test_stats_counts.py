"""`hvsb scenarios stats` against counts made here from the raw files with plain json/csv.

Expected totals in the raw files (LICENSE-NOTES of the shared data): BBQ 29,246 ambiguous
examples (8 with target_loc NA), BiasDPO 1,145 rows, StereoSet 2,106 intrasentence
examples, CrowS-Pairs 1,508 pairs.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

Key = tuple[str, str | None, str | None, str, str | None, str]
KEYS = ("dataset", "category", "polarity", "answer_type", "target_type", "gold_label")


def _slip(record: dict, stereotype: int, unknown: int) -> bool:
    """target_loc and polarity name the "African" person, the other one's race is in
    stereotyped_groups ("Black"): BBQ's slip, where the group label decides."""
    race = {
        i: label.rsplit("-", 1)[-1] for i, (_, label) in enumerate(record["answer_info"].values())
    }
    other = 3 - stereotype - unknown
    groups = record["additional_metadata"]["stereotyped_groups"]
    return race[stereotype] == "African" and race[other] in groups


def _bbq_counts(ambiguous: dict, target_locs: dict) -> tuple[Counter[Key], set[str], set[str]]:
    """Every ambiguous example with a target_loc gives one stereotype, one nonstereotype
    (both biased) and one unknown (unbiased) scenario. The stereotype answer is target_loc
    on neg questions, the other named answer on nonneg ones (target_type nontarget), except
    on the slips, where it is the other one."""
    counts: Counter[Key] = Counter()
    na: set[str] = set()
    slips: set[str] = set()
    for (category, example_id), record in ambiguous.items():
        if target_locs[category, example_id] == "NA":
            na.add(f"bbq:{category}:{example_id}")
            continue
        polarity = record["question_polarity"]
        target = int(target_locs[category, example_id])
        unknown = next(
            i for i, (_, label) in enumerate(record["answer_info"].values()) if label == "unknown"
        )
        stereotype = target if polarity == "neg" else 3 - target - unknown
        if _slip(record, stereotype, unknown):
            slips.add(f"bbq:{category}:{example_id}")
            stereotype = 3 - stereotype - unknown
        stereotype_target = "target" if stereotype == target else "nontarget"
        other_target = "nontarget" if stereotype == target else "target"
        counts["bbq", category, polarity, "stereotype", stereotype_target, "biased"] += 1
        counts["bbq", category, polarity, "nonstereotype", other_target, "biased"] += 1
        counts["bbq", category, polarity, "unknown", "unknown", "unbiased"] += 1
    return counts, na, slips


def _biasdpo_counts(path: Path) -> Counter[Key]:
    rows = sum(1 for line in path.open(encoding="utf-8") if line.strip())
    return Counter(
        {
            ("biasdpo", None, None, "rejected", None, "biased"): rows,
            ("biasdpo", None, None, "chosen", None, "unbiased"): rows,
        }
    )


def _ss_counts(path: Path) -> Counter[Key]:
    counts: Counter[Key] = Counter()
    direction = {"stereotype": "pro", "anti-stereotype": "anti"}
    for example in json.loads(path.read_text(encoding="utf-8"))["data"]["intrasentence"]:
        for sentence in example["sentences"]:
            if sentence["gold_label"] in direction:
                answer_type = direction[sentence["gold_label"]]
                counts["ss", example["bias_type"], None, answer_type, None, "biased"] += 1
    return counts


def _cp_counts(path: Path) -> Counter[Key]:
    counts: Counter[Key] = Counter()
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            counts["cp", row["bias_type"], None, "pro", None, "biased"] += 1
            counts["cp", row["bias_type"], None, "anti", None, "biased"] += 1
    return counts


@pytest.fixture(scope="session")
def raw_counts(data_dir, ambiguous_bbq, target_locs) -> tuple[Counter[Key], set[str], set[str]]:
    for relpath in ("biasdpo/dataset.jsonl", "stereoset/dev.json"):
        if not (data_dir / relpath).is_file():
            pytest.skip(f"{relpath} is not in {data_dir}")
    counts, na, slips = _bbq_counts(ambiguous_bbq, target_locs)
    counts += _biasdpo_counts(data_dir / "biasdpo" / "dataset.jsonl")
    counts += _ss_counts(data_dir / "stereoset" / "dev.json")
    counts += _cp_counts(data_dir / "crows_pairs" / "crows_pairs_anonymized.csv")
    return counts, na, slips


def _per_dataset(counts: Counter[Key]) -> dict[str, int]:
    totals: Counter[str] = Counter()
    for key, n in counts.items():
        totals[key[0]] += n
    return dict(totals)


def test_raw_files_have_the_documented_sizes(raw_counts, ambiguous_bbq):
    counts, na, slips = raw_counts
    assert len(ambiguous_bbq) == 29_246
    assert len(na) == 8
    assert len(slips) == 34
    assert _per_dataset(counts) == {
        "bbq": (29_246 - 8) * 3,
        "biasdpo": 1_145 * 2,
        "ss": 2_106 * 2,
        "cp": 1_508 * 2,
    }


def test_stats_json_equals_independent_count(stats_json, raw_counts):
    counts, na, slips = raw_counts
    reported = Counter({tuple(r[k] for k in KEYS): r["count"] for r in stats_json["counts"]})
    assert reported == counts
    assert {item["id"] for item in stats_json["unmatched"]} == na
    assert {item["reason"] for item in stats_json["unmatched"]} == {
        "target_loc is NA in additional_metadata.csv"
    }
    assert {item["id"] for item in stats_json["corrections"]} == slips
    assert {item["dataset"] for item in stats_json["corrections"]} == {"bbq"}
    assert all("the group label decides" in item["reason"] for item in stats_json["corrections"])
    assert stats_json["notes"] == []


def test_stats_text_output_in_a_subprocess(data_dir, raw_counts, tmp_path):
    """The installed entry point, as a user runs it: table rows and the total line."""
    env = {**os.environ, "HVSB_CACHE": str(tmp_path), "HVSB_NO_DOWNLOAD": "1"}
    env.pop("HVSB_DATA_DIR", None)
    completed = subprocess.run(
        [sys.executable, "-m", "hvsb.cli", "scenarios", "stats", "--dataset", "cp"]
        + ["--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr
    lines = completed.stdout.splitlines()
    assert lines[0].split() == [*KEYS, "count"]
    rows = {}
    for line in lines[1:]:
        if not line.strip():
            break
        dataset, category, polarity, answer_type, target_type, gold, count = line.split()
        assert polarity == target_type == "-"
        rows[dataset, category, None, answer_type, None, gold] = int(count)
    expected = {k: n for k, n in raw_counts[0].items() if k[0] == "cp"}
    assert rows == expected
    assert f"total: cp {sum(expected.values())}" in lines


def test_stats_text_lists_left_out_and_corrected_examples(data_dir, raw_counts, offline, cli):
    """The BBQ table shows both notions; the 8 NA and the 34 slips are listed with reasons."""
    _, na, slips = raw_counts
    code, out, _ = cli(["scenarios", "stats", "--dataset", "bbq", "--data-dir", str(data_dir)])
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == [*KEYS, "count"]
    rows = [line.split() for line in lines[1 : lines.index("")]]
    assert ["bbq", "Age", "nonneg", "stereotype", "nontarget", "biased"] in [r[:6] for r in rows]

    def listed(header: str, count: int) -> dict[str, str]:
        start = lines.index(header) + 1
        items = [line.strip().split(": ", 1) for line in lines[start : start + count]]
        return dict(items)

    left_out = listed("8 example(s) left out (no stereotyped answer could be identified):", 8)
    assert set(left_out) == na
    header = "34 example(s) whose stereotype answer follows the group label, not BBQ's target_loc:"
    corrected = listed(header, 34)
    assert set(corrected) == slips
    assert all(reason.endswith("the group label decides") for reason in corrected.values())
