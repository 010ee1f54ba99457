"""Size and load time of `hvsb scenarios export`, per config.

    python benchmarks/export_measure.py --data-dir ../shared/data

Exports the four datasets into a temporary folder, then for each config measures the
Parquet size, `datasets.load_dataset(DIR, config, split="test")` with an empty `datasets`
cache (cold: the Arrow copy is prepared) and again (warm), and `hvsb.scenarios.select`
from the folder (what a task does: load, validate every row, sample). Prints a Markdown
table. Offline: set HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", help="folder laid out like the shared data")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        os.environ["HF_DATASETS_CACHE"] = str(Path(work) / "hf-cache")
        import datasets

        datasets.config.HF_DATASETS_CACHE = Path(work) / "hf-cache"
        datasets.disable_progress_bars()
        from hvsb.scenarios import select
        from hvsb.scenarios.export import export

        start = time.perf_counter()
        written = export(Path(work) / "hvsb-scenarios", data_dir=args.data_dir)
        export_s = time.perf_counter() - start
        print(
            f"load average at start: {os.getloadavg()[0]:.2f}; export of all four: {export_s:.1f} s\n"
        )
        print("| config | scenarios | Parquet bytes | load, cold s | load, warm s | select s |")
        print("|---|---|---|---|---|---|")
        for config in written.configs:
            timings = [
                _seconds(datasets.load_dataset, str(written.folder), config.dataset, split="test")
                for _ in range(2)
            ]
            chosen = _seconds(select, config.dataset, dataset_path=written.folder)
            print(
                f"| {config.dataset} | {config.rows:,} | {config.parquet_bytes:,} | "
                f"{timings[0]:.2f} | {timings[1]:.2f} | {chosen:.2f} |"
            )
        total = sum(c.parquet_bytes for c in written.configs)
        card = (written.folder / "README.md").stat().st_size
        print(f"\nall four: {total:,} bytes of Parquet + {card:,} bytes of card")


def _seconds(function, *args, **kwargs) -> float:
    start = time.perf_counter()
    function(*args, **kwargs)
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
