"""The report: every section from a run's outputs, text that follows the numbers, a page
that opens in headless Chromium with every plot loaded, and the `hvsb report` command."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import pandas as pd
import pytest
from support.analysis_builders import (
    agree_reply,
    reply_for,
    row,
    scenario,
    table,
    write_inspect_log,
    write_lm_eval,
)
from support.browser import view_page

from hvsb.analysis import build_table, write_report
from hvsb.analysis.report import build_sections
from hvsb.cli import main

SECTIONS = (
    "data",
    "errors",
    "rates",
    "parsers",
    "bbq",
    "attacks",
    "contrasts",
    "consistency",
    "agreeability",
    "readability",
    "findings",
)
FIGURES = ("rates", "bbq", "attacks", "contrasts", "consistency", "agreeability", "readability")
EXPLANATIONS = {
    "m1": "Explanation: The answer assumes the older person is forgetful only because of age.",
    "m2": "Explanation: Naming someone when the context is ambiguous relies on an unfounded age stereotype about memory.",
    "m3": "Explanation: It is ageist.  Old people are said to forget things, which is not supported.",
}


def study_rows() -> list[dict]:
    """Three models, BBQ and BiasDPO, three attack conditions, explain and agree rows."""
    rows = []
    cells = [("Age", "neg"), ("Age", "nonneg"), ("Race", "neg"), ("Race", "nonneg")]
    for m, model in enumerate(("m1", "m2", "m3")):
        for attack in ("none", "untargeted", "targeted"):
            for i in range(24):
                category, polarity = cells[i % 4]
                answer = ("stereotype", "nonstereotype", "unknown")[i % 3]
                gold = "unbiased" if answer == "unknown" else "biased"
                label = ("biased", "unbiased", "rejected")[(i * (m + 1) + len(attack)) % 3]
                rows.append(
                    row(
                        "judge",
                        model,
                        f"bbq:{category}:{i}:{answer}",
                        reply_for(label),
                        attack=attack,
                        category=category,
                        polarity=polarity,
                        answer_type=answer,
                        gold=gold,
                    )
                )
            for i in range(6):
                label = ("biased", "unbiased")[(i + m) % 2]
                rows.append(
                    row(
                        "judge",
                        model,
                        f"biasdpo:{i}:rejected",
                        reply_for(label),
                        attack=attack,
                        dataset="biasdpo",
                        category=None,
                        polarity=None,
                        answer_type="rejected",
                    )
                )
        for i in range(4):
            rows.append(row("explain", model, f"bbq:Age:{i}:stereotype", EXPLANATIONS[model]))
        for e, explainer in enumerate(("m1", "m2", "m3")):
            for i in range(4):
                label = "agree" if (explainer == model or (i + e) % 2) else "disagree"
                rows.append(
                    row(
                        "agree",
                        model,
                        f"bbq:Age:{i}:stereotype",
                        agree_reply(label),
                        explainer=explainer,
                        explanation=EXPLANATIONS[explainer],
                    )
                )
    return rows


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> tuple[Path, pd.DataFrame]:
    out = tmp_path_factory.mktemp("report")
    built = table(study_rows(), families={"m1": "alpha", "m2": "alpha", "m3": "beta"})
    write_report(built, out)
    return out, built


def test_every_section_has_text_tables_and_figure(report):
    out, built = report
    markdown = (out / "report.md").read_text(encoding="utf-8")
    sections = build_sections(built, out / "check")
    assert [s.key for s in sections] == list(SECTIONS)
    for section in sections:
        assert not section.missing, section.key
        assert section.text and section.tables, section.key
        assert f"## {section.title}" in markdown
    assert markdown.count("**What this shows.**") == len(SECTIONS)
    for name in FIGURES:
        png = out / "figures" / f"{name}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert f"](figures/{name}.png)" in markdown
    assert (out / "tables" / "rates.csv").is_file() and (
        out / "tables" / "agreeability_2.csv"
    ).is_file()
    assert not list(out.glob(".hvsb-report-*"))  # the staging folder is gone


def test_text_quotes_the_measured_numbers(report):
    out, built = report
    rates = pd.read_csv(out / "tables" / "rates.csv")
    markdown = (out / "report.md").read_text(encoding="utf-8")
    for _, cell in rates[rates["attack"] == "none"].iterrows():
        share = f"{100 * cell['misalignment']:.1f} %"
        count = f"({cell['misalignment_hits']}/{cell['misalignment_n']})"
        assert f"{share} [" in markdown and count in markdown
    pairs = pd.read_csv(out / "tables" / "consistency.csv")
    best = pairs.sort_values(["kappa", "agreement"]).iloc[-1]
    assert (
        f"{best['model_a']}–{best['model_b']} (agreement {100 * best['agreement']:.1f} %"
        in markdown
    )
    # every target agrees with all its own explanations here: self-preference, rank 1
    assert "3 of 3 target(s) rank their own explanations first" in markdown


def _contrast_text(neg_misaligned: int, nonneg_misaligned: int) -> str:
    rows = [
        row(
            "judge",
            "m",
            f"n{i}",
            reply_for("unbiased" if i < neg_misaligned else "biased"),
            polarity="neg",
        )
        for i in range(40)
    ] + [
        row(
            "judge",
            "m",
            f"p{i}",
            reply_for("unbiased" if i < nonneg_misaligned else "biased"),
            polarity="nonneg",
        )
        for i in range(40)
    ]
    (section,) = [
        s for s in build_sections(table(rows), Path("/nonexistent")) if s.key == "contrasts"
    ]
    return section.text


def test_paper_finding_sentence_follows_the_data(monkeypatch):
    from hvsb.analysis import plots

    monkeypatch.setattr(plots, "_save", lambda figure, path: path)  # the text is under test here
    confirmed = _contrast_text(neg_misaligned=4, nonneg_misaligned=20)
    assert (
        "Negative questions had lower misalignment than non-negative ones for 1 of 1" in confirmed
    )
    assert "significantly for 1: as the paper found" in confirmed
    assert "10.0 % vs 50.0 %" in confirmed
    contradicted = _contrast_text(neg_misaligned=20, nonneg_misaligned=4)
    assert "for 0 of 1 model(s)" in contradicted and "is contradicted here" in contradicted
    unclear = _contrast_text(neg_misaligned=9, nonneg_misaligned=10)
    assert "not confirmed at the 5 % level" in unclear


def test_sections_without_data_say_what_to_run(tmp_path):
    only_judge = table(
        [
            row(
                "judge",
                "m",
                "s1",
                reply_for("biased"),
                dataset="ss",
                category="race",
                polarity=None,
                answer_type="pro",
            )
        ]
    )
    write_report(only_judge, tmp_path)
    markdown = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert "No agree rows: run the agree task" in markdown
    assert "Needs judge rows of at least two models" in markdown
    assert sorted(p.stem for p in (tmp_path / "figures").iterdir()) == ["rates"]


def test_html_is_self_contained(report):
    out, _ = report
    page = (out / "report.html").read_text(encoding="utf-8")
    images = re.findall(r'<img src="([^"]+)"', page)
    assert len(images) == len(FIGURES)
    for source in images:
        assert source.startswith("data:image/png;base64,")
        assert base64.b64decode(source.split(",", 1)[1])[:4] == b"\x89PNG"
    assert not re.search(r'(src|href)="(https?:)?//', page)  # nothing fetched from elsewhere
    assert "<script" not in page


def test_html_opens_in_headless_chromium_with_every_plot_loaded(report, tmp_path):
    out, _ = report
    view = view_page(out / "report.html", screenshot=tmp_path / "page.png")
    assert view.errors == []
    assert len(view.images) == len(FIGURES)
    for complete, width, height, alt in view.images:
        assert complete and width > 100 and height > 100, alt
    assert len(view.headings) == len(SECTIONS)


def test_cli_reads_both_ecosystems_and_exports(inspect_template, tmp_path, capsys):
    logs = tmp_path / "logs"
    for model in ("hf//models/alpha-1b", "hf//models/alpha-3b"):
        for attack in ("none", "targeted"):
            samples = [
                {
                    "id": f"bbq:Age:{i}:stereotype",
                    "metadata": scenario(f"bbq:Age:{i}:stereotype"),
                    "reply": reply_for(("biased", "unbiased")[(i + len(model) + len(attack)) % 2]),
                }
                for i in range(6)
            ]
            write_inspect_log(
                inspect_template,
                logs / f"{model[-8:]}_{attack}.eval",
                task="hvsb/judge",
                model=model,
                task_args={"dataset": "bbq", "attack": attack},
                samples=samples,
            )
    write_lm_eval(
        tmp_path / "lm" / "__models__beta",
        "hvsb_bbq",
        [(scenario(f"bbq:Age:{i}:stereotype"), reply_for("biased")) for i in range(6)],
        model_name="/models/beta",
    )
    out = tmp_path / "report"
    code = main(
        [
            "report",
            str(logs),
            str(tmp_path / "lm"),
            "--out",
            str(out),
            "--csv",
            str(tmp_path / "t.csv"),
            "--parquet",
            str(tmp_path / "t.parquet"),
            "--families",
            "alpha-1b=alpha,alpha-3b=alpha,beta=beta",
        ]
    )
    assert code == 0
    assert "30 rows" in capsys.readouterr().out
    exported = pd.read_parquet(tmp_path / "t.parquet")
    assert set(exported["model"]) == {"alpha-1b", "alpha-3b", "beta"}
    assert set(exported["source_format"]) == {"inspect", "lm-eval"}
    assert len(pd.read_csv(tmp_path / "t.csv")) == 30
    markdown = (out / "report.md").read_text(encoding="utf-8")
    assert "Within-family pairs agree" in markdown
    assert (out / "report.html").is_file()
    assert build_table([logs]).shape[0] == 24


def test_cli_errors_name_the_problem_and_write_nothing(tmp_path, capsys):
    out = tmp_path / "report"
    assert main(["report", str(tmp_path / "missing"), "--out", str(out)]) == 2
    assert "missing: no such file or folder" in capsys.readouterr().err
    assert main(["report", str(tmp_path), "--out", str(out), "--families", "oops"]) == 2
    assert "--families: 'oops' is not KEY=VALUE" in capsys.readouterr().err
    assert not out.exists()


def test_error_bars_at_a_rate_of_0_or_1_are_never_negative():
    """Wilson bounds of 0/7 and 7/7 sit a rounding error past the rate (statsmodels)."""
    from hvsb.analysis.plots import _errors
    from hvsb.scorers import misalignment_rate

    rows = []
    for labels in (["biased"] * 7, ["unbiased"] * 7):
        rate = misalignment_rate(["biased"] * 7, labels)
        rows.append({"rate": rate.value, "rate_low": rate.low, "rate_high": rate.high})
    errors = _errors(pd.DataFrame(rows), "rate")
    assert (errors >= 0).all()
    width = rows[0]["rate_high"]  # 0/7 and 7/7 have mirror-image intervals
    assert errors[0].tolist() == pytest.approx([0.0, 1 - rows[1]["rate_low"]])  # below
    assert errors[1].tolist() == pytest.approx([width, 0.0])  # above
