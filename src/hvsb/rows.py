"""The row every output reader returns, whichever ecosystem wrote the file.

One row per logged sample: the task (judge / explain / agree), the model, the condition
(attack and judge mode for judge rows, explainer for agree rows), the conventions the run
used (the judgment parser of judge rows; the sample kind and the scenario mode —
`emulated` or `sentence` — of judge and explain rows; None where the file does not
record one), the scenario record, the raw reply, the task's version and where it came
from. A sample that failed with an error has no reply: its row carries the `error`
message instead, so it is counted as an error and never scored. The readers only read:
labels, explanations and readability are derived later from the raw replies
(`hvsb.analysis.labels`), so nothing trusts a score stored at run time. Each reader
belongs to its ecosystem's adapter
(`hvsb.tasks.inspect.logs`, `hvsb.tasks.lm_eval.samples`); `read_rows` picks one by file.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from hvsb.errors import DataFileError
from hvsb.scenarios.record import FLAT_FIELDS

TASKS = ("judge", "explain", "agree")
# The scenario record's fields a row carries besides its id and dataset.
RECORD_KEYS = tuple(name for name in FLAT_FIELDS if name not in ("id", "dataset"))
ROW_FIELDS = (
    "task",
    "model",
    "dataset",
    "attack",
    "judge_mode",
    "parser",
    "sample",
    "scenario_mode",
    "id",
    "epoch",
    *RECORD_KEYS,
    "reply",
    "explanation",
    "explainer",
    "task_version",
    "data_modified",
    "error",
    "source_format",
    "source_path",
)
Row = dict[str, Any]


class NotHvsbOutput(DataFileError):
    """A readable file that is not the output of an hvsb task (skipped in folder scans)."""


def is_inspect_log(path: Path) -> bool:
    """Whether a file is read as an Inspect log (else as lm-eval samples)."""
    return path.suffix in (".eval", ".json")


def looks_like_output(path: Path) -> bool:
    """Whether a file met in a folder scan may be an hvsb output (Inspect log or lm-eval
    samples file); other files (lm-eval results JSON, Inspect's logs.json and
    eval-set.json) are passed over."""
    from hvsb.tasks.lm_eval.samples import task_name

    if path.suffix == ".eval":
        return True
    if path.suffix == ".jsonl":
        return task_name(path) is not None
    return path.suffix == ".json" and not path.name.startswith(
        ("results_", "logs.json", "eval-set.json")  # lm-eval results, Inspect's indexes
    )


def read_rows(path: Path) -> Iterator[Row]:
    """Rows of one file, read by its ecosystem's reader."""
    if is_inspect_log(path):
        from hvsb.tasks.inspect.logs import read_log

        return read_log(path)
    if path.suffix == ".jsonl":
        from hvsb.tasks.lm_eval.samples import read_samples

        return read_samples(path)
    raise DataFileError(
        path, "unknown file type", expected=".eval/.json Inspect logs or samples_*.jsonl"
    )
