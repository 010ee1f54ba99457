"""Session fixtures give the environment back: one that kept HVSB_CACHE pointed at an empty
folder for the rest of the session sent every later test, and the vLLM server they start,
to a model cache without the embedded model (three vLLM tests failed in CI that way). Any
test before it that kept such a change (an in-process CLI run, os.environ.update) fails it
too."""

from __future__ import annotations

import os

from support.scenario_fixtures import ENV_AT_START, WATCHED_ENV


def test_session_fixtures_leave_hvsb_settings_as_they_found_them(built, stats_json, exported):
    assert built and stats_json and exported.is_dir()  # each has been set up by now
    assert {name: os.environ.get(name) for name in WATCHED_ENV} == ENV_AT_START
