"""Errors that tell the user which file, which record and what was expected."""

from __future__ import annotations

from pathlib import Path


class HvsbError(Exception):
    """Base class for errors hvsb reports to users without a traceback."""


class DataFileError(HvsbError):
    """A data file is missing or malformed.

    The message always names the file and, when known, the line/record and what was
    expected, so the user can fix the input without reading hvsb's source. `unit` names
    what `line` counts (`row` for a table such as a Parquet file).
    """

    def __init__(
        self,
        path: str | Path,
        problem: str,
        *,
        line: int | None = None,
        expected: str | None = None,
        unit: str = "line",
    ) -> None:
        self.path = str(path)
        self.line = line
        self.problem = problem
        self.expected = expected
        where = f"{self.path}, {unit} {line}" if line is not None else self.path
        message = f"{where}: {problem}"
        if expected:
            message += f" (expected {expected})"
        super().__init__(message)


class DatasetUnavailable(HvsbError):
    """A dataset could not be found in any source; the message says where hvsb looked."""

    def __init__(self, dataset: str, looked_in: list[str], how_to_fix: str) -> None:
        self.dataset = dataset
        self.looked_in = looked_in
        self.how_to_fix = how_to_fix
        places = "\n  ".join(looked_in) if looked_in else "(nowhere)"
        super().__init__(
            f"dataset {dataset!r} is not available. Looked in:\n  {places}\n{how_to_fix}"
        )
