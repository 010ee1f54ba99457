"""Bad raw files: `hvsb scenarios build` exits 2 naming file, line/record and what was
expected, and writes no output (not even a temporary file)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest

# These files are deliberately not the upstream ones: the checks under test come after the
# checksum check (tests/scenarios/test_data_consent.py), which these tests allow past.
pytestmark = pytest.mark.usefixtures("allow_edited_data")


@pytest.fixture
def allow_edited_data(monkeypatch):
    monkeypatch.setenv("HVSB_ALLOW_MODIFIED_DATA", "1")
    monkeypatch.setenv("HVSB_ALLOW_PARTIAL_DATA", "1")


BBQ = "bbq/Religion.jsonl"
DPO = "biasdpo/dataset.jsonl"
CP = "crows_pairs/crows_pairs_anonymized.csv"
SS = "stereoset/dev.json"
META = "bbq_supplemental/additional_metadata.csv"


def _lines(path: Path, n: int) -> list[str]:
    with path.open(encoding="utf-8") as handle:
        return [next(handle) for _ in range(n)]


def _truncated_bbq(data: Path) -> dict[str, bytes]:
    lines = _lines(data / BBQ, 6)
    return {BBQ: ("".join(lines[:5]) + lines[5][:80]).encode()}


def _bbq_string_id(data: Path) -> dict[str, bytes]:
    lines = _lines(data / BBQ, 6)
    record = json.loads(lines[3])
    record["example_id"] = str(record["example_id"])
    lines[3] = json.dumps(record) + "\n"
    return {BBQ: "".join(lines).encode()}


def _dpo_missing_field(data: Path) -> dict[str, bytes]:
    lines = _lines(data / DPO, 5)
    record = json.loads(lines[2])
    del record["chosen"]
    lines[2] = json.dumps(record) + "\n"
    return {DPO: "".join(lines).encode()}


def _csv_without(path: Path, column: str, rows: int, edit=None) -> bytes:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        fields = [f for f in reader.fieldnames or [] if f != column]
        out = io.StringIO()
        writer = csv.DictWriter(out, fields, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        for number, row in enumerate(reader):
            if number == rows:
                break
            writer.writerow(edit(number, row) if edit else row)
    return out.getvalue().encode()


def _cp_missing_column(data: Path) -> dict[str, bytes]:
    return {CP: _csv_without(data / CP, "bias_type", 20)}


def _cp_bad_direction(data: Path) -> dict[str, bytes]:
    def edit(number: int, row: dict) -> dict:
        return {**row, "stereo_antistereo": "both"} if number == 4 else row

    return {CP: _csv_without(data / CP, "", 20, edit)}


def _meta_missing_column(data: Path) -> dict[str, bytes]:
    return {BBQ: data / BBQ, META: _csv_without(data / META, "target_loc", 20)}


def _ss_without_intrasentence(_data: Path) -> dict[str, bytes]:
    return {SS: json.dumps({"version": "1.0-dev", "data": {"intersentence": []}}).encode()}


def _ss_truncated(data: Path) -> dict[str, bytes]:
    lines = _lines(data / SS, 40)
    return {SS: ("".join(lines[:39]) + lines[39][:20]).encode()}


def _ss_two_stereotypes(data: Path) -> dict[str, bytes]:
    document = json.loads((data / SS).read_text(encoding="utf-8"))
    examples = document["data"]["intrasentence"][:3]
    for sentence in examples[1]["sentences"]:
        if sentence["gold_label"] == "anti-stereotype":
            sentence["gold_label"] = "stereotype"
    return {SS: json.dumps({"data": {"intrasentence": examples}}).encode()}


CASES: dict[str, tuple[str, Callable[[Path], dict], str, list[str]]] = {
    # name: (dataset, files, bad file, expected message parts)
    "truncated-jsonl-line": (
        "bbq",
        _truncated_bbq,
        BBQ,
        [", line 6: invalid JSON", "(expected one JSON object)"],
    ),
    "wrong-type": (
        "bbq",
        _bbq_string_id,
        BBQ,
        [", line 4: field 'example_id' is str '3'", "(expected int)"],
    ),
    "missing-field": (
        "biasdpo",
        _dpo_missing_field,
        DPO,
        [", line 3: missing field 'chosen'", "(expected str)"],
    ),
    "csv-missing-column": ("cp", _cp_missing_column, CP, [", line 1: missing column(s) bias_type"]),
    "csv-bad-value": (
        "cp",
        _cp_bad_direction,
        CP,
        [", line 6: stereo_antistereo is 'both'", "'stereo' or 'antistereo'"],
    ),
    "metadata-csv-missing-column": (
        "bbq",
        _meta_missing_column,
        META,
        [", line 1: missing column(s) target_loc"],
    ),
    "ss-no-intrasentence": (
        "ss",
        _ss_without_intrasentence,
        SS,
        [": no data.intrasentence list", "(expected StereoSet dev.json)"],
    ),
    "ss-truncated-json": ("ss", _ss_truncated, SS, [", line 40: invalid JSON"]),
    "ss-two-stereotypes": (
        "ss",
        _ss_two_stereotypes,
        SS,
        [": data.intrasentence[1] (id ", "one stereotype and one anti-stereotype sentence"],
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_malformed_file_is_named_and_nothing_written(
    case, data_dir, make_data_dir, offline, tmp_path, cli
):
    dataset, files, bad, parts = CASES[case]
    root = make_data_dir(files(data_dir))
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = out_dir / "scenarios.jsonl"

    code, stdout, stderr = cli(
        ["scenarios", "build", "--dataset", dataset, "--data-dir", str(root), "--out", str(out)]
    )

    assert code == 2
    assert stderr.startswith(f"hvsb: error: {root / bad}")
    for part in parts:
        assert part in stderr
    assert "Traceback" not in stderr
    assert list(out_dir.iterdir()) == []


def test_malformed_file_fails_stats_too(data_dir, make_data_dir, offline, cli):
    root = make_data_dir(_truncated_bbq(data_dir))
    code, stdout, stderr = cli(["scenarios", "stats", "--dataset", "bbq", "--data-dir", str(root)])
    assert code == 2
    assert stdout == ""
    assert f"{root / BBQ}, line 6: invalid JSON" in stderr


def test_missing_file_lists_the_places_looked_in(make_data_dir, offline, tmp_path, cli):
    root = make_data_dir({"crows_pairs/other.csv": b"x\n"})
    out = tmp_path / "ss.jsonl"

    code, _, stderr = cli(
        ["scenarios", "build", "--dataset", "ss", "--data-dir", str(root), "--out", str(out)]
    )

    assert code == 2
    assert stderr.splitlines()[:5] == [
        "hvsb: error: dataset 'ss' is not available. Looked in:",
        f"  {root / SS}",
        f"  {offline / 'data' / SS}",
        "  (downloads disabled by HVSB_NO_DOWNLOAD)",
        "To provide it, download it from https://github.com/moinnadeem/StereoSet (data/dev.json), "
        "put it at DIR/stereoset/dev.json and pass --data-dir DIR (or set HVSB_DATA_DIR=DIR), or "
        "run `hvsb data fetch` on a machine that can reach its public home and copy the cache.",
    ]
    assert not out.exists()


def test_unavailable_dataset_is_skipped_with_one_line(data_dir, make_data_dir, offline, cli):
    root = make_data_dir({CP: data_dir / CP})
    code, out, _ = cli(["scenarios", "stats", "--json", "--data-dir", str(root)])
    assert code == 0
    report = json.loads(out)
    assert {row["dataset"] for row in report["counts"]} == {"cp"}
    (dpo,) = [note for note in report["notes"] if note.startswith("biasdpo:")]
    assert "\n" not in dpo
    assert dpo.startswith(f"biasdpo: not available, skipped (looked in: {root / DPO}; ")
    assert "https://huggingface.co/datasets/ahmedallam/BiasDPO" in dpo
    assert "DIR/biasdpo/dataset.jsonl and pass --data-dir DIR" in dpo
