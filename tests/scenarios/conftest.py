"""Scenario test fixtures (the session ones on the shared data, `built`, `target_locs`,
`ambiguous_bbq`, are in tests/hvsb_scenario_fixtures.py)."""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from hvsb_scenario_fixtures import offline_env

from hvsb.cli import main


def need_file(data_dir: Path, relpath: str) -> Path:
    """The data file, or a skip naming it. Same as tests/conftest.py's: with this folder's
    conftest loaded, `from conftest import need_file` (test_emulate.py) finds this one."""
    path = data_dir / relpath
    if not path.is_file():
        pytest.skip(f"{relpath} is not in {data_dir}")
    return path


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Function-scoped offline env; returns the (empty) cache folder."""
    offline_env(monkeypatch, tmp_path / "cache")
    return tmp_path / "cache"


def run_cli(argv: list[str]) -> tuple[int, str, str]:
    """hvsb.cli.main in-process: (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def cli() -> Callable[[list[str]], tuple[int, str, str]]:
    """The in-process CLI runner, for tests."""
    return run_cli


@pytest.fixture(scope="session")
def stats_json(data_dir: Path, session_offline) -> dict:
    code, out, _ = run_cli(["scenarios", "stats", "--json", "--data-dir", str(data_dir)])
    assert code == 0
    return json.loads(out)


@pytest.fixture
def make_data_dir(tmp_path: Path) -> Callable[[dict[str, bytes | Path]], Path]:
    """make_data_dir({relpath: bytes or a file to link}) -> a temporary data dir."""

    def make(files: dict[str, bytes | Path]) -> Path:
        root = tmp_path / "data"
        for relpath, content in files.items():
            target = root / relpath
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, Path):
                target.symlink_to(content)
            else:
                target.write_bytes(content)
        return root

    return make
