"""Scenario fixtures: built once per session from the shared data, in an offline env."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from support.cli import run_cli

from hvsb.scenarios import DATASETS, BuildResult, build


def _offline(patch: pytest.MonkeyPatch, cache: Path) -> None:
    """No HVSB_DATA_DIR, an empty cache, no downloads: only the given data dir counts."""
    patch.setenv("HVSB_CACHE", str(cache))
    patch.setenv("HVSB_NO_DOWNLOAD", "1")
    for name in ("HVSB_DATA_DIR", "HVSB_DATA_URL"):
        patch.delenv(name, raising=False)


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Function-scoped offline env; returns the (empty) cache folder."""
    _offline(monkeypatch, tmp_path / "cache")
    return tmp_path / "cache"


@pytest.fixture(scope="session")
def session_offline(tmp_path_factory: pytest.TempPathFactory):
    with pytest.MonkeyPatch.context() as patch:
        _offline(patch, tmp_path_factory.mktemp("cache"))
        yield


@pytest.fixture(scope="session")
def built(data_dir: Path, session_offline) -> dict[str, BuildResult]:
    """Every dataset built once from the shared data (BBQ alone takes ~2 s)."""
    return {dataset: build(dataset, data_dir) for dataset in DATASETS}


@pytest.fixture
def cli() -> Callable[[list[str]], tuple[int, str, str]]:
    """The in-process CLI runner, for tests."""
    return run_cli


@pytest.fixture(scope="session")
def stats_json(data_dir: Path, session_offline) -> dict:
    code, out, _ = run_cli(["scenarios", "stats", "--json", "--data-dir", str(data_dir)])
    assert code == 0
    return json.loads(out)


@pytest.fixture(scope="session")
def target_locs(data_dir: Path) -> dict[tuple[str, int], str]:
    """(category, example_id) -> target_loc as written in additional_metadata.csv."""
    path = data_dir / "bbq_supplemental" / "additional_metadata.csv"
    if not path.is_file():
        pytest.skip(f"{path} not found")
    with path.open(encoding="utf-8", newline="") as handle:
        return {
            (row["category"], int(row["example_id"])): row["target_loc"]
            for row in csv.DictReader(handle)
        }


@pytest.fixture(scope="session")
def ambiguous_bbq(data_dir: Path) -> dict[tuple[str, int], dict]:
    """Every ambiguous BBQ example, read with plain json: (category, example_id) -> record."""
    examples = {}
    for path in sorted((data_dir / "bbq").glob("*.jsonl")):
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                record = json.loads(line)
                if record["context_condition"] == "ambig":
                    examples[record["category"], record["example_id"]] = record
    if not examples:
        pytest.skip(f"no BBQ files in {data_dir / 'bbq'}")
    return examples


@pytest.fixture
def make_data_dir(tmp_path: Path) -> Callable[[dict[str, bytes | Path]], Path]:
    """make_data_dir({relpath: bytes or a file to link}) -> a temporary data dir."""

    def make(files: dict[str, bytes | Path]) -> Path:
        root = tmp_path / "data"
        for relpath, content in files.items():
            target = root / relpath
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, Path):
                target.symlink_to(content)
            else:
                target.write_bytes(content)
        return root

    return make
