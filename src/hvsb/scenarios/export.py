"""`hvsb scenarios export DIR`: every scenario as a Hugging Face dataset folder.

    DIR/README.md                               dataset card (YAML header `datasets` reads)
    DIR/<dataset>/test-00000-of-00001.parquet   one config per dataset: bbq, biasdpo, ss, cp
    DIR/.hvsb-scenarios-export                  marks the folder as one this command wrote

The folder loads with `datasets.load_dataset(DIR, "bbq")` (offline too), can be pushed to
the Hub as a dataset repository as it is, and the hvsb tasks read it (`dataset_path`)
instead of the raw files, giving the same scenarios and ids. It is written into a
temporary sibling and renamed into place; an earlier export there is replaced, anything
else is left alone with an error.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from hvsb.data.catalogue import DataFile, files_for
from hvsb.data.paths import find_local
from hvsb.data.verify import sha256_of
from hvsb.errors import HvsbError
from hvsb.scenarios.card import ConfigFiles, RawFile, render
from hvsb.scenarios.hub import SPLIT, to_row
from hvsb.scenarios.record import DATASETS, SCENARIO_FIELDS
from hvsb.scenarios.result import BuildResult
from hvsb.scenarios.select import built, check_dataset

MARKER = ".hvsb-scenarios-export"
PARQUET_NAME = f"{SPLIT}-00000-of-00001.parquet"


@dataclass(frozen=True)
class Export:
    """What was written: the folder, and per config its rows and bytes."""

    folder: Path
    configs: tuple[ConfigFiles, ...]


def export(
    out_dir: str | Path,
    *,
    data_dir: str | Path | None = None,
    datasets: Sequence[str] = DATASETS,
) -> Export:
    """Build `datasets` from the raw files and write them, with their card, to `out_dir`."""
    out_dir = Path(out_dir)
    names = [check_dataset(name) for name in dict.fromkeys(datasets)]
    if out_dir.exists() and not (out_dir / MARKER).is_file():
        raise HvsbError(f"{out_dir}: exists and is not an hvsb scenarios export; not replaced")
    results = [built(name, data_dir) for name in names]  # a missing dataset stops here
    raw_files = [_raw_file(entry, data_dir) for name in names for entry in files_for(name)]
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f".{out_dir.name}.", dir=out_dir.parent) as work:
        staged = Path(work) / "export"
        configs = tuple(_write_config(result, staged) for result in results)
        (staged / "README.md").write_text(render(results, configs, raw_files), encoding="utf-8")
        (staged / MARKER).write_text(
            "Written by `hvsb scenarios export`; a rerun replaces this folder.\n",
            encoding="utf-8",
        )
        if out_dir.exists():
            out_dir.rename(Path(work) / "previous")
        staged.rename(out_dir)
    return Export(out_dir, configs)


def _write_config(result: BuildResult, folder: Path) -> ConfigFiles:
    """One config's Parquet file (all scenarios, in build order); what the card says of it."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema([(name, pa.string()) for name in SCENARIO_FIELDS])
    table = pa.Table.from_pylist([to_row(s) for s in result.scenarios], schema=schema)
    path = folder / result.dataset / PARQUET_NAME
    path.parent.mkdir(parents=True)
    pq.write_table(table, path, compression="zstd")
    return ConfigFiles(
        dataset=result.dataset,
        rows=table.num_rows,
        num_bytes=table.nbytes,
        parquet_bytes=path.stat().st_size,
        path_pattern=f"{result.dataset}/{SPLIT}-*.parquet",
    )


def _raw_file(entry: DataFile, data_dir: str | Path | None) -> RawFile:
    """The sha256 of the copy of a raw file the build read (found where `build` looks)."""
    found = find_local(entry.relpath, data_dir)
    return RawFile(entry, sha256_of(found) if found else None)
