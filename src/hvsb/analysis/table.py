"""Any mix of hvsb Inspect logs and lm-eval sample files → one tidy pandas table.

One row per task × model × scenario × condition (attack for judge rows, explainer for
agree rows) × epoch. Labels are recomputed from the raw replies with `hvsb.scorers`
(each judgment parser, parse_agreement, extract_explanation, readability), each distinct
reply parsed once, so building the table costs one pass of reading plus work per distinct
text. `judgment` is the label under the parser each run recorded; `judgment_hvsb` and
`judgment_release` are the labels under both rules.
"""

from __future__ import annotations

import multiprocessing as mp
import operator
import os
import re
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hvsb.analysis.bundle import in_bundle
from hvsb.analysis.labels import PARSER_COLUMNS, derive
from hvsb.errors import DataFileError
from hvsb.rows import (
    RECORD_KEYS,
    ROW_FIELDS,
    NotHvsbOutput,
    is_inspect_log,
    looks_like_output,
    read_rows,
)
from hvsb.scenarios.record import GOLD_LABELS
from hvsb.scorers import PARSERS
from hvsb.scorers.loglikelihood import MODE as LL_MODE

COLUMNS = (
    "task",
    "model",
    "family",
    "params_b",
    "dataset",
    "attack",
    "judge_mode",
    "parser",
    "sample",
    "scenario_mode",
    "id",
    "epoch",
    *(key for key in RECORD_KEYS if key != "scenario"),
    "scenario",
    "reply",
    "judgment",
    *PARSER_COLUMNS.values(),
    "explanation",
    "fkgl",
    "gfi",
    "cli",
    "explainer",
    "agreement",
    "task_version",
    "data_modified",
    "error",
    "source_format",
    "source_path",
)
LL_SUFFIX = " (log-likelihood)"
# Below this many bytes of input, reading in one process beats starting workers.
PARALLEL_BYTES = 32 * 2**20
_VALUES = operator.itemgetter(*ROW_FIELDS)
KEY = ("task", "model", "dataset", "attack", "judge_mode", "explainer", "id", "epoch")
# Columns of few distinct values (labels, names, cells), stored as pandas categories;
# the rest are ids, numbers and free text.
_CATEGORICAL = tuple(
    column
    for column in COLUMNS
    if column
    not in (
        "id",
        "epoch",
        "scenario",
        "reply",
        "explanation",
        "fkgl",
        "gfi",
        "cli",
        "error",
        "params_b",
    )
)
# Inspect model names start with the provider (hf/, openai/, vllm/, openai-api/SERVICE/...).
_PROVIDERS = re.compile(
    r"^(hf|vllm|sglang|openai|openai-api/[^/]+|anthropic|google|mistral|grok|groq|together|"
    r"fireworks|bedrock|azureai|cf|perplexity|ollama|llama-cpp-python|transformer_lens|mockllm|"
    r"none)/"
)


def model_label(name: Any) -> Any:
    """A short, source-independent model name: provider prefix and folders dropped.

    `hf//root/models/smollm2` (Inspect), `/root/models/smollm2` (lm-eval results) and
    `__root__models__smollm2` (lm-eval's folder) all become `smollm2`, so the same model
    read from either ecosystem — and as explainer and as target — is one model.
    """
    if not isinstance(name, str) or not name:
        return name
    text = _PROVIDERS.sub("", name.strip()).rstrip("/\\")
    last = re.split(r"[/\\]|__", text)[-1]
    return last or text


def discover(paths: Iterable[str | Path]) -> list[tuple[Path, bool]]:
    """Files to read as (path, named): folders are searched for hvsb outputs.

    A named file that is not an hvsb output is an error; files met in a folder scan that
    are not (other tasks' logs, lm-eval results JSON) are skipped.
    """
    found: list[tuple[Path, bool]] = []
    for raw in paths:
        path = Path(raw)
        if path.is_file():
            found.append((path, True))
        elif path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.is_file() and looks_like_output(child) and not in_bundle(child, path):
                    found.append((child, False))
        else:
            raise DataFileError(
                path, "no such file or folder", expected="Inspect logs or lm-eval samples"
            )
    return found


def build_table(
    paths: Iterable[str | Path],
    *,
    families: dict[str, str] | None = None,
    names: dict[str, str] | None = None,
    params: dict[str, float] | None = None,
) -> pd.DataFrame:
    """The tidy table of every hvsb output under `paths` (files or folders).

    `names` renames models (raw or short name → label; e.g. a study's model names),
    `families` maps model labels to families for the consistency grouping and `params`
    to their size in billions of parameters (`params_b`, for the scale finding).
    """
    paths = list(paths)
    frames: list[pd.DataFrame] = []
    skipped: list[str] = []
    for frame, problem in _read_files(discover(paths)):
        if problem:
            skipped.append(problem)
        elif len(frame):
            frames.append(frame)
    if not frames:
        where = ", ".join(str(p) for p in paths)
        raise DataFileError(
            where,
            "no hvsb outputs found",
            expected="Inspect logs of hvsb/* tasks or lm-eval samples_hvsb_*.jsonl",
        )
    frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    del frames
    check_one_version(frame)
    failed = frame["error"].notna()
    table = finish(frame[~failed], families=families, names=names, params=params)
    table.attrs["skipped"] = skipped
    table.attrs["errors"] = error_counts(
        finish(frame[failed], families=families, names=names), table
    )
    return table


ERROR_KEY = ("model", "task", "dataset", "attack", "judge_mode")


def error_counts(errors: pd.DataFrame, table: pd.DataFrame) -> list[dict[str, Any]]:
    """Samples that failed with an error and were never finished later (a rerun's retry
    writes a new log), counted per model × step × condition with the first message."""
    if errors.empty:
        return []
    finished = set(table[list(KEY)].itertuples(index=False, name=None))
    unfinished = [
        row not in finished for row in errors[list(KEY)].itertuples(index=False, name=None)
    ]
    open_errors = errors.loc[np.array(unfinished, dtype=bool)]
    counts = []
    for key, group in open_errors.groupby(list(ERROR_KEY), observed=True, dropna=False):
        counts.append(
            {
                **dict(zip(ERROR_KEY, key, strict=True)),
                "errors": len(group),
                "first_error": str(group["error"].iloc[0]),
                "log": str(group["source_path"].iloc[0]),
            }
        )
    return counts


def comparable_version(version: Any) -> str | None:
    """The part of a task version that says whether results compare: N of Inspect's `N-X`,
    the major number of lm-eval's `N.M` (both count breaking changes)."""
    if not isinstance(version, str) or not version:
        return None
    return re.split(r"[-.]", version, maxsplit=1)[0]


def check_one_version(frame: pd.DataFrame) -> None:
    """Refuse to pool runs of task versions whose results are not comparable."""
    majors = frame["task_version"].map(comparable_version)
    found = sorted(majors.dropna().unique())
    if len(found) > 1:
        examples = [
            f"version {major}: {frame.loc[majors.eq(major), 'source_path'].iloc[0]}"
            for major in found
        ]
        raise DataFileError(
            "; ".join(examples),
            f"runs of hvsb task versions {', '.join(found)} cannot be pooled: a new major "
            "version changes results (see the tasks' changelogs); report them separately",
            expected="outputs of one task version",
        )


def _read_files(files: list[tuple[Path, bool]]) -> Iterator[tuple[pd.DataFrame, str]]:
    """(labelled rows, skip reason) per file; one process per CPU when the input is large.

    Reading and reply parsing are the costly steps at 100,000 samples, and both are per
    file, so workers share them; Inspect's log module is imported before the workers
    fork, so they do not each import it again.
    """
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    workers = min(len(files), cpus or 1)
    size = sum(path.stat().st_size for path, _ in files)
    if workers > 1 and size >= PARALLEL_BYTES and "fork" in mp.get_all_start_methods():
        if any(is_inspect_log(path) for path, _ in files):
            import inspect_ai.log  # noqa: F401
        with ProcessPoolExecutor(workers, mp_context=mp.get_context("fork")) as pool:
            yield from map(_unpack, pool.map(_read_file, files))
        return
    yield from map(_unpack, map(_read_file, files))


def _unpack(result: tuple[pd.DataFrame, str, tuple | None]) -> tuple[pd.DataFrame, str]:
    frame, problem, error = result
    if error:
        kind, path, message, line, expected = error
        raise kind(path, message, line=line, expected=expected)
    return frame, problem


def _read_file(job: tuple[Path, bool]) -> tuple[pd.DataFrame, str, tuple | None]:
    """One file's rows with their labels, or why it was skipped, or its error.

    Errors travel as plain values so that they cross a process boundary intact.
    """
    path, named = job
    empty = pd.DataFrame(columns=ROW_FIELDS)
    try:
        rows = list(map(_VALUES, read_rows(path)))
    except DataFileError as error:
        if isinstance(error, NotHvsbOutput) and not named:
            return empty, str(error), None
        return empty, "", (type(error), error.path, error.problem, error.line, error.expected)
    frame = pd.DataFrame.from_records(rows, columns=ROW_FIELDS)
    judge = frame["task"].eq("judge")
    bad = frame[judge & ~frame["gold_label"].isin(GOLD_LABELS)]
    if len(bad):
        first = bad.iloc[0]
        problem = f"judge sample {first['id']!r} has gold_label {first['gold_label']!r}"
        return empty, "", (DataFileError, str(path), problem, None, "biased or unbiased")
    bad = frame[judge & frame["parser"].notna() & ~frame["parser"].isin(list(PARSERS))]
    if len(bad):
        first = bad.iloc[0]
        problem = f"judge sample {first['id']!r} names the judgment parser {first['parser']!r}"
        return empty, "", (DataFileError, str(path), problem, None, f"one of {', '.join(PARSERS)}")
    failed = frame["error"].notna()
    labelled = derive(frame[~failed])
    return (
        pd.concat([labelled, frame[failed]], ignore_index=True) if failed.any() else labelled,
        "",
        None,
    )


def finish(
    frame: pd.DataFrame,
    *,
    families: dict[str, str] | None = None,
    names: dict[str, str] | None = None,
    params: dict[str, float] | None = None,
) -> pd.DataFrame:
    """Labelled rows (see `labels.derive`) → the tidy table: model names normalised,
    families and sizes attached, duplicates dropped (the last file read wins), columns ordered.

    A model's log-likelihood judgments are a different measurement from its generated
    ones, so they are tabled as a model of their own (`NAME (log-likelihood)`)."""
    frame = frame.copy()
    for column in ("model", "explainer"):
        frame[column] = _rename(frame[column], names or {})
    labels = {model_label(k): v for k, v in (families or {}).items()}
    frame["family"] = frame["model"].map(lambda m: labels.get(m, np.nan))
    sizes = {model_label(k): float(v) for k, v in (params or {}).items()}
    frame["params_b"] = frame["model"].map(lambda m: sizes.get(m, np.nan)).astype(float)
    if "judge_mode" in frame:
        by_loglikelihood = frame["judge_mode"].eq(LL_MODE)
        frame["model"] = frame["model"].where(~by_loglikelihood, frame["model"] + LL_SUFFIX)
    before = len(frame)
    frame = frame.drop_duplicates(subset=list(KEY), keep="last", ignore_index=True)
    for column in COLUMNS:
        if column not in frame:
            frame[column] = np.nan
    frame = frame[list(COLUMNS)]
    for column in _CATEGORICAL:
        frame[column] = frame[column].astype("category")
    frame["epoch"] = frame["epoch"].astype("int64")
    frame.attrs["duplicates_dropped"] = before - len(frame)
    return frame


def _rename(series: pd.Series, names: dict[str, str]) -> pd.Series:
    """Short labels, or the user's names: a full name as logged renames that name only, a
    short name (e.g. `smollm2`) renames every model with that label."""
    short = {k: v for k, v in names.items() if model_label(k) == k}
    mapping = {
        raw: names.get(raw) or short.get(model_label(raw)) or model_label(raw)
        for raw in series.dropna().unique()
    }
    return series.map(mapping)


def export(
    table: pd.DataFrame, *, csv: str | Path | None = None, parquet: str | Path | None = None
) -> None:
    """Write the table as CSV and/or Parquet, atomically (nothing half-written on failure)."""
    from hvsb.jsonl import atomic_writer

    if csv:
        with atomic_writer(csv) as handle:
            table.to_csv(handle, index=False)
    if parquet:
        path = Path(parquet)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        try:
            table.to_parquet(tmp, index=False)
            tmp.replace(path)
        finally:
            tmp.unlink(missing_ok=True)
