"""The shared data folder the tests read (../shared/data or HVSB_TEST_DATA_DIR)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
# What every model-running test sets: nothing may come from a hub.
OFFLINE = {
    "HF_HUB_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HVSB_NO_DOWNLOAD": "1",
}


def shared_data_dir() -> Path:
    """The shared data folder, or a skip naming where it was looked for."""
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
