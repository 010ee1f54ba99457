"""Scenarios as a Hugging Face dataset: the row shape, and reading one back.

`hvsb scenarios export DIR` writes one config per dataset (`bbq`, `biasdpo`, `ss`, `cp`),
each a `test` split of rows with every scenario field (`SCENARIO_FIELDS`). The flat
fields are strings or null; `source` (the raw record a scenario was built from) is the
JSON text of the object, as in a scenarios JSONL. JSON text keeps every record exactly:
an Arrow struct would take the union of all records' keys and fill the absent ones with
null, would refuse a key whose type differs between records, and needs another schema per
dataset (and per scenario mode: emulated records add `emulation`); with text the four
configs share one schema and `json.loads` gives back the very object the builder made.

`hub_scenarios` reads such a dataset, a local folder or a Hub id, with
`datasets.load_dataset` (as lm-eval's upstream tasks read their data), and validates every
row with the scenarios-file checks (`hvsb.scenarios.select.checked_scenarios`) before any
model runs.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

from hvsb.errors import DataFileError
from hvsb.scenarios.record import REQUIRED_FIELDS, SCENARIO_FIELDS, Scenario

SPLIT = "test"
SOURCE_FIELD = "source"


def to_row(scenario: Scenario) -> dict[str, str | None]:
    """One dataset row: the flat fields as they are, `source` as JSON text."""
    record = scenario.to_dict()
    return {
        name: json.dumps(record[name], ensure_ascii=False) if name == SOURCE_FIELD else record[name]
        for name in SCENARIO_FIELDS
    }


def hub_scenarios(dataset_path: str | Path, dataset: str) -> list[Scenario]:
    """The `dataset` config of an exported scenarios dataset (folder or Hub id), validated.

    Rows keep the export's order, so the paper's file-order SS/CP sample and every seeded
    sample are the ones the raw files give. Read once per process, folder state and config.
    """
    return list(_read(str(dataset_path), dataset, _state(dataset_path)))


def _state(dataset_path: str | Path) -> tuple[tuple[str, int, int], ...]:
    """What decides a local folder's content (its files' names, times, sizes); () for a Hub id."""
    folder = Path(dataset_path)
    if not folder.is_dir():
        return ()
    return tuple(
        (str(path.relative_to(folder)), path.stat().st_mtime_ns, path.stat().st_size)
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    )


@functools.lru_cache(maxsize=8)
def _read(dataset_path: str, dataset: str, _state: tuple) -> tuple[Scenario, ...]:
    from hvsb.scenarios.select import checked_scenarios

    where = f"{dataset_path} (config {dataset}, split {SPLIT})"
    rows = _load(dataset_path, dataset, where)
    records = [(number, _record(row, where, number)) for number, row in enumerate(rows, 1)]
    scenarios = checked_scenarios(records, where, unit="row")
    for number, scenario in enumerate(scenarios, start=1):
        if scenario.dataset != dataset:
            raise DataFileError(
                where,
                f"record {scenario.id!r} has dataset {scenario.dataset!r}",
                line=number,
                unit="row",
                expected=f"only {dataset} scenarios in config {dataset}",
            )
    return tuple(scenarios)


def _load(dataset_path: str, dataset: str, where: str) -> list[dict[str, Any]]:
    """The split's rows, or a DataFileError saying what is not there."""
    import datasets

    # datasets 5.2 keys its cached copy of a local folder by the folder's name and the
    # config, not by the files' content: a re-exported folder, or another folder of the
    # same name, would be read from a stale copy. A folder is therefore prepared afresh.
    fresh = "force_redownload" if Path(dataset_path).is_dir() else None
    try:
        loaded = datasets.load_dataset(dataset_path, dataset, split=SPLIT, download_mode=fresh)
    except (OSError, ValueError, datasets.exceptions.DatasetNotFoundError) as error:
        raise DataFileError(
            where,
            f"cannot be read ({type(error).__name__}: {str(error).splitlines()[0]:.300})",
            expected="a folder or Hub id written by `hvsb scenarios export`, with a "
            f"{dataset} config and a {SPLIT} split",
        ) from None
    missing = [n for n in REQUIRED_FIELDS if n not in loaded.column_names]
    if missing:
        raise DataFileError(
            where,
            f"no column(s) {', '.join(missing)}",
            expected=f"the scenario fields {', '.join(SCENARIO_FIELDS)}",
        )
    return loaded.to_list()


def _record(row: dict[str, Any], where: str, number: int) -> dict[str, Any]:
    """The scenario record of one row: `source` parsed back from its JSON text."""
    text = row.get(SOURCE_FIELD)
    if text is None:
        return row
    label = f"record {row['id']!r}" if isinstance(row.get("id"), str) else "record"
    try:
        source = json.loads(text) if isinstance(text, str) else text
    except json.JSONDecodeError as error:
        raise DataFileError(
            where,
            f"{label}: field 'source' is not JSON ({error.msg})",
            line=number,
            unit="row",
            expected="the JSON text of an object",
        ) from None
    return {**row, SOURCE_FIELD: source}
