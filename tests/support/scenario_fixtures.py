"""Session fixtures on the shared data, for every test folder that reads it (a pytest
plugin: tests/conftest.py names it in `pytest_plugins`, so each is built once a session)."""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from hvsb.scenarios import DATASETS, BuildResult, build

# Where hvsb looks for data and models, and the data consents, as the session began:
# tests/scenarios/test_session_fixtures.py checks that nothing before it kept a change.
WATCHED_ENV = (
    "HVSB_CACHE",
    "HVSB_DATA_DIR",
    "HVSB_DATA_URL",
    "HVSB_ALLOW_MODIFIED_DATA",
    "HVSB_ALLOW_PARTIAL_DATA",
)
ENV_AT_START = {name: os.environ.get(name) for name in WATCHED_ENV}


def offline_env(patch: pytest.MonkeyPatch, cache: Path) -> None:
    """No HVSB_DATA_DIR, an empty cache, no downloads: only the given data dir counts."""
    patch.setenv("HVSB_CACHE", str(cache))
    patch.setenv("HVSB_NO_DOWNLOAD", "1")
    for name in ("HVSB_DATA_DIR", "HVSB_DATA_URL"):
        patch.delenv(name, raising=False)


@contextmanager
def offline_while(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """`offline_env` for the body only: a session fixture builds under it, and the
    environment is restored before any other test runs (a session-long HVSB_CACHE sent
    every later test, and the servers they start, to an empty model cache)."""
    with pytest.MonkeyPatch.context() as patch:
        offline_env(patch, tmp_path_factory.mktemp("cache"))
        yield


@pytest.fixture(scope="session")
def built(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, BuildResult]:
    """Every dataset built once from the shared data (BBQ alone takes ~2 s)."""
    with offline_while(tmp_path_factory):
        return {dataset: build(dataset, data_dir) for dataset in DATASETS}


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
