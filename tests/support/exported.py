"""Session fixtures for the scenarios dataset: one `hvsb scenarios export` of the shared
data, and a private `datasets` cache for reading it (a pytest plugin, named in
tests/conftest.py's `pytest_plugins`)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from hvsb.data.catalogue import CATALOGUE
from support.cli import run_cli
from support.data import need_file
from support.scenario_fixtures import offline_while


@pytest.fixture(scope="session")
def hf_datasets_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """`datasets.load_dataset` keeps an Arrow copy of what it reads: here, not in ~/.cache
    (in this process and in the subprocesses the tests start)."""
    import datasets

    path = tmp_path_factory.mktemp("hf-datasets")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(datasets.config, "HF_DATASETS_CACHE", path)
        patch.setenv("HF_DATASETS_CACHE", str(path))
        yield path


@pytest.fixture(scope="session")
def exported(tmp_path_factory: pytest.TempPathFactory, data_dir: Path, hf_datasets_cache) -> Path:
    """The four datasets of the shared data, written by the real `hvsb scenarios export`."""
    for entry in CATALOGUE:
        need_file(data_dir, entry.relpath)
    folder = tmp_path_factory.mktemp("export") / "hvsb-scenarios"
    with offline_while(tmp_path_factory):
        code, _out, err = run_cli(["scenarios", "export", str(folder), "--data-dir", str(data_dir)])
    assert code == 0, err
    return folder
