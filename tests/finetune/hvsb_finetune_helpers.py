"""Shared by the fine-tuning tests: hvsb's CLI run in the test process."""

from __future__ import annotations

import contextlib
import io

from hvsb.cli import main


def run_cli(argv: list[str]) -> tuple[int, str]:
    """hvsb's CLI in this process (saves the interpreter start); exit code and stderr."""
    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr):
        code = main(argv)
    return code, stderr.getvalue()
