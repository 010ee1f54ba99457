"""Session fixtures every folder uses: the shared data dir, the embedded model, one
`transformers serve` of it, and the scenario fixtures of `support.scenario_fixtures`.
Helpers live in the `support` package, not here."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.data import OFFLINE, shared_data_dir
from support.serve import transformers_serve

# Session fixtures on the shared data (built scenarios, raw BBQ), shared by test folders.
pytest_plugins = ["support.scenario_fixtures", "support.exported"]


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """../shared/data (or HVSB_TEST_DATA_DIR); the tests that need it skip if it is absent."""
    return shared_data_dir()


@pytest.fixture(scope="session")
def model_path() -> Path:
    """The prepared embedded model (prepared once if needed: ~40 s on CPU)."""
    from hvsb import models

    return models.prepare()


@pytest.fixture(scope="session")
def served_model(tmp_path_factory, model_path: Path) -> Iterator[str]:
    """`transformers serve` of the embedded model on 127.0.0.1 for the whole session (one
    server for the lm-eval and Inspect API tests); yields its `/v1` base URL."""
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    with transformers_serve(model_path, log, {**os.environ, **OFFLINE}) as base_url:
        yield base_url
