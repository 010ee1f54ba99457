"""Append-only JSONL cache of emulation results, so an interrupted run resumes.

One line per finished sentence (a scenario, or a failure after all retries), keyed by
(scenario id, model, prompt hash); a later line for the same key wins, which is how
`--retry-failures` replaces a failure. Each line is written and flushed on its own, so
a killed run loses at most the line being written; that torn last line is dropped on
the next load and reported in `notes`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from hvsb.data.paths import cache_dir
from hvsb.errors import DataFileError
from hvsb.jsonl import read_jsonl

Key = tuple[str, str, str]
REQUIRED = {"id": str, "model": str, "prompt_hash": str, "ok": bool, "raw": str}


def default_path(dataset: str) -> Path:
    """`$HVSB_CACHE/emulation/<dataset>.jsonl` (HVSB_CACHE defaults to the user cache)."""
    return cache_dir() / "emulation" / f"{dataset}.jsonl"


def key_of(record: dict[str, Any]) -> Key:
    return (record["id"], record["model"], record["prompt_hash"])


class EmulationCache:
    """The latest record per key of one cache file, and appends to it."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.notes: list[str] = []
        self._latest: dict[Key, dict[str, Any]] = {}
        if self.path.exists():
            self._repair_torn_tail()
            for line, record in read_jsonl(self.path):
                _check(record, self.path, line)
                self._latest[key_of(record)] = record

    def get(self, key: Key) -> dict[str, Any] | None:
        return self._latest.get(key)

    def append(self, record: dict[str, Any]) -> None:
        """Write one record as one line and flush it before returning."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
            handle.flush()
        self._latest[key_of(record)] = record

    def _repair_torn_tail(self) -> None:
        """Drop an unfinished last line (a run killed mid-write) so appends stay valid JSONL."""
        data = self.path.read_bytes()
        if not data or data.endswith(b"\n"):
            return
        start = data.rfind(b"\n") + 1
        try:
            json.loads(data[start:])
        except ValueError:
            os.truncate(self.path, start)
            self.notes.append(
                f"{self.path}: dropped an unfinished last line (an interrupted write); "
                "that sentence will be emulated again"
            )
            return
        with self.path.open("ab") as handle:
            handle.write(b"\n")


def _check(record: dict[str, Any], path: Path, line: int) -> None:
    for name, kind in REQUIRED.items():
        if not isinstance(record.get(name), kind):
            raise DataFileError(
                path,
                f"field {name!r} is missing or not a {kind.__name__}",
                line=line,
                expected="an hvsb emulation cache record",
            )
