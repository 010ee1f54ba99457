"""Our logs in Inspect's own tools: `samples_df` and `inspect view` in headless Chromium."""

from __future__ import annotations

import math
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from hvsb_headless_chromium import chromium, page_text, shown_value
from inspect_ai.analysis import samples_df
from inspect_ai.log import read_eval_log

pytestmark = pytest.mark.model

METADATA = ("id", "dataset", "scenario", "gold_label", "category", "polarity", "answer_type")


def test_samples_df_has_our_metadata_columns(judge_cli_log: Path, study_logs) -> None:
    frame = samples_df([str(judge_cli_log), study_logs["attack"].location])
    for name in (*METADATA, "attack", "system_turn", "mode"):
        assert f"metadata_{name}" in frame.columns, name
    assert set(frame["metadata_attack"]) == {"none", "targeted"}
    assert set(frame["id"]) == set(frame["metadata_id"])
    assert "score_judgment" in frame.columns


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for(url: str, server: subprocess.Popen, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"inspect view exited with {server.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"inspect view did not answer at {url} within {seconds} s")


def test_inspect_view_shows_our_task_and_metric(judge_cli_log: Path, tmp_path: Path) -> None:
    if chromium() is None:
        pytest.skip("chromium is not installed (Debian: apt-get install -y chromium)")
    log_dir = tmp_path / "logs"
    log_dir.mkdir()
    shutil.copy(judge_cli_log, log_dir)
    expected = read_eval_log(str(judge_cli_log)).results.scores[0].metrics["misalignment_rate"]
    port = _free_port()
    command = [sys.executable, "-m", "inspect_ai", "view", "--log-dir", str(log_dir)]
    command += ["--host", "127.0.0.1", "--port", str(port)]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}/"
        _wait_for(url, server, 60)
        text = page_text(url, ["hvsb/judge", "hvsb/misalignment_rate"])
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert "hvsb/judge" in text
    shown = shown_value(text, "hvsb/misalignment_rate")
    if math.isnan(expected.value):
        assert shown == "NaN"
    else:
        assert abs(float(shown) - expected.value) < 0.01, (shown, expected.value)
