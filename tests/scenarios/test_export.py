"""`hvsb scenarios export DIR`: a Hugging Face dataset folder that `datasets` loads offline,
holding the very scenarios `hvsb scenarios build` writes, which `select(dataset_path=)`
reads back validated, giving the same selection as the raw files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml
from support.cli import run_cli

from hvsb.data.catalogue import files_for
from hvsb.errors import DataFileError, HvsbError
from hvsb.jsonl import read_jsonl
from hvsb.scenarios import DATASETS, select
from hvsb.scenarios.export import MARKER, export
from hvsb.scenarios.record import SCENARIO_FIELDS


def card(folder: Path) -> tuple[dict, str]:
    """(YAML header, Markdown body) of the folder's README.md."""
    _, header, body = folder.joinpath("README.md").read_text(encoding="utf-8").split("---\n", 2)
    return yaml.safe_load(header), body


@pytest.mark.parametrize("dataset", DATASETS)
def test_load_dataset_gives_what_scenarios_build_writes(exported, data_dir, tmp_path, dataset):
    import datasets

    built_file = tmp_path / f"{dataset}.jsonl"
    code, _, err = run_cli(
        ["scenarios", "build", "--dataset", dataset, "--data-dir", str(data_dir)]
        + ["--out", str(built_file)]
    )
    assert code == 0, err
    records = {record["id"]: record for _, record in read_jsonl(built_file)}

    loaded = datasets.load_dataset(str(exported), dataset, split="test")

    assert loaded.column_names == list(SCENARIO_FIELDS)
    assert {name: feature.dtype for name, feature in loaded.features.items()} == dict.fromkeys(
        SCENARIO_FIELDS, "string"
    )
    rows = loaded.to_list()
    assert len(rows) == len(records)
    assert {row["id"]: row["scenario"] for row in rows} == {
        sid: record["scenario"] for sid, record in records.items()
    }
    for row in rows:  # every field, `source` back from its JSON text
        assert {**row, "source": json.loads(row["source"])} == records[row["id"]]


def test_the_card_declares_configs_features_licenses_and_counts(exported, built):
    header, body = card(exported)
    assert [c["config_name"] for c in header["configs"]] == list(DATASETS)
    for config in header["configs"]:
        [files] = config["data_files"]
        assert files["split"] == "test"
        assert len(list(exported.glob(files["path"]))) == 1, files["path"]
    assert set(header["license"]) == {"cc-by-4.0", "cc-by-sa-4.0", "apache-2.0"}
    for info in header["dataset_info"]:
        name = info["config_name"]
        assert [f["name"] for f in info["features"]] == list(SCENARIO_FIELDS)
        [split] = info["splits"]
        assert split["num_examples"] == len(built[name].scenarios)
        count = f"{len(built[name].scenarios):,}"
        assert any(line.startswith(f"| `{name}` |") and count in line for line in body.splitlines())
    licenses = {"bbq": "CC BY 4.0", "biasdpo": "Apache-2.0", "ss": "CC BY-SA 4.0"}
    licenses["cp"] = "CC BY-SA 4.0"
    license_section = body.split("## Licenses", 1)[1].split("##", 1)[0]
    for name, license_name in licenses.items():
        assert f"| `{name}` | {license_name} |" in license_section
    assert "share-alike" in license_section
    for key in ("parrish-etal-2022-bbq", "nadeem-etal-2021-stereoset", "nangia-etal-2020-crows"):
        assert f"@inproceedings{{{key}," in body
    assert "@inproceedings{allam-2024-biasdpo," in body
    assert "@inproceedings{liu-chu-2025-hvsb," in body
    for dataset in DATASETS:  # the shared data are the upstream files
        for entry in files_for(dataset):
            assert f"`{entry.sha256}` | yes |" in body, entry.relpath


SELECTIONS = [
    {"sample": "paper"},
    {"sample": "seeded", "limit": 40, "seed": 3},
    {"sample": "paper", "per_cell": 2, "seed": 1},
    {"sample": "seeded", "per_cell": 3, "gold_label": "biased"},
]


@pytest.mark.parametrize("dataset", DATASETS)
@pytest.mark.parametrize("options", SELECTIONS)
def test_selection_from_the_export_equals_the_raw_files(exported, data_dir, dataset, options):
    from_export = select(dataset, dataset_path=exported, **options)
    assert from_export == select(dataset, data_dir=data_dir, **options)
    assert from_export


@pytest.fixture
def cp_export(tmp_path, data_dir, offline, hf_datasets_cache) -> Path:
    """A fresh export of CrowS-Pairs only (small), for tests that break it."""
    return export(tmp_path / "cp-export", data_dir=data_dir, datasets=["cp"]).folder


def edit_row(folder: Path, row: int, **values: str) -> None:
    """Set fields of one row (1-based) of the cp config's Parquet file, in place."""
    [path] = folder.glob("cp/*.parquet")
    rows = pq.read_table(path).to_pylist()
    rows[row - 1].update(values)
    pq.write_table(pa.Table.from_pylist(rows, schema=pq.read_schema(path)), path)


@pytest.mark.parametrize(
    ("row", "values", "message"),
    [
        (
            3,
            {"gold_label": "maybe"},
            r"row 3: record '[^']+': gold_label 'maybe' \(expected biased",
        ),
        (2, {"source": "{not json"}, r"row 2: record '[^']+': field 'source' is not JSON"),
        (2, {"source": "[1]"}, r"row 2: record '[^']+': field 'source' is \[1\]"),
        (4, {"dataset": "ss"}, r"row 4: record '[^']+' has dataset 'ss' \(expected only cp"),
        (2, {"scenario": ""}, r"row 2: record '[^']+': field 'scenario' is ''"),
    ],
)
def test_a_bad_row_is_named_before_anything_runs(cp_export, row, values, message):
    edit_row(cp_export, row, **values)
    with pytest.raises(DataFileError, match=rf"cp-export \(config cp, split test\), {message}"):
        select("cp", dataset_path=cp_export)


def test_a_repeated_id_is_named(cp_export):
    first = select("cp", dataset_path=cp_export, sample="seeded")  # read while intact
    [path] = cp_export.glob("cp/*.parquet")
    first_id = pq.read_table(path).column("id")[0].as_py()
    assert first_id in {s.id for s in first}
    edit_row(cp_export, 5, id=first_id)
    with pytest.raises(DataFileError, match=rf"row 5: id '{first_id}' repeats the record on row 1"):
        select("cp", dataset_path=cp_export)


def test_a_missing_config_or_folder_is_named(cp_export, tmp_path):
    with pytest.raises(DataFileError, match=r"config bbq, split test\): cannot be read"):
        select("bbq", dataset_path=cp_export)
    with pytest.raises(DataFileError, match=r"nowhere \(config cp, split test\): cannot be read"):
        select("cp", dataset_path=tmp_path / "nowhere")


def test_dataset_path_is_one_source_not_two(cp_export, data_dir):
    with pytest.raises(HvsbError, match="dataset_path replaces data_dir and scenarios_file"):
        select("cp", dataset_path=cp_export, data_dir=data_dir)


def test_export_replaces_an_earlier_export_and_nothing_else(tmp_path, data_dir, offline):
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine", encoding="utf-8")
    code, _, err = run_cli(["scenarios", "export", str(folder), "--data-dir", str(data_dir)])
    assert code == 2 and "is not an hvsb scenarios export; not replaced" in err
    assert [p.name for p in folder.iterdir()] == ["notes.txt"]

    shutil.rmtree(folder)
    for datasets in (["cp", "ss"], ["cp"]):  # the second export replaces the first whole
        args = [arg for name in datasets for arg in ("--dataset", name)]
        code, _, err = run_cli(
            ["scenarios", "export", str(folder), "--data-dir", str(data_dir)] + args
        )
        assert code == 0, err
    header, _ = card(folder)
    assert [c["config_name"] for c in header["configs"]] == ["cp"]
    assert sorted(p.name for p in folder.iterdir()) == sorted([MARKER, "README.md", "cp"])
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no temporary folder left


def test_a_missing_dataset_writes_nothing(tmp_path, data_dir, offline):
    only_cp = tmp_path / "data" / "crows_pairs"
    only_cp.mkdir(parents=True)
    shutil.copy(data_dir / "crows_pairs" / "crows_pairs_anonymized.csv", only_cp)
    code, _, err = run_cli(
        ["scenarios", "export", str(tmp_path / "out"), "--data-dir", str(tmp_path / "data")]
    )
    assert code == 2 and "dataset 'bbq' is not available" in err
    assert not [p for p in tmp_path.iterdir() if "out" in p.name]  # nor a temporary folder


def test_each_folder_is_read_for_what_it_holds(tmp_path, data_dir, offline, hf_datasets_cache):
    """`datasets` caches a local folder under its name alone; hvsb must not read one
    folder's cached copy for another of the same name, nor for a re-export."""
    folders = [
        export(tmp_path / side / "hvsb-scenarios", data_dir=data_dir, datasets=["cp"]).folder
        for side in ("a", "b")
    ]
    first_id = select("cp", dataset_path=folders[0])[0].id
    for folder, text in zip(folders, ("edited in a", "edited in b"), strict=True):
        [path] = folder.glob("cp/*.parquet")
        row = next(
            n
            for n, sid in enumerate(pq.read_table(path).column("id").to_pylist(), 1)
            if sid == first_id
        )
        edit_row(folder, row, scenario=text)
    for folder, text in zip(folders, ("edited in a", "edited in b"), strict=True):
        assert select("cp", dataset_path=folder)[0].scenario == text
