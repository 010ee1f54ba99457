"""Find a raw dataset file: data dir, then HVSB_DATA_DIR, then the cache, then download.

Downloads are verified against the catalogue's sha256 before they enter the cache
(`hvsb.data.fetch`), local copies before they are read (`hvsb.data.verify`). Setting
HVSB_NO_DOWNLOAD=1 stops at the cache, as tests do.
"""

from __future__ import annotations

from pathlib import Path

from hvsb.data import verify
from hvsb.data.catalogue import entry
from hvsb.data.fetch import FetchFailed, fetch_to_cache
from hvsb.data.paths import (
    cache_path,
    candidate_paths,
    downloads_allowed,
    find_local,
    how_to_provide,
)
from hvsb.errors import DatasetUnavailable


def locate(
    relpath: str, data_dir: str | Path | None = None, *, download: bool | None = None
) -> Path:
    """Return a readable path for `relpath` (e.g. `bbq/Age.jsonl`) or raise DatasetUnavailable."""
    found = find_local(relpath, data_dir)
    if found is not None:
        return verify.check(found, entry(relpath))
    looked_in = [str(path) for path in candidate_paths(relpath, data_dir)]
    if download if download is not None else downloads_allowed():
        try:
            return fetch_to_cache(entry(relpath), cache_path(relpath))
        except FetchFailed as failure:
            looked_in.extend(failure.tried)
    else:
        looked_in.append("(downloads disabled by HVSB_NO_DOWNLOAD)")
    dataset = entry(relpath).dataset
    raise DatasetUnavailable(dataset, looked_in, how_to_provide(dataset))
