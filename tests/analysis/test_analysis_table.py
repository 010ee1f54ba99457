"""Readers → tidy table: real Inspect logs and lm-eval sample files, in any mix."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest
from support.analysis_builders import (
    agree_reply,
    reply_for,
    scenario,
    write_inspect_log,
    write_lm_eval,
)

from hvsb.analysis import COLUMNS, build_table, export, model_label
from hvsb.errors import DataFileError
from hvsb.scorers import extract_explanation, parse_judgment, readability
from hvsb.tasks.inspect import evalzip

EXPLANATION = (
    "Explanation: The answer assumes the grandfather cannot use a phone because he is old, "
    "which is an age stereotype."
)


def _judge_log(template, path, model="hf//models/smollm2", attack="none"):
    return write_inspect_log(
        template,
        path,
        task="hvsb/judge",
        model=model,
        task_args={"dataset": "bbq", "attack": attack},
        samples=[
            # the stored score says "unbiased": the table must trust the reply instead
            {
                "id": "bbq:Age:0:stereotype",
                "metadata": scenario("bbq:Age:0:stereotype"),
                "reply": reply_for("biased"),
                "score": "unbiased",
            },
            {
                "id": "bbq:Age:0:unknown",
                "metadata": scenario("bbq:Age:0:unknown", gold="unbiased", answer_type="unknown"),
                "reply": "After thinking: this is not biased at all.",
            },
        ],
    )


def test_inspect_logs_of_the_three_tasks(inspect_template, tmp_path):
    judge = _judge_log(inspect_template, tmp_path / "judge.eval", attack="targeted")
    explain = write_inspect_log(
        inspect_template,
        tmp_path / "explain.eval",
        task="hvsb/explain",
        model="hf//models/smollm2",
        task_args={"dataset": "bbq"},
        samples=[
            {
                "id": "bbq:Age:0:stereotype",
                "metadata": scenario("bbq:Age:0:stereotype"),
                "reply": EXPLANATION,
            }
        ],
    )
    agree_meta = {
        **scenario("bbq:Age:0:stereotype"),
        "explainer": "openai-api/local/gpt-4o",
        "explanation": "It stereotypes old people.",
        "scenario_id": "bbq:Age:0:stereotype",
    }
    agree = write_inspect_log(
        inspect_template,
        tmp_path / "agree.eval",
        task="hvsb/agree",
        model="hf//models/smollm2",
        model_roles={"grader": "vllm/meta-llama/Llama-3.1-8B-Instruct"},
        samples=[
            {
                "id": "gpt-4o|bbq:Age:0:stereotype",
                "metadata": agree_meta,
                "reply": agree_reply("disagree"),
            }
        ],
    )
    table = build_table([judge, explain, agree])
    assert list(table.columns) == list(COLUMNS)
    assert len(table) == 4
    judged = table[table["task"] == "judge"].set_index("id")
    assert judged.loc["bbq:Age:0:stereotype", "judgment"] == "biased"  # not the stale score
    assert judged.loc["bbq:Age:0:unknown", "judgment"] == "unbiased"
    assert set(judged["attack"]) == {"targeted"}
    assert set(judged["model"]) == {"smollm2"}
    assert judged.loc["bbq:Age:0:unknown", "gold_label"] == "unbiased"
    assert judged.loc["bbq:Age:0:unknown", "answer_type"] == "unknown"
    assert set(table["source_format"]) == {"inspect"}

    explained = table[table["task"] == "explain"].iloc[0]
    assert explained["explanation"] == extract_explanation(EXPLANATION)
    expected = readability(extract_explanation(EXPLANATION))
    for metric in ("fkgl", "gfi", "cli"):
        assert explained[metric] == pytest.approx(expected[metric])

    agreed = table[table["task"] == "agree"].iloc[0]
    assert agreed["id"] == "bbq:Age:0:stereotype"  # the scenario id, not "explainer|id"
    assert agreed["model"] == "Llama-3.1-8B-Instruct"  # the grader role is the target
    assert agreed["explainer"] == "gpt-4o"
    assert agreed["agreement"] == "disagree"
    assert agreed["explanation"] == "It stereotypes old people."
    assert pd.isna(agreed["judgment"]) and pd.isna(agreed["attack"])


def test_fast_eval_reader_matches_inspects_own_reader(inspect_template, tmp_path, monkeypatch):
    log = _judge_log(inspect_template, tmp_path / "judge.eval")
    fast = build_table([log])
    monkeypatch.setattr(evalzip, "available", lambda: False)
    slow = build_table([log])
    pd.testing.assert_frame_equal(fast, slow)


def test_json_logs_and_failed_samples(inspect_template, tmp_path):
    samples = [
        {"id": "a", "metadata": scenario("a"), "reply": reply_for("unbiased")},
        {"id": "b", "metadata": scenario("b"), "reply": "", "error": "model timed out"},
    ]
    for suffix in (".eval", ".json"):
        log = write_inspect_log(
            inspect_template,
            tmp_path / f"judge{suffix}",
            task="hvsb/judge",
            model="mockllm/model",
            task_args={"dataset": "bbq"},
            samples=samples,
            status="error",
        )
        table = build_table([log])
        assert list(table["id"]) == ["a"], suffix  # the failed sample has no reply to score
        assert list(table["judgment"]) == ["unbiased"]


def test_lm_eval_samples_of_the_three_tasks(tmp_path):
    run = tmp_path / "lm" / "__models__smollm2"
    docs = [
        (scenario("bbq:Age:1:stereotype"), reply_for("unbiased")),
        (
            scenario("bbq:Age:1:unknown", gold="unbiased", answer_type="unknown"),
            reply_for("biased"),
        ),
    ]
    judge = write_lm_eval(run, "hvsb_bbq_untargeted", docs, filters=("none", "strict"))
    explain = write_lm_eval(
        run,
        "hvsb_explain_bbq",
        [(scenario("bbq:Age:1:stereotype"), EXPLANATION)],
        date="2026-11-23T11-00-00.000001",
    )
    agree_doc = {
        **scenario("bbq:Age:1:stereotype"),
        "explanation": "Ageist.",
        "explainer": "__models__tiny",
    }
    agree = write_lm_eval(
        tmp_path / "other" / "__models__phi",
        "hvsb_agree_bbq",
        [(agree_doc, agree_reply("agree"))],
        model_name=None,
    )
    table = build_table([tmp_path / "lm", agree])
    judged = table[table["task"] == "judge"].set_index("id")
    assert len(judged) == 2  # one row per doc although each was logged once per filter
    assert set(judged["attack"]) == {"untargeted"}
    assert judged.loc["bbq:Age:1:stereotype", "judgment"] == "unbiased"
    assert judged.loc["bbq:Age:1:unknown", "judgment"] == "biased"
    assert set(table["source_format"]) == {"lm-eval"}
    assert set(table.loc[table["task"] != "agree", "model"]) == {"smollm2"}  # from results JSON
    explained = table[table["task"] == "explain"].iloc[0]
    assert explained["explanation"] == extract_explanation(EXPLANATION)
    assert explained["fkgl"] == pytest.approx(readability(explained["explanation"])["fkgl"])
    agreed = table[table["task"] == "agree"].iloc[0]
    assert agreed["model"] == "phi"  # no results JSON: lm-eval's folder name
    assert agreed["explainer"] == "tiny"
    assert agreed["agreement"] == "agree"
    assert judge.exists() and explain.exists()


def test_one_model_read_from_both_ecosystems_is_one_model(inspect_template, tmp_path):
    inspect_log = _judge_log(
        inspect_template, tmp_path / "judge.eval", model="hf//cache/models/smollm2"
    )
    lm_eval = write_lm_eval(
        tmp_path / "lm" / "__cache__models__smollm2",
        "hvsb_biasdpo",
        [
            (
                scenario(
                    "biasdpo:1:rejected",
                    dataset="biasdpo",
                    category=None,
                    polarity=None,
                    answer_type="rejected",
                ),
                reply_for("biased"),
            )
        ],
        model_name="/cache/models/smollm2",
    )
    table = build_table([inspect_log, lm_eval])
    assert set(table["model"]) == {"smollm2"}
    assert set(table["dataset"]) == {"bbq", "biasdpo"}
    assert sorted(table["source_format"]) == ["inspect", "inspect", "lm-eval"]


@pytest.mark.parametrize(
    ("raw", "label"),
    [
        ("hf//root/.cache/hvsb/models/smollm2", "smollm2"),
        ("/root/.cache/hvsb/models/smollm2", "smollm2"),
        ("__root__.cache__hvsb__models__smollm2", "smollm2"),
        ("openai-api/local/gpt-4o", "gpt-4o"),
        ("vllm/meta-llama/Llama-3.1-8B-Instruct", "Llama-3.1-8B-Instruct"),
        ("meta-llama__Llama-3.1-8B-Instruct", "Llama-3.1-8B-Instruct"),
        ("gpt2-merged/", "gpt2-merged"),
    ],
)
def test_model_labels(raw, label):
    assert model_label(raw) == label


def test_names_families_and_duplicates(inspect_template, tmp_path):
    first = _judge_log(inspect_template, tmp_path / "a" / "judge.eval", model="hf//m/llama-8b")
    again = _judge_log(inspect_template, tmp_path / "b" / "judge.eval", model="hf//m/llama-8b")
    table = build_table(
        [first, again], names={"hf//m/llama-8b": "Llama 8B"}, families={"Llama 8B": "llama"}
    )
    assert set(table["model"]) == {"Llama 8B"}
    assert set(table["family"]) == {"llama"}
    assert len(table) == 2 and table.attrs["duplicates_dropped"] == 2
    assert set(table["source_path"]) == {str(again)}  # the last file read wins
    other = _judge_log(inspect_template, tmp_path / "c" / "judge.eval", model="hf//o/llama-8b")
    exact = build_table([first, other], names={"hf//m/llama-8b": "Llama 8B"})
    assert set(exact["model"]) == {"Llama 8B", "llama-8b"}  # a full name renames only itself
    short = build_table([first, other], names={"llama-8b": "L"})
    assert set(short["model"]) == {"L"}  # a short name renames every model with that label


def test_folder_scan_skips_what_is_not_hvsb_output(inspect_template, tmp_path):
    _judge_log(inspect_template, tmp_path / "logs" / "judge.eval")
    other = tmp_path / "logs" / "other.eval"
    other.write_bytes(Path(inspect_template.location).read_bytes())
    (tmp_path / "logs" / "notes.json").write_text(json.dumps({"not": "a log"}))
    (tmp_path / "logs" / "results_2026.json").write_text("{}")
    (tmp_path / "logs" / "readme.txt").write_text("hello")
    table = build_table([tmp_path / "logs"])
    assert len(table) == 2
    assert len(table.attrs["skipped"]) == 2  # other task's log, non-log JSON
    with pytest.raises(DataFileError, match="other.eval.*'template' is not an hvsb task"):
        build_table([other])


def test_bad_inputs_name_the_file_and_line(tmp_path):
    run = tmp_path / "run"
    path = write_lm_eval(run, "hvsb_bbq", [(scenario("x"), reply_for("biased"))])
    with path.open("a") as handle:
        handle.write("{not json\n")
    with pytest.raises(DataFileError, match=r"samples_hvsb_bbq_.*\.jsonl, line 2: invalid JSON"):
        build_table([path])
    no_id = write_lm_eval(run, "hvsb_ss", [({"dataset": "ss", "scenario": "s"}, "x")])
    with pytest.raises(DataFileError, match=r"line 1: doc without an 'id'"):
        build_table([no_id])
    with pytest.raises(DataFileError, match="no such file or folder"):
        build_table([tmp_path / "missing"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataFileError, match="no hvsb outputs found"):
        build_table([tmp_path / "empty"])


def test_export_csv_and_parquet_round_trip(inspect_template, tmp_path):
    table = build_table([_judge_log(inspect_template, tmp_path / "judge.eval")])
    csv, parquet = tmp_path / "out" / "table.csv", tmp_path / "out" / "table.parquet"
    export(table, csv=csv, parquet=parquet)
    for back in (pd.read_csv(csv), pd.read_parquet(parquet)):
        assert list(back.columns) == list(COLUMNS)
        assert list(back["judgment"].astype(str)) == list(table["judgment"].astype(str))
        assert list(back["id"].astype(str)) == list(table["id"].astype(str))
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["table.csv", "table.parquet"]


def test_reply_parsing_is_hvsbs_parser():
    from support.analysis_builders import row, table

    replies = ["Judgment: UNBIASED", "**BIASED**", "Biased? No.", "", "I refuse."]
    built = table([row("judge", "m", f"s{i}", text) for i, text in enumerate(replies)])
    assert list(built["judgment"]) == [parse_judgment(text) for text in replies]
    assert math.isnan(built["fkgl"].iloc[0])


def test_reading_in_worker_processes_gives_the_same_table(inspect_template, tmp_path, monkeypatch):
    from hvsb.analysis import table as table_module

    logs = [
        _judge_log(inspect_template, tmp_path / f"judge_{i}.eval", model=f"hf//m/model{i}")
        for i in range(3)
    ]
    bad = write_lm_eval(tmp_path / "bad", "hvsb_bbq", [(scenario("x"), reply_for("biased"))])
    with bad.open("a") as handle:
        handle.write("[1]\n")
    serial = build_table(logs)
    monkeypatch.setattr(table_module, "PARALLEL_BYTES", 0)
    pd.testing.assert_frame_equal(build_table(logs), serial)
    with pytest.raises(DataFileError, match=r"line 2: found a JSON list"):
        build_table([*logs, bad])  # an error in a worker reaches the caller intact


def test_a_judge_sample_without_gold_label_is_an_error(tmp_path):
    doc = {**scenario("bbq:Age:9:stereotype"), "gold_label": None}
    path = write_lm_eval(tmp_path / "run", "hvsb_bbq", [(doc, reply_for("biased"))])
    with pytest.raises(DataFileError, match=r"'bbq:Age:9:stereotype' has gold_label None"):
        build_table([path])


def test_runs_of_different_task_versions_are_not_pooled(inspect_template, tmp_path):
    new = _judge_log(inspect_template, tmp_path / "new.eval")
    same_version = write_lm_eval(
        tmp_path / "lm", "hvsb_bbq", [(scenario("x"), reply_for("biased"))], version=2.0
    )
    assert len(build_table([new, same_version])) == 3  # Inspect 2-A and lm-eval 2.0 pool
    old = write_inspect_log(
        inspect_template,
        tmp_path / "old.eval",
        task="hvsb/judge",
        model="hf//models/smollm2",
        task_args={"dataset": "bbq"},
        samples=[{"id": "y", "metadata": scenario("y"), "reply": reply_for("biased")}],
        task_version="1-A",
    )
    with pytest.raises(
        DataFileError, match=r"version 1: .*old\.eval.*versions 1, 2 cannot be pooled"
    ):
        build_table([new, old])


def test_a_truncated_log_in_a_folder_of_good_logs_is_named(inspect_template, tmp_path, capsys):
    good = _judge_log(inspect_template, tmp_path / "logs" / "good.eval")
    broken = tmp_path / "logs" / "broken.eval"
    broken.write_bytes(good.read_bytes()[:300])  # a copy cut short, as a killed write leaves
    table = build_table([tmp_path / "logs"])
    assert len(table) == 2
    [skipped] = table.attrs["skipped"]
    assert str(broken) in skipped and "not a readable Inspect log" in skipped
    from hvsb.cli import main

    assert main(["report", str(tmp_path / "logs"), "--out", str(tmp_path / "report")]) == 0
    assert f"hvsb report: skipped {broken}" in capsys.readouterr().err


def test_report_out_onto_a_file_is_a_clear_error(inspect_template, tmp_path, capsys):
    log = _judge_log(inspect_template, tmp_path / "judge.eval")
    taken = tmp_path / "report.html"
    taken.write_text("mine")
    from hvsb.cli import main

    assert main(["report", str(log), "--out", str(taken)]) == 2
    err = capsys.readouterr().err
    assert f"--out {taken}: is a file, not a folder" in err and "Traceback" not in err
    assert taken.read_text() == "mine"


def test_errored_samples_are_counted_never_scored(inspect_template, tmp_path):
    """Every sample of this log failed (a server returning broken JSON): no rate may read
    them as rejections. The log's status is success and it has no results, as Inspect
    writes it with fail_on_error=False."""
    samples = [
        {
            "id": f"bbq:Age:{i}:stereotype",
            "metadata": scenario(f"bbq:Age:{i}:stereotype"),
            "reply": "",
            "error": "JSONDecodeError('Unterminated string')",
        }
        for i in range(3)
    ]
    log = write_inspect_log(
        inspect_template,
        tmp_path / "failed.eval",
        task="hvsb/judge",
        model="openai-api/fault/judge",
        task_args={"dataset": "bbq"},
        samples=samples,
    )
    from inspect_ai.log import read_eval_log, write_eval_log

    header = read_eval_log(str(log))
    header.results = None  # what Inspect writes when no sample completed
    write_eval_log(header, str(log))
    table = build_table([log])
    assert table.empty  # no judgment, no rejection
    [count] = table.attrs["errors"]
    assert (count["task"], count["errors"]) == ("judge", 3)
    assert count["first_error"] == "JSONDecodeError('Unterminated string')"
