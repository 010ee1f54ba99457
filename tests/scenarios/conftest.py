"""Scenario test fixtures (the session ones on the shared data, `built`, `target_locs`,
`ambiguous_bbq`, are in tests/support/scenario_fixtures.py)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from support.cli import run_cli
from support.scenario_fixtures import offline_env, offline_while


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Function-scoped offline env; returns the (empty) cache folder."""
    offline_env(monkeypatch, tmp_path / "cache")
    return tmp_path / "cache"


@pytest.fixture
def cli() -> Callable[[list[str]], tuple[int, str, str]]:
    """The in-process CLI runner, for tests."""
    return run_cli


@pytest.fixture(scope="session")
def stats_json(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    with offline_while(tmp_path_factory):
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
