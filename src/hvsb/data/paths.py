"""Where a raw dataset file may be: the data dir, HVSB_DATA_DIR, hvsb's cache.

Pure path logic shared by `locate` (find or download one file) and `fetch` (download into
the cache); it imports neither, so the two never import each other.
"""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_cache_dir

from hvsb.data.catalogue import files_for

HOMES = {
    "bbq": "https://github.com/nyu-mll/BBQ (data/*.jsonl, supplemental/additional_metadata.csv)",
    "ss": "https://github.com/moinnadeem/StereoSet (data/dev.json)",
    "cp": "https://github.com/nyu-mll/crows-pairs (data/crows_pairs_anonymized.csv)",
    "biasdpo": "https://huggingface.co/datasets/ahmedallam/BiasDPO (dataset.jsonl)",
}


def how_to_provide(dataset: str) -> str:
    """One line telling the user how to make `dataset` available without hvsb's download."""
    relpaths = [f.relpath for f in files_for(dataset)]
    layout = "DIR/" + relpaths[0] if len(relpaths) == 1 else "DIR/bbq/<Category>.jsonl"
    if dataset == "bbq":
        layout += " and DIR/bbq_supplemental/additional_metadata.csv"
    return (
        f"To provide it, download it from {HOMES[dataset]}, put it at {layout} and pass "
        "--data-dir DIR (or set HVSB_DATA_DIR=DIR), or run `hvsb data fetch` on a machine "
        "that can reach its public home and copy the cache."
    )


def cache_dir() -> Path:
    """hvsb's cache root: HVSB_CACHE, else the user's cache folder."""
    return Path(os.environ.get("HVSB_CACHE") or user_cache_dir("hvsb"))


def data_dir_from_env() -> Path | None:
    """The data dir named by HVSB_DATA_DIR, if any."""
    value = os.environ.get("HVSB_DATA_DIR")
    return Path(value) if value else None


def downloads_allowed() -> bool:
    """False when HVSB_NO_DOWNLOAD is set to a true value (offline machines, tests)."""
    return os.environ.get("HVSB_NO_DOWNLOAD", "").lower() not in {"1", "true", "yes"}


def cache_path(relpath: str) -> Path:
    """Where a verified download of `relpath` lives in the cache."""
    return cache_dir() / "data" / relpath


def candidate_paths(relpath: str, data_dir: str | Path | None = None) -> list[Path]:
    """The local places a file may be, in the order they are tried."""
    roots = [Path(data_dir) if data_dir else None, data_dir_from_env()]
    return [root / relpath for root in roots if root is not None] + [cache_path(relpath)]


def find_local(relpath: str, data_dir: str | Path | None = None) -> Path | None:
    """The first local copy of `relpath`, or None."""
    return next((p for p in candidate_paths(relpath, data_dir) if p.is_file()), None)
