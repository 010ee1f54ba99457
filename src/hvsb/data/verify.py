"""What data hvsb accepts: local files are checked against the upstream sha256 before
they are read, and a dataset with files missing is not built in part without consent.

A file in the data dir, HVSB_DATA_DIR or the cache that is not byte-for-byte the upstream
file (an edited copy, another release) would change every number silently, so it is
refused with both checksums — unless the user allows it (`--allow-modified-data`, a
study's `allow_modified_data: true`, or HVSB_ALLOW_MODIFIED_DATA=1). Then it is used,
and recorded: a build lists it (`BuildResult.modified`), and every output (scenario
notes, Inspect eval metadata, lm-eval documents, the report) says which files were.
Hashes are computed once per file and change (size, mtime) in a process.

Likewise a BBQ build with category files missing fails unless allowed
(`--allow-partial-data`, HVSB_ALLOW_PARTIAL_DATA=1): a run over fewer categories is a
different measurement.
"""

from __future__ import annotations

import functools
import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from hvsb.data.catalogue import DataFile, files_for
from hvsb.data.paths import find_local
from hvsb.errors import DataFileError

ALLOW_ENV = "HVSB_ALLOW_MODIFIED_DATA"
PARTIAL_ENV = "HVSB_ALLOW_PARTIAL_DATA"
_TRUE = {"1", "true", "yes"}
CHUNK = 1 << 20


def allowed() -> bool:
    """Whether data files that differ from upstream may be used (and recorded)."""
    return os.environ.get(ALLOW_ENV, "").lower() in _TRUE


def partial_allowed() -> bool:
    """Whether a dataset may be built with some of its files missing (and noted)."""
    return os.environ.get(PARTIAL_ENV, "").lower() in _TRUE


@contextmanager
def consent(*, modified: bool = False, partial: bool = False) -> Iterator[None]:
    """--allow-modified-data / --allow-partial-data (or a study's keys) for the body: this
    process and the evaluations it starts read them from the environment, which is given
    back afterwards (`hvsb.cli.main` and `run_study` can run inside a longer process)."""
    names = (ALLOW_ENV, PARTIAL_ENV)
    before = {name: os.environ.get(name) for name in names}
    for name, given in zip(names, (modified, partial), strict=True):
        if given:
            os.environ[name] = "1"
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def sha256_of(path: Path) -> str:
    stat = path.stat()
    return _digest(str(path.resolve()), stat.st_size, stat.st_mtime_ns)


@functools.lru_cache(maxsize=64)
def _digest(path: str, _size: int, _mtime_ns: int) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def check(path: Path, entry: DataFile) -> Path:
    """`path` if it is the upstream file, or a modified copy the user allowed (recorded);
    else a DataFileError with both checksums and how to allow it."""
    actual = sha256_of(path)
    if actual == entry.sha256:
        return path
    if not allowed():
        raise DataFileError(
            path,
            f"sha256 {actual} is not the upstream {entry.relpath}'s {entry.sha256}: "
            "the file was edited or is another version, and would change every number",
            expected="the upstream file; to use this copy anyway pass --allow-modified-data "
            f"(or set {ALLOW_ENV}=1), and every output will say it was modified",
        )
    return path


def modified(dataset: str, data_dir: str | Path | None) -> list[str]:
    """The raw files of `dataset` (relpaths) found locally that differ from upstream."""
    found = [(f, find_local(f.relpath, data_dir)) for f in files_for(dataset)]
    return [f.relpath for f, path in found if path is not None and sha256_of(path) != f.sha256]
