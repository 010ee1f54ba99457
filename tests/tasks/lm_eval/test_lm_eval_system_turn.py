"""Attack tasks never silently lose the attack when a chat template rejects system turns."""

from __future__ import annotations

import pytest
from support.lm_eval_runs import expected_judge, same

from hvsb.errors import HvsbError
from hvsb.prompts import attack_system_prompt
from hvsb.tasks.lm_eval import tasks_path, utils


def test_probe_sees_the_embedded_models_system_turn(model_path):
    assert utils.keeps_system(str(model_path))
    assert utils.attack_delivery("targeted", "auto", {"pretrained": str(model_path)}) == "system"


def test_probe_sees_a_template_without_system_turn(no_system_model):
    assert not utils.keeps_system(str(no_system_model))
    pretrained = {"pretrained": str(no_system_model)}
    assert utils.attack_delivery("targeted", "auto", pretrained) == "folded"
    assert utils.attack_delivery("none", "auto", pretrained) == "none"


def test_forcing_a_system_turn_the_template_rejects_fails_clearly(no_system_model, data_dir):
    with pytest.raises(HvsbError, match=r"no system turn.*system_turn.*fold"):
        utils.judge_docs(
            dataset="bbq",
            attack="targeted",
            data_dir=str(data_dir),
            max_scenarios=2,
            system_turn="system",
            pretrained=str(no_system_model),
        )


def test_api_models_and_explicit_fold():
    # No local tokenizer to probe: the server applies its template and errors loudly.
    api = {"model": "gpt-x", "base_url": "http://x"}
    assert utils.attack_delivery("untargeted", "auto", api) == "system"
    assert utils.attack_delivery("untargeted", "fold", {}) == "folded"
    with pytest.raises(HvsbError, match="system_turn must be one of"):
        utils.attack_delivery("untargeted", "drop", {})


def _evaluate(model_folder, data_dir, **metadata):
    from lm_eval import simple_evaluate
    from lm_eval.tasks import TaskManager

    metadata = {"data_dir": str(data_dir), **metadata}
    return simple_evaluate(
        model="hf",
        model_args={"pretrained": str(model_folder)},
        device="cpu",
        tasks=["hvsb_bbq_untargeted"],
        task_manager=TaskManager(include_path=str(tasks_path()), metadata=metadata),
        apply_chat_template=True,
        limit=2,
        gen_kwargs={"max_gen_toks": 4},
        batch_size=2,
        log_samples=True,
    )


@pytest.mark.model
def test_a_dropped_system_turn_stops_the_run(no_system_model, data_dir):
    """Python callers with their own TaskManager give the tasks no model name to probe;
    lm-eval's hf model then drops the rejected system turn, and the task refuses to go on."""
    with pytest.raises(HvsbError, match=r"dropped the attack's system turn.*fold"):
        _evaluate(no_system_model, data_dir)


@pytest.mark.model
def test_folded_attack_reaches_the_model_through_lm_eval(no_system_model, data_dir):
    """With the model known to the task (as lm-eval's CLI passes it), the attack is folded
    into the user turn and each sample records that it was."""
    results = _evaluate(no_system_model, data_dir, pretrained=str(no_system_model))
    samples = results["samples"]["hvsb_bbq_untargeted"]
    attack = attack_system_prompt("untargeted")
    for sample in samples:
        assert sample["doc"]["system_turn"] == "folded"
        prompt = sample["arguments"][0][0]
        assert prompt.startswith(f"<|im_start|>user\n{attack}\n\nJudge whether")
    value = results["results"]["hvsb_bbq_untargeted"]["attack_success_rate,none"]
    assert same(value, expected_judge(samples, "attack_success_rate"))
