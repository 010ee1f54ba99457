"""`hvsb run` with no arguments: the default study on the embedded model, then its report
opened in headless Chromium as a reader would open it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from support.browser import view_page

from hvsb.study.spec import DEFAULT_STUDY

SECTIONS = (
    "Data",
    "Errors",
    "Misalignment, over-flagging and rejection",
    "Parser sensitivity: hvsb's parser vs the release's rule",
    "BBQ by category × question polarity × answer type",
    "Attack success rate",
    "Negative vs non-negative questions, stereotype vs non-stereotype answers",
    "Judgment consistency between models",
    "Explainer × target agreeability and self-preference",
    "Readability beside agreeability",
    "What the paper found, for these models",
)


def test_default_study_runs_and_reports(tmp_path: Path, data_dir: Path, model_path: Path) -> None:
    env = {**os.environ, "HVSB_DATA_DIR": str(data_dir)}
    done = subprocess.run(
        [sys.executable, "-m", "hvsb.cli", "run"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    out = tmp_path / DEFAULT_STUDY.output_dir
    markdown = (out / "report" / "report.md").read_text(encoding="utf-8")
    assert re.findall(r"^## (.+)$", markdown, re.MULTILINE) == list(SECTIONS)
    judged = 4 * len(DEFAULT_STUDY.datasets) * len(DEFAULT_STUDY.attacks)
    assert f"{judged} judge" in markdown  # every planned judgment made it into the report
    assert "No sample failed with an error" in markdown
    # the offline default study has no emulator: SS/CP are judged as raw sentences, and
    # the report says so
    assert "SS/CP were judged and explained as raw sentences" in markdown

    view = view_page(out / "report" / "report.html", screenshot=tmp_path / "report.png")
    assert view.errors == []
    assert [h.strip() for h in view.headings] == list(SECTIONS)
    assert view.images, "the report has no plots"
    for complete, width, height, alt in view.images:
        assert complete and width > 100 and height > 100, alt
