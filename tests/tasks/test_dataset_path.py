"""Both ecosystems' tasks read an `hvsb scenarios export` folder (`dataset_path`) instead of
the raw files and get the same samples: compared without a model for every dataset, then
one tiny real run per ecosystem with the raw data out of reach."""

from __future__ import annotations

import json
import os

import pytest
from support.data import OFFLINE
from support.inspect_runs import CPU_ARGS, run
from support.lm_eval_runs import lm_eval, read_run, run_command

from hvsb.scenarios import DATASETS, select


def inspect_samples(task) -> list[tuple]:
    return [(s.id, s.input, s.target, s.metadata) for s in task.dataset]


@pytest.mark.parametrize("dataset", DATASETS)
def test_inspect_tasks_take_the_same_samples_from_the_export(exported, data_dir, dataset):
    from hvsb.tasks.inspect.tasks import explain, judge

    for task, options in ((judge, {"attack": "targeted"}), (explain, {})):
        options |= {"seed": 2, "max_scenarios": 60}
        from_export = task(dataset=dataset, dataset_path=str(exported), **options)
        from_raw = task(dataset=dataset, data_dir=str(data_dir), **options)
        assert inspect_samples(from_export) == inspect_samples(from_raw)
        assert len(from_export.dataset) > 0


@pytest.mark.parametrize("dataset", DATASETS)
def test_lm_eval_documents_are_the_same_from_the_export(exported, data_dir, dataset):
    from hvsb.tasks.lm_eval.utils import explain_docs, judge_docs

    for documents in (judge_docs, explain_docs):
        from_export = documents(dataset=dataset, dataset_path=str(exported), max_scenarios=50)
        from_raw = documents(dataset=dataset, data_dir=str(data_dir), max_scenarios=50)
        assert from_export["test"].to_list() == from_raw["test"].to_list()
        assert len(from_export["test"]) > 0


@pytest.fixture
def no_raw_data(tmp_path, monkeypatch) -> dict[str, str]:
    """No raw data anywhere (no HVSB_DATA_DIR, an empty cache, no downloads): a run can
    only have read the export. Returns that environment for subprocesses."""
    monkeypatch.delenv("HVSB_DATA_DIR", raising=False)
    monkeypatch.setenv("HVSB_CACHE", str(tmp_path / "empty-cache"))
    monkeypatch.setenv("HVSB_NO_DOWNLOAD", "1")
    return {**os.environ, **OFFLINE}


@pytest.mark.model
def test_an_inspect_run_judges_the_exported_scenarios(
    exported, data_dir, model_path, no_raw_data, tmp_path
):
    """`inspect eval hvsb/judge -T dataset=ss -T dataset_path=DIR --limit 2`."""
    [log] = run(
        "hvsb/judge",
        task_args={"dataset": "ss", "dataset_path": str(exported)},
        model=f"hf/{model_path}",
        model_args={**CPU_ARGS, "do_sample": False},
        limit=2,
        max_tokens=8,
        log_dir=str(tmp_path / "logs"),
    )
    expected = select("ss", data_dir=data_dir)[:2]
    assert [s.id for s in log.samples] == [s.id for s in expected]
    assert [s.metadata["scenario"] for s in log.samples] == [s.scenario for s in expected]
    assert log.eval.task_args["dataset_path"] == str(exported)


@pytest.mark.model
def test_an_lm_eval_run_judges_the_exported_scenarios(
    exported, data_dir, model_path, no_raw_data, tmp_path
):
    """`lm_eval --tasks hvsb_cp --metadata '{"dataset_path": DIR}' --limit 2`."""
    from hvsb.tasks.lm_eval import tasks_path

    out = tmp_path / "out"
    run_command(
        lm_eval(
            *("--model", "hf", "--model_args", f"pretrained={model_path},dtype=float32"),
            *("--include_path", str(tasks_path()), "--tasks", "hvsb_cp"),
            *("--metadata", json.dumps({"dataset_path": str(exported)})),
            *("--apply_chat_template", "--limit", "2", "--batch_size", "2"),
            *("--gen_kwargs", "max_gen_toks=8", "--log_samples", "--output_path", str(out)),
        ),
        no_raw_data,
    )
    samples = read_run(out).samples["hvsb_cp"]
    expected = select("cp", data_dir=data_dir)[:2]
    assert [s["doc"]["id"] for s in samples] == [s.id for s in expected]
    assert [s["doc"]["scenario"] for s in samples] == [s.scenario for s in expected]


def test_the_raw_data_really_is_out_of_reach(no_raw_data):
    """The guard the two runs rely on: without the export, selection fails."""
    from hvsb.errors import DatasetUnavailable

    with pytest.raises(DatasetUnavailable):
        select("cp", sample="seeded", seed=12345)
