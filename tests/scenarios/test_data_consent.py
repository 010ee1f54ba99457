"""Data that is not the upstream data is refused unless the user allows it, and then every
output records it: an edited file (sha256), a BBQ with category files missing."""

from __future__ import annotations

import os
import shutil

import pytest

from hvsb.data.catalogue import entry
from hvsb.data.verify import sha256_of

DPO = "biasdpo/dataset.jsonl"


@pytest.fixture
def consent_unset(monkeypatch):
    """Neither consent given; whatever a CLI flag sets is undone after the test."""
    monkeypatch.delenv("HVSB_ALLOW_MODIFIED_DATA", raising=False)
    monkeypatch.delenv("HVSB_ALLOW_PARTIAL_DATA", raising=False)


@pytest.fixture
def edited(data_dir, tmp_path, offline, consent_unset):
    root = tmp_path / "data"
    (root / "biasdpo").mkdir(parents=True)
    shutil.copyfile(data_dir / DPO, root / DPO)
    with (root / DPO).open("ab") as handle:
        handle.write(b"\n")  # one more byte: a different file, as an edit would make
    return root


def test_an_edited_file_is_refused_with_both_checksums(edited, tmp_path, cli):
    out = tmp_path / "out.jsonl"
    code, _, err = cli(
        ["scenarios", "build", "--dataset", "biasdpo", "--data-dir", str(edited), "--out", str(out)]
    )
    assert code == 2 and not out.exists()
    assert f"{edited / DPO}: sha256 {sha256_of(edited / DPO)}" in err
    assert entry(DPO).sha256 in err and "--allow-modified-data" in err


def test_an_allowed_edit_is_used_and_recorded_everywhere(edited, tmp_path, cli, monkeypatch):
    out = tmp_path / "out.jsonl"
    argv = ["scenarios", "build", "--dataset", "biasdpo", "--data-dir", str(edited)]
    code, _, err = cli([*argv, "--out", str(out), "--allow-modified-data"])
    assert code == 0 and out.exists()
    assert f"differs from upstream ({DPO}), as allowed" in err
    # the flag holds for that command only (main() can run inside a longer process)
    assert "HVSB_ALLOW_MODIFIED_DATA" not in os.environ
    # with consent, the tasks of both ecosystems record it in what they write
    monkeypatch.setenv("HVSB_ALLOW_MODIFIED_DATA", "1")
    from hvsb.tasks.inspect.tasks import judge
    from hvsb.tasks.lm_eval.utils import judge_docs

    task = judge(dataset="biasdpo", data_dir=str(edited), max_scenarios=2)
    assert task.metadata["data_modified"] == [DPO]
    docs = judge_docs(dataset="biasdpo", data_dir=str(edited), max_scenarios=2)["test"]
    assert set(docs["data_modified"]) == {DPO}


def test_a_bbq_with_a_category_missing_is_refused_unless_allowed(
    data_dir, make_data_dir, offline, consent_unset, tmp_path, cli
):
    files = {f"bbq/{p.name}": p for p in sorted((data_dir / "bbq").glob("*.jsonl"))[1:]}
    files["bbq_supplemental/additional_metadata.csv"] = (
        data_dir / "bbq_supplemental" / "additional_metadata.csv"
    )
    root = make_data_dir(files)
    out = tmp_path / "bbq.jsonl"
    argv = ["scenarios", "build", "--dataset", "bbq", "--data-dir", str(root), "--out", str(out)]
    code, _, err = cli(argv)
    assert code == 2 and not out.exists()
    assert "1 of 11 BBQ category files are missing (Age)" in err and "--allow-partial-data" in err
    code, _, err = cli([*argv, "--allow-partial-data"])
    assert code == 0 and "bbq/Age.jsonl missing, skipped" in err
    assert "HVSB_ALLOW_PARTIAL_DATA" not in os.environ
