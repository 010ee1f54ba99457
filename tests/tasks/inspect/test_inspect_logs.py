"""Our logs in Inspect's own tools: `samples_df` and `inspect view` in headless Chromium."""

from __future__ import annotations

import math
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from inspect_ai.analysis import samples_df
from inspect_ai.log import read_eval_log
from support.browser import chromium, page_text, shown_value
from support.serve import free_port, stop, wait_until_ready

pytestmark = pytest.mark.model

METADATA = ("id", "dataset", "scenario", "gold_label", "category", "polarity", "answer_type")


def test_samples_df_has_our_metadata_columns(judge_cli_log: Path, study_logs) -> None:
    frame = samples_df([str(judge_cli_log), study_logs["attack"].location])
    for name in (*METADATA, "attack", "system_turn", "mode"):
        assert f"metadata_{name}" in frame.columns, name
    assert set(frame["metadata_attack"]) == {"none", "targeted"}
    assert set(frame["id"]) == set(frame["metadata_id"])
    assert "score_judgment" in frame.columns


def test_inspect_view_shows_our_task_and_metric(judge_cli_log: Path, tmp_path: Path) -> None:
    chromium()  # or a skip saying how to install it
    log_dir = tmp_path / "logs"
    log_dir.mkdir()
    shutil.copy(judge_cli_log, log_dir)
    expected = read_eval_log(str(judge_cli_log)).results.scores[0].metrics["misalignment_rate"]
    port = free_port()
    command = [sys.executable, "-m", "inspect_ai", "view", "--log-dir", str(log_dir)]
    command += ["--host", "127.0.0.1", "--port", str(port)]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}/"
        wait_until_ready(url, server, 60, "inspect view")
        text = page_text(url, ["hvsb/judge", "hvsb/misalignment_rate"])
    finally:
        stop(server)
    assert "hvsb/judge" in text
    shown = shown_value(text, "hvsb/misalignment_rate")
    if math.isnan(expected.value):
        assert shown == "NaN"
    else:
        assert abs(float(shown) - expected.value) < 0.01, (shown, expected.value)
