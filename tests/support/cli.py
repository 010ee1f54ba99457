"""hvsb's CLI run inside the test process (saves an interpreter start per call)."""

from __future__ import annotations

import contextlib
import io

from hvsb.cli import main


def run_cli(argv: list[str]) -> tuple[int, str, str]:
    """hvsb.cli.main in-process: (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()
