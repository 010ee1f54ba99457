"""`hvsb report --bundle`: the Inspect logs with Inspect's viewer as a static site.

The log is a real hvsb/judge eval on `mockllm/model` (custom replies with explicit usage,
so nothing is downloaded; four scenarios from a scenario file), so no model runs. The
bundle is served by a real static HTTP server on 127.0.0.1, as a static host would, and
read in headless Chromium with the tests' one driver (tests/support/browser.py).
"""

from __future__ import annotations

import contextlib
import functools
import json
import shutil
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pandas as pd
import pytest
from support.browser import chromium, page_text, shown_value

from hvsb.analysis.bundle import BUNDLE_DIR, MARKER, gather, write_bundle
from hvsb.cli import main
from hvsb.errors import HvsbError

# Three biased scenarios and one unbiased, every reply UNBIASED: misalignment 3/3 = 1.0,
# over-flagging 0/1 = 0.0.
SCENARIOS = [
    {"id": f"cp:{n}:pro", "dataset": "cp", "scenario": f"Scenario {n}.", "gold_label": gold}
    for n, gold in enumerate(["biased", "biased", "biased", "unbiased"])
]


@pytest.fixture(scope="module")
def judge_logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with one real hvsb/judge log from `mockllm/model`."""
    from inspect_ai import eval as inspect_eval
    from inspect_ai.model import ModelOutput, ModelUsage, get_model

    folder = tmp_path_factory.mktemp("bundle-logs")
    scenarios = folder.parent / "scenarios.jsonl"
    scenarios.write_text("".join(json.dumps(s) + "\n" for s in SCENARIOS), encoding="utf-8")
    replies = []
    for _ in SCENARIOS:
        reply = ModelOutput.from_content(model="mockllm/model", content="Judgment: UNBIASED")
        reply.usage = ModelUsage(input_tokens=1, output_tokens=1, total_tokens=2)
        replies.append(reply)
    [log] = inspect_eval(
        "hvsb/judge",
        task_args={"dataset": "cp", "scenarios_file": str(scenarios)},
        model=get_model("mockllm/model", custom_outputs=replies),
        log_dir=str(folder / "judge"),
        display="none",
    )
    assert log.status == "success", log.error
    assert log.results.scores[0].metrics["misalignment_rate"].value == 1.0
    return folder


@contextlib.contextmanager
def static_site(folder: Path) -> Iterator[str]:
    """`folder` served read-only over HTTP on 127.0.0.1, as any static host serves it."""

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=folder))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()
        thread.join()
        server.server_close()


def test_report_bundle_opens_in_headless_chromium(judge_logs: Path, tmp_path: Path, capsys):
    if chromium() is None:
        pytest.skip("chromium is not installed (Debian: apt-get install -y chromium)")
    out = tmp_path / "report"
    assert main(["report", str(judge_logs), "--out", str(out), "--bundle"]) == 0
    assert f"1 Inspect logs → {out / BUNDLE_DIR / 'index.html'}" in capsys.readouterr().out
    site = out / BUNDLE_DIR
    assert (out / "report.html").is_file() and (site / "index.html").is_file()
    assert [p.name for p in (site / "logs").rglob("*.eval")] == [
        p.name for p in judge_logs.rglob("*.eval")
    ]
    with static_site(site) as url:
        text = page_text(url, ["hvsb/judge", "hvsb/misalignment_rate"])
    assert "hvsb/judge" in text
    assert float(shown_value(text, "hvsb/misalignment_rate")) == 1.0
    assert float(shown_value(text, "hvsb/overflag_rate")) == 0.0


def test_a_bundle_inside_a_read_folder_is_not_read_twice(judge_logs: Path, tmp_path: Path):
    folder = tmp_path / "study"
    shutil.copytree(judge_logs, folder)
    args = ["report", str(folder), "--out", str(folder / "report"), "--bundle"]
    rows = []
    for _ in range(2):  # the second report sees the first one's bundle under the folder
        assert main([*args, "--csv", str(tmp_path / "table.csv")]) == 0
        rows.append(len(pd.read_csv(tmp_path / "table.csv")))
    assert rows == [len(SCENARIOS), len(SCENARIOS)]
    assert (folder / "report" / BUNDLE_DIR / MARKER).is_file()


def test_several_inputs_keep_apart_and_lm_eval_samples_stay_out(judge_logs: Path, tmp_path):
    [log] = judge_logs.rglob("*.eval")
    first, second = tmp_path / "a" / "logs", tmp_path / "b" / "logs"
    for folder in (first, second):
        (folder / "judge").mkdir(parents=True)
        shutil.copy2(log, folder / "judge" / log.name)
    samples = tmp_path / "samples_hvsb_bbq_2026-01-01T00-00-00.jsonl"
    samples.write_text("{}\n", encoding="utf-8")
    places = [place for _, place in gather([first, second, log, samples])]
    assert places == [
        Path("logs") / "judge" / log.name,
        Path("logs-2") / "judge" / log.name,
        Path(log.name),
    ]
    assert [place for _, place in gather([first])] == [Path("judge") / log.name]


def test_bundle_refusals_name_the_problem(judge_logs: Path, tmp_path: Path) -> None:
    samples = tmp_path / "samples_hvsb_bbq_2026-01-01T00-00-00.jsonl"
    samples.write_text("{}\n", encoding="utf-8")
    with pytest.raises(HvsbError, match="no Inspect logs"):
        write_bundle([samples], tmp_path / "viewer")
    mine = tmp_path / "mine"
    (mine / "notes.txt").parent.mkdir()
    (mine / "notes.txt").write_text("keep", encoding="utf-8")
    with pytest.raises(HvsbError, match="not an hvsb log bundle; not replaced"):
        write_bundle([judge_logs], mine)
    assert (mine / "notes.txt").read_text(encoding="utf-8") == "keep"
