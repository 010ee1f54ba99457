"""Shared fixtures: the shared data dir, the embedded model, and skips that say why."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# Session fixtures on the shared data (built scenarios, raw BBQ), shared by test folders.
pytest_plugins = ["hvsb_scenario_fixtures"]


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """../shared/data (or HVSB_TEST_DATA_DIR); the tests that need it skip if it is absent."""
    path = Path(os.environ.get("HVSB_TEST_DATA_DIR") or REPO.parent / "shared" / "data")
    if not path.is_dir():
        pytest.skip(f"shared data folder not found at {path}")
    return path


def need_file(data_dir: Path, relpath: str) -> Path:
    """The data file, or a skip naming the missing file."""
    path = data_dir / relpath
    if not path.is_file():
        pytest.skip(f"{relpath} is not in {data_dir}")
    return path


@pytest.fixture(scope="session")
def model_path() -> Path:
    """The prepared embedded model (prepared once if needed: ~40 s on CPU)."""
    from hvsb import models

    return models.prepare()
