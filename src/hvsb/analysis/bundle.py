"""The study's Inspect logs as a static web site: an `inspect view bundle` beside the report.

Inspect's `bundle_log_dir` (what `inspect view bundle --log-dir L --output-dir O` runs,
https://inspect.aisi.org.uk/reference/inspect_view.html) copies a log folder together with
the log viewer into a folder that any static host serves: GitHub Pages, S3, Netlify, a
plain `python -m http.server`. hvsb first gathers the Inspect logs among the report's inputs
(files and folders, as `hvsb report` takes them) into one folder, so several inputs give one
viewer; lm-eval samples have no viewer and stay in the report only. The bundle is built in
a temporary sibling and renamed into place, and carries a marker file so that reading a
folder that contains it (`hvsb report DIR` after `--bundle` wrote into DIR) skips its copies
of the logs instead of counting them twice.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path

from hvsb.errors import HvsbError

BUNDLE_DIR = "viewer"  # the bundle's folder inside a report folder
MARKER = ".hvsb-log-bundle"


def in_bundle(path: Path, root: Path) -> bool:
    """Whether `path`, found under the folder `root`, lies in a log bundle below `root`
    (a bundle named as the input itself is read)."""
    below = (folder for folder in path.parents if folder != root and folder.is_relative_to(root))
    return any((folder / MARKER).is_file() for folder in below)


def gather(paths: Iterable[str | Path]) -> list[tuple[Path, Path]]:
    """(log file, its place in the bundle) for each Inspect log among `paths`.

    A folder's logs keep their layout below it; with several inputs each folder gets one
    named after it (`logs`, `logs-2`, ...), so equal names cannot collide, and a named log
    file sits at the top (Inspect's log names are unique).
    """
    from hvsb.analysis.table import discover
    from hvsb.rows import is_inspect_log

    paths = [Path(p) for p in paths]
    prefixes: dict[Path, Path] = {}
    for path in paths:
        if len(paths) == 1 or not path.is_dir():
            prefixes[path] = Path()
            continue
        base = path.resolve().name or "logs"
        name, number = base, 1
        while Path(name) in prefixes.values():
            number += 1
            name = f"{base}-{number}"
        prefixes[path] = Path(name)
    found = []
    for path in paths:
        for file, _named in discover([path]):
            if is_inspect_log(file):
                place = file.relative_to(path) if path.is_dir() else Path(file.name)
                found.append((file, prefixes[path] / place))
    return found


def write_bundle(paths: Iterable[str | Path], out_dir: str | Path) -> int:
    """Write the viewer bundle of the Inspect logs among `paths` to `out_dir`; the log count.

    `out_dir` is replaced whole if it is an earlier bundle; anything else there is an error.
    """
    from inspect_ai.log import bundle_log_dir

    logs = gather(paths)
    if not logs:
        raise HvsbError(
            "--bundle: no Inspect logs (.eval/.json) among the inputs; the viewer bundle "
            "shows Inspect logs (lm-eval samples are in the report only)"
        )
    out_dir = Path(out_dir)
    if out_dir.exists() and not (out_dir / MARKER).is_file():
        raise HvsbError(f"{out_dir}: exists and is not an hvsb log bundle; not replaced")
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f".{out_dir.name}.", dir=out_dir.parent) as work:
        staged, built = Path(work) / "logs", Path(work) / "bundle"
        for source, place in logs:
            _link_or_copy(source, staged / place)
        with contextlib.redirect_stdout(io.StringIO()):  # Inspect names the temporary folder
            bundle_log_dir(log_dir=str(staged), output_dir=str(built))
        (built / MARKER).write_text(
            "An `inspect view bundle` of hvsb logs; hvsb report skips the logs under it.\n",
            encoding="utf-8",
        )
        if out_dir.exists():
            out_dir.rename(Path(work) / "previous")
        built.rename(out_dir)
    return len(logs)


def _link_or_copy(source: Path, target: Path) -> None:
    """A hard link where the file system allows it (logs can be large), else a copy."""
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)
