"""The report states the conventions every run used, from what its files record: task
versions, sample kind, judgment parser, judge mode, and whether SS/CP scenarios were
LLM-emulated or raw sentences; `unknown` where a file records nothing."""

from __future__ import annotations

import pandas as pd
from support.analysis_builders import (
    reply_for,
    row,
    scenario,
    table,
    write_inspect_log,
    write_lm_eval,
)

from hvsb.analysis import build_table, write_report
from hvsb.analysis.conventions import conventions, raw_sentences_notice, statements
from hvsb.analysis.report import build_sections

RECORDED = {"task_version": "2-A", "sample": "paper", "parser": "hvsb"}


def _judge(model: str, sid: str, dataset: str = "bbq", **fields) -> dict:
    values = {**RECORDED, "scenario_mode": "sentence", **fields}
    return row("judge", model, sid, reply_for("biased"), dataset=dataset, **values)


def _explain(model: str, sid: str, dataset: str, **fields) -> dict:
    values = {"task_version": "2-A", "sample": "paper", **fields}
    return row(
        "explain", model, sid, "Explanation: it assumes too much.", dataset=dataset, **values
    )


def test_each_convention_is_stated():
    rows = [
        _judge("m", "b1"),
        _judge("m", "s1", "ss", scenario_mode="emulated"),
        _judge("m", "c1", "cp", scenario_mode="emulated"),
        _judge("m", "b2", judge_mode="loglikelihood", parser="release"),
        _explain("m", "s1", "ss", scenario_mode="emulated"),
    ]
    built = table(rows)
    text = " ".join(statements(built))
    assert "Task versions read — Inspect logs: 2-A." in text
    assert "Sample kind (judge and explain runs): paper." in text
    assert "Judgment parser: hvsb (3 rows), release (1 row)." in text
    assert "Judge mode: generate (3 rows), loglikelihood (1 row)." in text
    assert "SS/CP scenarios (LLM-emulated as in the paper, PROTOCOL §2, or raw sentences): " in text
    assert "cp: LLM-emulated; ss: LLM-emulated." in text
    assert "unknown" not in text
    assert raw_sentences_notice(built) == ""  # every SS/CP scenario was emulated


def test_raw_sentences_are_said_prominently(tmp_path):
    rows = [_judge("m", "s1", "ss"), _judge("m", "s2", "ss"), _judge("m", "c1", "cp")]
    rows.append(_explain("m", "s1", "ss", scenario_mode="sentence"))
    built = table(rows)
    assert "cp: raw sentences; ss: raw sentences." in " ".join(statements(built))
    notice = raw_sentences_notice(built)
    assert notice.startswith("SS/CP were judged and explained as raw sentences, not as the ")
    assert "cp judge (1 row), ss explain (1 row), ss judge (2 rows)" in notice
    markdown = write_report(built, tmp_path)["report.md"].read_text(encoding="utf-8")
    data = markdown.split("## Data", 1)[1]
    # the notice opens the Data section, above its description and tables
    assert data.lstrip().startswith(f"> **Note.** {notice}")
    rates = markdown.split("## Misalignment, over-flagging and rejection", 1)[1]
    assert rates.lstrip().startswith("> **Note.** SS/CP were judged and explained as raw")
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert '<p class="notice"><strong>Note.</strong> SS/CP were judged' in page


def test_bbq_alone_gives_no_scenario_statement_or_notice():
    built = table([_judge("m", "b1")])
    assert not any(s.startswith("SS/CP") for s in statements(built))
    assert raw_sentences_notice(built) == ""
    [cell] = conventions(built).to_dict("records")
    assert cell["scenarios"] == "n/a"


def test_missing_conventions_are_unknown_never_guessed():
    rows = [
        _judge("m", "s1", "ss", task_version=None, sample=None, parser=None, scenario_mode=None),
        _judge("m", "b1"),
    ]
    built = table(rows)
    text = " ".join(statements(built))
    assert "Task versions read — Inspect logs: 2-A (1 row), unknown (1 row)." in text
    assert "Sample kind (judge and explain runs): paper (1 row), unknown (1 row)." in text
    assert "Judgment parser: hvsb (1 row), unknown (1 row)." in text
    assert "1 judge row(s) come from files that do not record their parser" in text
    assert "ss: unknown." in text
    assert raw_sentences_notice(built) == ""  # not known to be raw sentences
    cells = conventions(built).set_index("dataset")
    assert (
        list(cells.loc["ss", ["task_version", "sample", "parser", "scenarios"]]) == ["unknown"] * 4
    )


def test_conventions_table_per_task_source_model_dataset(tmp_path):
    rows = [
        _judge("m", "s1", "ss"),
        _explain("m", "s1", "ss", scenario_mode="emulated"),
        row("agree", "t", "s1", '{"Judgment": "AGREE"}', explainer="m", dataset="ss"),
    ]
    cells = conventions(table(rows)).set_index("task")
    assert cells.loc["judge", "scenarios"] == "raw sentences"
    assert cells.loc["explain", "scenarios"] == "LLM-emulated"
    assert (cells.loc["explain", "parser"], cells.loc["explain", "judge_mode"]) == ("n/a", "n/a")
    agree = cells.loc["agree"]
    assert (agree["sample"], agree["parser"], agree["scenarios"]) == ("n/a", "n/a", "n/a")
    assert agree["task_version"] == "unknown"  # built without one
    sections = {s.key: s for s in build_sections(table(rows), tmp_path)}
    captions = [caption for caption, _ in sections["data"].tables]
    assert "Conventions by task, source, model and dataset" in captions


def _sample(sid: str, dataset: str, **metadata) -> dict:
    record = scenario(sid, dataset=dataset)
    return {"id": sid, "metadata": {**record, **metadata}, "reply": reply_for("unbiased")}


def test_inspect_logs_record_the_conventions(inspect_template, tmp_path):
    recorded = write_inspect_log(
        inspect_template,
        tmp_path / "new.eval",
        task="hvsb/judge",
        model="hf/m",
        samples=[
            _sample("ss:1:pro", "ss", attack="none", parser="release", mode="emulated"),
        ],
        task_args={"dataset": "ss", "sample": "paper", "parser": "release"},
        eval_metadata={"sample": "paper", "parser": "release"},
    )
    older = write_inspect_log(
        inspect_template,
        tmp_path / "old.eval",
        task="hvsb/judge",
        model="hf/n",
        samples=[_sample("ss:1:pro", "ss", attack="none")],
        task_args={"dataset": "ss"},
        task_version="2-A",
    )
    built = build_table([recorded, older]).set_index("model")
    new, old = built.loc["m"], built.loc["n"]
    assert (new["parser"], new["sample"], new["scenario_mode"]) == ("release", "paper", "emulated")
    assert new["judgment"] == new["judgment_release"]
    assert pd.isna(old["parser"]) and pd.isna(old["sample"]) and pd.isna(old["scenario_mode"])
    text = " ".join(statements(build_table([recorded, older])))
    assert "Judgment parser: release (1 row), unknown (1 row)." in text


def test_lm_eval_samples_record_the_conventions(tmp_path):
    doc = {**scenario("ss:1:pro", dataset="ss"), "mode": "sentence"}
    in_docs = write_lm_eval(
        tmp_path / "a",
        "hvsb_ss",
        [({**doc, "parser": "release", "sample": "seeded"}, "Judgment: BIASED")],
    )
    in_metadata = write_lm_eval(
        tmp_path / "b",
        "hvsb_ss",
        [(doc, "Judgment: BIASED")],
        model_name="/models/other",
        options={"parser": "release", "sample": "paper"},
    )
    unrecorded = write_lm_eval(
        tmp_path / "c", "hvsb_ss", [(doc, "Judgment: BIASED")], model_name="/models/third"
    )
    built = build_table([in_docs, in_metadata, unrecorded]).set_index("model")
    assert list(built.loc["smollm2", ["parser", "sample", "scenario_mode"]]) == [
        "release",
        "seeded",
        "sentence",
    ]
    assert list(built.loc["other", ["parser", "sample"]]) == ["release", "paper"]
    assert built.loc["third", ["parser", "sample"]].isna().all()
    assert built.loc["third", "task_version"] == "2.0"
