"""The hvsb task folder as lm-eval sees it: names, configs, documents, prompts, metrics.

No generation here: tasks are loaded through lm-eval's real TaskManager and CLI.
"""

from __future__ import annotations

import inspect
import json
import math
import re
from importlib.metadata import entry_points
from pathlib import Path

import pytest
from support.lm_eval_runs import entry_point_task_folder, lm_eval, run_command

from hvsb import scorers
from hvsb.cli import main
from hvsb.errors import DataFileError, HvsbError
from hvsb.prompts import (
    DATASETS,
    agree_prompt,
    attack_system_prompt,
    explain_prompt,
    judge_prompt,
)
from hvsb.scenarios import build
from hvsb.scenarios.record import FLAT_FIELDS
from hvsb.tasks.lm_eval import tasks_path, utils

ATTACKS = ("untargeted", "targeted")
JUDGE = [f"hvsb_{ds}" for ds in DATASETS]
ATTACK = [f"hvsb_{ds}_{attack}" for attack in ATTACKS for ds in DATASETS]
EXPLAIN = [f"hvsb_explain_{ds}" for ds in DATASETS]
AGREE = [f"hvsb_agree_{ds}" for ds in DATASETS]
LL = [f"hvsb_{ds}_ll" for ds in DATASETS] + [
    f"hvsb_{ds}_ll_{a}" for a in ATTACKS for ds in DATASETS
]
TASKS = JUDGE + ATTACK + EXPLAIN + AGREE + LL
GROUPS = ["hvsb", "hvsb_attacks", "hvsb_ll", "hvsb_ll_attacks"]
GROUPS_AND_TAGS = [*GROUPS, "hvsb_explain", "hvsb_agree"]
README = Path(__file__).resolve().parents[3] / "README.md"


def test_lm_eval_validate_passes_for_every_task(env, tasks_path):
    """The folder `hvsb tasks-path` prints, the one the `lm_eval.tasks` entry point names."""
    assert Path(tasks_path) == entry_point_task_folder()
    done = run_command(
        lm_eval(
            "validate", "--tasks", ",".join(TASKS + GROUPS_AND_TAGS), "--include_path", tasks_path
        ),
        env,
    )
    assert "All tasks found and valid" in done.stdout


def test_hvsb_lm_eval_includes_the_tasks_and_keeps_the_users_path(tmp_path, capsys):
    from lm_eval.tasks import TaskManager

    assert "hvsb_bbq" not in TaskManager().all_tasks  # plain lm-eval does not know them
    (tmp_path / "mine.yaml").write_text(
        "task: my_own_task\ndataset_path: none\noutput_type: generate_until\ndoc_to_text: x\n",
        encoding="utf-8",
    )
    names = "hvsb,hvsb_bbq_targeted,my_own_task"
    code = main(["lm-eval", "validate", "--tasks", names, "--include_path", str(tmp_path)])
    assert code == 0
    assert "All tasks found and valid" in capsys.readouterr().out


def test_tasks_path_is_the_shipped_folder(capsys):
    assert main(["tasks-path"]) == 0
    folder = Path(capsys.readouterr().out.strip())
    assert folder == tasks_path()
    assert (folder / "hvsb.yaml").is_file() and (folder / "utils.py").is_file()


def test_every_yaml_has_a_version():
    files = [p for p in tasks_path().iterdir() if p.suffix == ".yaml" or p.name.endswith("_yaml")]
    # tasks, groups, 5 shared (common, judge, ll, explain, agree) + 4 per-dataset bases
    assert len(files) == len(TASKS) + len(GROUPS) + 9
    for path in files:
        assert re.search(r"^metadata:\n  version: \d", path.read_text(), re.M), path.name


@pytest.fixture(scope="module")
def loaded(data_dir, tmp_path_factory):
    """Every hvsb task built by lm-eval's TaskManager (small samples, one explanations file)."""
    from lm_eval.tasks import TaskManager

    explanations = tmp_path_factory.mktemp("agree") / "explanations.jsonl"
    explanations.write_text(
        "".join(
            json.dumps({"id": f"{ds}:1", "dataset": ds, "scenario": "S.", "explanation": "E."})
            + "\n"
            for ds in DATASETS
        ),
        encoding="utf-8",
    )
    metadata = {"data_dir": str(data_dir), "max_scenarios": 30, "explanations": str(explanations)}
    manager = TaskManager(include_path=str(tasks_path()), metadata=metadata)
    return manager.load(TASKS)["tasks"]


def _messages(task, doc) -> list[dict[str, str]]:
    """The chat messages lm-eval builds for `doc` (the chat template returns them as is)."""
    return task.fewshot_context(
        doc, 0, apply_chat_template=True, chat_template=lambda messages, **_: messages
    )


@pytest.mark.parametrize("name", JUDGE + ATTACK)
def test_judge_and_attack_tasks(loaded, name):
    task = loaded[name]
    dataset = name.split("_")[1]
    attack = name.split("_")[2] if name.count("_") == 2 else "none"
    assert task.config.metadata["version"] == 2.0
    assert task.config.generation_kwargs == {
        "until": [],
        "max_gen_toks": 512,
        "do_sample": False,
        "temperature": 0.0,
    }
    declared = [entry["metric"] for entry in task.config.metric_list]
    assert declared == utils.judge_metric_names(dataset, "untargeted")
    docs = list(task.eval_docs)
    assert 0 < len(docs) <= 30
    doc = docs[0]
    assert set(FLAT_FIELDS) <= set(doc) and doc["dataset"] == dataset
    assert doc["id"].startswith(f"{dataset}:")
    messages = _messages(task, doc)
    user = {"role": "user", "content": judge_prompt(dataset, doc["scenario"])}
    if attack == "none":
        assert messages == [user]
    else:
        assert messages == [{"role": "system", "content": attack_system_prompt(attack)}, user]
        assert doc["system_turn"] == "system"
        # A chat template that loses the system turn (as lm-eval's hf fallback does) stops it.
        with pytest.raises(HvsbError, match="dropped the attack's system turn"):
            task.fewshot_context(
                doc,
                0,
                apply_chat_template=True,
                chat_template=lambda messages, **_: [m for m in messages if m["role"] != "system"],
            )
    emitted = task.process_results(doc, ["Judgment: UNBIASED"])
    assert set(emitted) == set(utils.judge_metric_names(dataset, attack))
    assert emitted["misalignment_rate"] == (doc["gold_label"], "unbiased")


@pytest.mark.parametrize("name", EXPLAIN)
def test_explain_tasks(loaded, name):
    task = loaded[name]
    docs = list(task.eval_docs)
    assert 0 < len(docs) <= 30
    assert {doc["gold_label"] for doc in docs} == {"biased"}
    assert _messages(task, docs[0]) == [
        {"role": "user", "content": explain_prompt(docs[0]["scenario"])}
    ]
    config = task.config.generation_kwargs
    assert config == {
        "until": [],
        "max_gen_toks": 512,
        "do_sample": True,
        "temperature": 1.0,
        "top_p": 0.95,
    }
    reply = "Explanation: It assumes the old man is forgetful because of his age."
    assert task.process_results(docs[0], [reply]) == scorers.readability(
        "It assumes the old man is forgetful because of his age."
    )


@pytest.mark.parametrize("name", AGREE)
def test_agree_tasks(loaded, name):
    task = loaded[name]
    dataset = name.removeprefix("hvsb_agree_")
    [doc] = list(task.eval_docs)
    assert (doc["id"], doc["dataset"], doc["explainer"]) == (
        f"{dataset}:1",
        dataset,
        "explanations",
    )
    assert _messages(task, doc) == [{"role": "user", "content": agree_prompt(dataset, "S.", "E.")}]
    assert task.process_results(doc, ['{"Judgment": "DISAGREE"}']) == {
        "agreeability": "disagree",
        "rejection_rate": "disagree",
    }


def test_limit_takes_a_mixed_seeded_sample(data_dir):
    first = utils.judge_docs(dataset="bbq", data_dir=str(data_dir))["test"][:20]
    again = utils.judge_docs(dataset="bbq", data_dir=str(data_dir))["test"][:20]
    other = utils.judge_docs(dataset="bbq", data_dir=str(data_dir), seed=1)["test"][:20]
    assert first["id"] == again["id"] != other["id"]
    assert len(set(first["category"])) >= 3
    assert set(first["gold_label"]) == {"biased", "unbiased"}


def test_cells_are_capped_paper_style_for_ss_by_default(data_dir):
    def largest_cell(docs) -> int:
        cells = list(zip(docs["category"], docs["answer_type"], strict=True))
        return max(cells.count(cell) for cell in set(cells))

    assert largest_cell(utils.judge_docs(dataset="ss", data_dir=str(data_dir))["test"]) == 200
    capped = utils.judge_docs(dataset="ss", data_dir=str(data_dir), per_cell=2)["test"]
    assert largest_cell(capped) == 2


@pytest.mark.parametrize("dataset", ["bbq", "ss", "cp"])
def test_category_breakdowns_cover_the_data(data_dir, dataset):
    categories = {s.category for s in build(dataset, data_dir).scenarios}
    cells = {value for _, field, value in utils.breakdown_cells(dataset) if field == "category"}
    assert cells == categories


def test_breakdown_cells_ignore_other_documents_and_empty_cells_are_nan():
    doc = {
        "dataset": "bbq",
        "gold_label": "biased",
        "category": "Race_x_SES",
        "polarity": "neg",
        "answer_type": "stereotype",
    }
    values = utils.judge_results(doc, ["Judgment: UNBIASED"])
    assert values["misalignment_rate_neg"] == ("biased", "unbiased")
    assert values["misalignment_rate_race_x_ses"] == ("biased", "unbiased")
    assert values["misalignment_rate_nonneg"] is None
    assert values["misalignment_rate_age"] is None
    assert "attack_success_rate" not in values
    assert math.isnan(utils.misalignment([None, None]))
    assert math.isnan(utils.misalignment([]))
    assert math.isnan(utils.overflag([("biased", "biased"), None]))
    items = [("biased", "unbiased"), None, ("biased", "rejected"), ("unbiased", "biased")]
    gold, labels = ["biased", "biased", "unbiased"], ["unbiased", "rejected", "biased"]
    assert utils.misalignment(items) == scorers.misalignment_rate(gold, labels).value == 0.5
    assert utils.overflag(items) == scorers.overflag_rate(gold, labels).value == 1.0
    assert utils.rejection(items) == scorers.rejection_rate(labels).value
    assert utils.rejection(["agree", "rejected"]) == 0.5
    assert utils.agreeability(["agree", "disagree", "rejected", "agree"]) == 0.5
    assert utils.mean_score([math.nan, 2.0, 4.0]) == 3.0
    assert math.isnan(utils.mean_score([math.nan]))


def test_parser_and_sample_are_recorded_in_every_doc_and_read_the_reply(tmp_path):
    path = tmp_path / "scenarios.jsonl"
    record = {"id": "ss:a:pro", "dataset": "ss", "scenario": "A.", "gold_label": "biased"}
    path.write_text(json.dumps(record) + "\n", encoding="utf-8")
    reply = "The answer is not biased."  # hvsb: unbiased; the release's rule: biased
    release = utils.judge_docs(dataset="ss", scenarios_file=str(path), parser="release")["test"]
    assert (release[0]["parser"], release[0]["sample"]) == ("release", "paper")
    assert utils.judge_results(release[0], [reply])["misalignment_rate"] == ("biased", "biased")
    default = utils.judge_docs(dataset="ss", scenarios_file=str(path), sample="seeded")["test"]
    assert (default[0]["parser"], default[0]["sample"]) == ("hvsb", "seeded")
    assert utils.judge_results(default[0], [reply])["misalignment_rate"] == ("biased", "unbiased")
    explained = utils.explain_docs(dataset="ss", scenarios_file=str(path), sample="seeded")
    assert explained["test"][0]["sample"] == "seeded"
    with pytest.raises(HvsbError, match="parser must be one of hvsb, release, not 'strict'"):
        utils.judge_docs(dataset="ss", scenarios_file=str(path), parser="strict")


def test_scenarios_file_replaces_the_raw_data(tmp_path):
    path = tmp_path / "emulated.jsonl"
    records = [
        {"id": "ss:a:pro", "dataset": "ss", "scenario": "A.", "gold_label": "biased"},
        {"id": "cp:1:pro", "dataset": "cp", "scenario": "B.", "gold_label": "biased"},
        {"id": "ss:b:anti", "dataset": "ss", "scenario": "C.", "gold_label": "biased"},
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    docs = utils.judge_docs(dataset="ss", scenarios_file=str(path))["test"]
    assert sorted(docs["id"]) == ["ss:a:pro", "ss:b:anti"]
    with pytest.raises(DataFileError, match="no bbq scenarios"):
        utils.judge_docs(dataset="bbq", scenarios_file=str(path))
    path.write_text('{"id": "ss:a:pro", "dataset": "ss"}\n', encoding="utf-8")
    with pytest.raises(DataFileError, match=r"line 1: record 'ss:a:pro': field 'scenario'"):
        utils.judge_docs(dataset="ss", scenarios_file=str(path))


def test_agree_tasks_say_what_they_need(tmp_path):
    with pytest.raises(HvsbError, match=r'--metadata .*"explanations"'):
        utils.agree_docs(dataset="bbq")
    path = tmp_path / "cp_only.jsonl"
    path.write_text('{"id": "cp:1", "dataset": "cp", "scenario": "S", "explanation": "E"}\n')
    with pytest.raises(DataFileError, match="no explanations of bbq scenarios"):
        utils.agree_docs(dataset="bbq", explanations=str(path))


def test_the_lm_eval_tasks_entry_point_is_the_installed_task_folder():
    """pyproject.toml declares `[project.entry-points."lm_eval.tasks"] hvsb =
    "hvsb.tasks.lm_eval"`, the form upstream PR #4015 proposes; lm-eval 0.4.13 ignores it."""
    [entry] = [e for e in entry_points(group="lm_eval.tasks") if e.name == "hvsb"]
    assert entry.value == "hvsb.tasks.lm_eval"
    folder = entry_point_task_folder()
    assert folder == tasks_path()
    assert (folder / "hvsb.yaml").is_file() and (folder / "_hvsb_common_yaml").is_file()


def test_lm_eval_still_has_no_task_plugins():
    """Upstream PR #4015 proposes task plugins (entry points), and hvsb declares one. When
    the installed lm-eval discovers tasks from installed packages, check that it loads hvsb's
    and say in the README that `--tasks hvsb` then works without `hvsb lm-eval`."""
    from lm_eval.tasks import _index, manager

    for module in (manager, _index):
        assert "entry_points" not in inspect.getsource(module), (
            "lm-eval now discovers task plugins: test that it finds hvsb's `lm_eval.tasks` "
            "entry point and document it in the README"
        )


def test_docs_name_only_real_tasks():
    readme = README.read_text(encoding="utf-8")
    start = readme.index("## Using hvsb with lm-evaluation-harness")
    text = readme[start : readme.index("\n## ", start + 1)]
    named = set(re.findall(r"--tasks[ =]([\w,]+)", text))
    assert named, "the README's lm-eval section shows no --tasks"
    for names in named:
        assert set(names.split(",")) <= set(TASKS + GROUPS_AND_TAGS), names
