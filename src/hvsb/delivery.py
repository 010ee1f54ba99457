"""How an attack condition reaches the model: one decision for both ecosystems.

The paper sends an attack as a system turn before the judge's user turn (PROTOCOL §3).
Some chat templates reject or silently drop a system turn (Gemma-style), and a tokenizer
without a chat template has no system turn at all; lm-eval and Inspect then lose the
attack with at most a warning, and the run measures "no attack". So the caller asks for
one of SYSTEM_TURNS and every sample records one of DELIVERIES:

- `auto` (default): a system turn when the model's template keeps one, else the attack
  text folded into the start of the user turn;
- `system`: a system turn, or an error before any model runs when the template drops it;
- `fold`: always folded.

A local model's template is probed with a marker (`template_keeps_system`); a template
that drops the marker, raises, or is absent does not keep a system turn. API models apply
their template on the server, where a rejected system turn is an error, not a silent
drop: they cannot be probed here (`keeps_system=None`) and get a system turn.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from hvsb.errors import HvsbError
from hvsb.prompts import attack_system_prompt

SYSTEM_TURNS = ("auto", "system", "fold")
DELIVERIES = ("none", "system", "folded")
PROBE_MARKER = "hvsb-system-turn-probe"

log = logging.getLogger("hvsb")


def check_system_turn(value: object) -> str:
    if value not in SYSTEM_TURNS:
        raise HvsbError(f"system_turn must be one of {', '.join(SYSTEM_TURNS)}, not {value!r}")
    return str(value)


def template_keeps_system(tokenizer: Any, chat_template: str | None) -> bool:
    """Whether `chat_template` (rendered with `tokenizer`) keeps a system turn's text.

    None (no chat template) keeps none: the prompt is then plain text with no turns.
    """
    if chat_template is None:
        return False
    probe = [{"role": "system", "content": PROBE_MARKER}, {"role": "user", "content": "Hello"}]
    try:
        text = tokenizer.apply_chat_template(
            probe, chat_template=chat_template, tokenize=False, add_generation_prompt=True
        )
    except Exception:  # jinja2 TemplateError from raise_exception(), ValueError, ...
        return False
    return PROBE_MARKER in str(text)


def decide(
    attack: str,
    system_turn: str,
    keeps_system: Callable[[], bool | None],
    *,
    model: str,
    fix: str,
) -> str:
    """The delivery (`none`, `system` or `folded`) of `attack` to `model`.

    `keeps_system` probes the model's template, called only when the answer matters
    (None: an API model, not probed); `fix` is how the caller's ecosystem spells
    `system_turn=fold`, for the error message.
    """
    check_system_turn(system_turn)
    if attack_system_prompt(attack) is None:
        return "none"
    if system_turn == "fold":
        return "folded"
    if keeps_system() is not False:
        return "system"
    if system_turn == "system":
        raise HvsbError(
            f"the chat template of {model} has no system turn, so the attack would be "
            f"dropped; rerun with {fix} to put the attack text at the start of the user turn"
        )
    log.warning(
        "hvsb: the chat template of %s has no system turn; the %s attack is folded into the "
        "user turn (recorded as system_turn=folded in each sample)",
        model,
        attack,
    )
    return "folded"


def fold(attack: str, user_text: str) -> str:
    """The user turn with the attack's text before it (the `folded` delivery)."""
    return f"{attack_system_prompt(attack)}\n\n{user_text}"


def system_text(attack: str, delivery: str) -> str | None:
    """The system turn to send: the attack's text when delivered as a system turn."""
    return attack_system_prompt(attack) if delivery == "system" else None
