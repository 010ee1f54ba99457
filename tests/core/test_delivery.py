"""hvsb.delivery: one decision, for both ecosystems, of how an attack reaches the model."""

from __future__ import annotations

import pytest
from support.templates import DROPPING_TEMPLATE, RAISING_TEMPLATE

from hvsb import delivery
from hvsb.errors import HvsbError
from hvsb.prompts import attack_system_prompt


@pytest.fixture(scope="module")
def tokenizer(model_path):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(model_path))


def test_probe_on_the_embedded_template_and_three_that_lose_the_system_turn(tokenizer):
    assert delivery.template_keeps_system(tokenizer, tokenizer.chat_template)
    assert not delivery.template_keeps_system(tokenizer, DROPPING_TEMPLATE)
    assert not delivery.template_keeps_system(tokenizer, RAISING_TEMPLATE)
    assert not delivery.template_keeps_system(tokenizer, None)  # no template, no turns


def _decide(system_turn: str, keeps: bool | None, attack: str = "targeted") -> str:
    return delivery.decide(attack, system_turn, lambda: keeps, model="m", fix="FIX")


def test_decisions():
    assert _decide("auto", True) == "system"
    assert _decide("auto", False) == "folded"
    assert _decide("auto", None) == "system"  # an API model: its server applies the template
    assert _decide("system", True) == "system"
    assert _decide("fold", True) == "folded"
    for system_turn in delivery.SYSTEM_TURNS:
        assert _decide(system_turn, False, attack="none") == "none"
    with pytest.raises(HvsbError, match="chat template of m has no system turn.*rerun with FIX"):
        _decide("system", False)
    with pytest.raises(HvsbError, match="system_turn must be one of auto, system, fold"):
        _decide("drop", True)


def test_the_probe_runs_only_when_its_answer_matters():
    def probe() -> bool:
        raise AssertionError("probed")

    assert delivery.decide("none", "auto", probe, model="m", fix="") == "none"
    assert delivery.decide("targeted", "fold", probe, model="m", fix="") == "folded"


def test_fold_and_system_text():
    folded = delivery.fold("untargeted", "Judge this.")
    assert folded == f"{attack_system_prompt('untargeted')}\n\nJudge this."
    assert delivery.system_text("targeted", "system") == attack_system_prompt("targeted")
    assert delivery.system_text("targeted", "folded") is None
    assert delivery.system_text("none", "none") is None
