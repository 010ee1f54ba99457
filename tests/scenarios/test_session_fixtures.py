"""Session fixtures give the environment back: one that kept HVSB_CACHE pointed at an empty
folder for the rest of the session sent every later test, and the vLLM server they start,
to a model cache without the embedded model (three vLLM tests failed in CI that way)."""

from __future__ import annotations

import os

from support.scenario_fixtures import HVSB_ENV_AT_START


def test_session_fixtures_leave_hvsb_settings_as_they_found_them(built, stats_json, exported):
    assert built and stats_json and exported.is_dir()  # each has been set up by now
    now = {k: v for k, v in os.environ.items() if k.startswith("HVSB_")}
    assert now == HVSB_ENV_AT_START
