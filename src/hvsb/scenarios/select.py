"""Which scenarios a run judges or explains: the one selection every entry point calls.

lm-eval documents, Inspect datasets, `hvsb run --dry-run`, `hvsb scenarios build`,
`hvsb finetune evaluate` and the benchmarks all call `select`, so the same options give
the same scenario ids, in the same order, everywhere:

1. the pool: the dataset built from the raw files (once per process), the same records
   read from a scenarios dataset `hvsb scenarios export` wrote (`dataset_path`: a folder
   or Hub id, `hvsb.scenarios.hub`), or the records of a scenarios file (read and
   validated once, before any model runs);
2. `gold_label` keeps one label (the explain step takes biased scenarios only);
3. the sample: `paper` (default) takes the paper's choice where it made one — for SS and
   CP built from the raw files (or read from an export of them), the release's first 200
   sentences per bias type and direction in file order (`paper_sample`; CP's pro and anti
   from the same pairs) — and everything else: all of BBQ and BiasDPO, and all records of
   a scenarios file (the file is the sample, e.g. emulated scenarios of the paper's
   sentences). `seeded` takes everything. `per_cell` caps every category × answer type at
   N by seeded rank (for raw SS/CP under `paper`: replaces the 200 in the file-order
   choice);
4. the order is hvsb's seeded order (a hash of seed and id), so taking the first N —
   `limit`, lm-eval's and Inspect's `--limit` — gives a mix of cells, and a larger N holds
   a smaller one.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from hvsb.errors import DataFileError, HvsbError
from hvsb.jsonl import read_jsonl
from hvsb.scenarios import sampling
from hvsb.scenarios.paper_sample import paper_sample
from hvsb.scenarios.record import (
    DATASETS,
    FLAT_FIELDS,
    GOLD_LABELS,
    REQUIRED_FIELDS,
    Scenario,
)
from hvsb.scenarios.result import BuildResult

SAMPLES = ("paper", "seeded")


def check_dataset(dataset: object) -> str:
    """`dataset` if it is one of DATASETS, else an error listing them."""
    if dataset not in DATASETS:
        raise HvsbError(f"dataset must be one of {', '.join(DATASETS)}, not {dataset!r}")
    return str(dataset)


def check_count(value: object, name: str) -> int | None:
    """None, or a whole number of at least 1 (`limit`, `per_cell`, ...)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise HvsbError(f"{name} must be a whole number of at least 1 (or unset), not {value!r}")
    return value


def check_seed(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise HvsbError(f"seed must be a whole number, not {value!r}")
    return value


def select(
    dataset: str,
    *,
    data_dir: str | Path | None = None,
    scenarios_file: str | Path | None = None,
    dataset_path: str | Path | None = None,
    seed: int = 0,
    sample: str = "paper",
    per_cell: int | None = None,
    limit: int | None = None,
    gold_label: str | None = None,
) -> list[Scenario]:
    """The scenarios of `dataset` a run takes, in seeded order (see the module docstring)."""
    dataset = check_dataset(dataset)
    seed = check_seed(seed)
    per_cell = check_count(per_cell, "per_cell")
    limit = check_count(limit, "limit")
    if sample not in SAMPLES:
        raise HvsbError(f"sample must be one of {', '.join(SAMPLES)}, not {sample!r}")
    if gold_label is not None and gold_label not in GOLD_LABELS:
        raise HvsbError(f"gold_label must be one of {', '.join(GOLD_LABELS)}, not {gold_label!r}")
    if dataset_path and (scenarios_file or data_dir):
        raise HvsbError("dataset_path replaces data_dir and scenarios_file: give only one")
    if scenarios_file:
        pool = file_scenarios(scenarios_file, dataset)
    elif dataset_path:
        from hvsb.scenarios.hub import hub_scenarios

        pool = hub_scenarios(dataset_path, dataset)
    else:
        pool = built(dataset, data_dir).scenarios
    if sample == "paper" and dataset in sampling.PAPER_PER_CELL and not scenarios_file:
        pool = paper_sample(pool, per_cell)
        per_cell = None  # applied in file order
    ordered = sorted(pool, key=lambda s: sampling.rank(seed, s.id))
    return sampling.sample(
        ordered, limit=limit, seed=seed, per_cell=per_cell, gold_label=gold_label
    )


def built(dataset: str, data_dir: str | Path | None = None) -> BuildResult:
    """Every scenario of `dataset` from the raw files (and the build's notes), built once
    per process and place."""
    return _built(check_dataset(dataset), _data_key(data_dir))


def _data_key(data_dir: str | Path | None) -> tuple[str | None, ...]:
    """What decides which files a build reads: the data dir, its environment fallbacks."""
    return (
        str(data_dir) if data_dir else None,
        os.environ.get("HVSB_DATA_DIR"),
        os.environ.get("HVSB_CACHE"),
    )


@functools.lru_cache(maxsize=16)
def _built(dataset: str, key: tuple[str | None, ...]) -> BuildResult:
    from hvsb.scenarios import build

    return build(dataset, key[0])


def file_scenarios(path: str | Path, dataset: str) -> list[Scenario]:
    """The `dataset` records of a scenarios file (every record of it validated first)."""
    path = Path(path)
    if not path.is_file():
        raise DataFileError(path, "file not found", expected="a scenarios JSONL file")
    stat = path.stat()
    records = _read_file(str(path.resolve()), stat.st_mtime_ns, stat.st_size)
    found = [scenario for scenario in records if scenario.dataset == dataset]
    if not found:
        present = sorted({scenario.dataset for scenario in records})
        raise DataFileError(
            path,
            f"no {dataset} scenarios (it holds {', '.join(present) or 'none'})",
            expected=f"records with dataset {dataset}",
        )
    return found


@functools.lru_cache(maxsize=8)
def _read_file(path: str, _mtime_ns: int, _size: int) -> list[Scenario]:
    return read_scenarios_file(path)


def read_scenarios_file(path: str | Path) -> list[Scenario]:
    """Every record of a scenarios JSONL (`hvsb scenarios build`, any mode), validated.

    A record needs `id`, `dataset`, `scenario` and `gold_label` as non-empty strings, a
    known dataset, a gold label of biased/unbiased, the other scenario fields as strings or
    null, `source` as an object; ids are unique. The first problem stops the read with the
    file, line and id in the message.
    """
    return checked_scenarios(read_jsonl(path), path)


def checked_scenarios(
    records: Iterable[tuple[int, dict[str, Any]]], path: str | Path, *, unit: str = "line"
) -> list[Scenario]:
    """Numbered scenario records (a file's lines, a dataset's rows), each validated as
    `read_scenarios_file` says; the first problem names `path`, the `unit` number and id."""
    scenarios: list[Scenario] = []
    first_line: dict[str, int] = {}
    for line, record in records:
        scenario = _checked(record, path, line, unit)
        if scenario.id in first_line:
            raise DataFileError(
                path,
                f"id {scenario.id!r} repeats the record on {unit} {first_line[scenario.id]}",
                line=line,
                unit=unit,
                expected="unique scenario ids",
            )
        first_line[scenario.id] = line
        scenarios.append(scenario)
    if not scenarios:
        raise DataFileError(path, "no records", expected=f"one scenario record per {unit}")
    return scenarios


def _checked(record: dict[str, Any], path: str | Path, line: int, unit: str) -> Scenario:
    label = f"record {record['id']!r}" if isinstance(record.get("id"), str) else "record"

    def fail(problem: str, expected: str) -> DataFileError:
        return DataFileError(path, f"{label}: {problem}", line=line, unit=unit, expected=expected)

    for key in REQUIRED_FIELDS:
        value = record.get(key)
        if not isinstance(value, str) or not value.strip():
            shown = "missing" if key not in record else f"{value!r:.60}"
            raise fail(f"field {key!r} is {shown}", "a non-empty string")
    for key in FLAT_FIELDS:
        if key not in REQUIRED_FIELDS and not isinstance(record.get(key), str | None):
            raise fail(f"field {key!r} is {record[key]!r:.60}", "a string or null")
    if record["dataset"] not in DATASETS:
        raise fail(f"dataset {record['dataset']!r}", f"one of {', '.join(DATASETS)}")
    if record["gold_label"] not in GOLD_LABELS:
        raise fail(f"gold_label {record['gold_label']!r}", " or ".join(GOLD_LABELS))
    source = record.get("source")
    if not isinstance(source, dict | None):
        raise fail(f"field 'source' is {source!r:.60}", "an object or null")
    return Scenario.from_dict({**record, "source": source or {}})


def modified_data(dataset: str, data_dir: str | Path | None, own_input: object) -> list[str]:
    """The raw files behind a selection that differ from upstream (used as allowed), for
    the outputs to record; none when the selection reads its own input (a scenarios file
    or an exported dataset), which never touches the raw files."""
    return [] if own_input else built(dataset, data_dir).modified
