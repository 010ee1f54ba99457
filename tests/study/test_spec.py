"""Study files: defaults, overrides, and errors that name the file and the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from hvsb.errors import DataFileError
from hvsb.study.plan import first_phase
from hvsb.study.runner import build_task
from hvsb.study.spec import DEFAULT_STUDY, Study, load_study


def _study(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "study.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_no_file_is_the_default_study_on_the_embedded_model() -> None:
    study = load_study(None)
    assert study == DEFAULT_STUDY
    assert study.judge.limit == 4 and study.judge.max_tokens == 48
    assert [m.model for m in study.models] == ["embedded/smollm2"]
    assert study.attacks == ("none", "untargeted", "targeted")


def test_overrides_keep_other_defaults(tmp_path: Path) -> None:
    study = load_study(
        _study(
            tmp_path,
            "name: small\nmodels:\n  - {name: a, model: hf/x, family: f, params_b: 7}\n"
            "datasets: [bbq]\njudge: {limit: 2}\n",
        )
    )
    assert study.name == "small" and study.output_dir == "hvsb-out/small"
    assert study.models[0].family == "f" and study.datasets == ("bbq",)
    assert study.models[0].params_b == 7.0
    assert study.judge.limit == 2 and study.judge.max_tokens == 512  # the paper's
    assert study.explain.limit == Study().explain.limit == 500


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("modles: []\n", "unknown key(s) modles in the study"),
        ("datasets: [bbq, nope]\n", "datasets has ['nope']"),
        ("judge: {limit: many}\n", "judge.limit is 'many'"),
        ("models:\n  - {name: a}\n", "models[0] has no 'model'"),
        ("models:\n  - {model: hf/a}\n  - {model: hf/a}\n", "model names repeat"),
        ("judge: {limt: 2}\n", "unknown key(s) limt in judge"),
        ("seed: [1\n", "invalid YAML"),
        ("judge: {limit: -3}\n", "judge.limit is -3 (expected a whole number of at least 1)"),
        ("explain: {limit: -1}\n", "explain.limit is -1"),
        ("judge: {max_tokens: 0}\n", "judge.max_tokens is 0"),
        ("agree: {max_tokens: -16}\n", "agree.max_tokens is -16"),
        ("judge: {per_cell: -1}\n", "judge.per_cell is -1"),
        ("judge: {limit: true}\n", "judge.limit is True"),
        ("models:\n  - {model: hf/a, family: 3}\n", "models[0].family is 3"),
        ("models:\n  - {model: hf/a, base_url: [x]}\n", "models[0].base_url is ['x']"),
        ("seed: 1\nseed: 2\n", "key 'seed' repeats the one on line 1"),
        ("judge: {limit: 2, limit: 3}\n", "key 'limit' repeats"),
        (
            "models:\n  - {model: hf/a, name: ../../../escaped}\n",
            "models[0].name is '../../../escaped'",
        ),
        ("models:\n  - {model: hf/a, name: a/b}\n", "a name usable as one folder"),
        ("retry: {max_retries: -1}\n", "retry.max_retries is -1"),
        ("retry: {timeout: 0}\n", "retry.timeout is 0"),
        ("sample: random\n", "sample is 'random' (expected one of paper, seeded)"),
        ("emulate: {max_tokens: 10}\n", "emulate.model is None"),
        ("models:\n  - {model: hf/a, params_b: big}\n", "models[0].params_b is 'big'"),
        ("models:\n  - {model: hf/a, params_b: 0}\n", "models[0].params_b is 0"),
    ],
)
def test_bad_study_names_file_and_key(tmp_path: Path, text: str, message: str) -> None:
    path = _study(tmp_path, text)
    with pytest.raises(DataFileError) as error:
        load_study(path)
    assert str(path) in str(error.value) and message in str(error.value)


def test_retry_and_emulate_blocks(tmp_path: Path) -> None:
    study = load_study(
        _study(
            tmp_path,
            "retry: {max_retries: 0, attempt_timeout: 30, step_attempts: 0}\n"
            "emulate: {model: openai/gpt-4o, max_tokens: 500}\n",
        )
    )
    assert (study.retry.max_retries, study.retry.attempt_timeout) == (0, 30)
    assert study.retry.step_attempts == 0 and study.retry.sample_attempts == 1
    assert study.emulate.enabled and study.emulate.model == "openai/gpt-4o"
    assert study.emulate.max_tokens == 500 and study.emulate.retries == 2
    assert not load_study(None).emulate.enabled  # the default study judges raw sentences


def test_parser_key_reaches_every_judge_task(tmp_path: Path, data_dir: Path) -> None:
    path = _study(
        tmp_path,
        f"parser: release\ndatasets: [biasdpo]\nattacks: [none, targeted]\n"
        f"data_dir: {data_dir}\njudge: {{limit: 2}}\nexplain: {{limit: 1}}\n",
    )
    study = load_study(path)
    assert study.parser == "release" and Study().parser == "hvsb"
    planned = first_phase(study, ["biasdpo"])
    judges = [e for e in planned if e.phase == "judge"]
    assert [e.task_args["parser"] for e in judges] == ["release", "release"]
    assert all("parser" not in e.task_args for e in planned if e.phase == "explain")
    task = build_task(judges[0], max_tokens=8)
    assert task.metadata["parser"] == "release"
    assert {s.metadata["parser"] for s in task.dataset} == {"release"}


def test_bad_parser_names_file_and_choices(tmp_path: Path) -> None:
    path = _study(tmp_path, "parser: strict\n")
    with pytest.raises(DataFileError) as error:
        load_study(path)
    assert str(path) in str(error.value) and "parser is 'strict'" in str(error.value)
    assert "one of hvsb, release" in str(error.value)
