"""Solvers: the attack's system turn (or its fold into the user turn) and the study's decoding.

Two Inspect behaviours would silently change what is measured, so they are handled here:

- Some chat templates reject or drop a system turn (Gemma-style); the attack would then
  be lost and a run would measure "no attack". For local `hf/` models the template is
  probed with a marker; `system_turn=auto` folds the attack into the user turn when the
  marker does not survive, `system` always sends a system turn (a rejecting template
  then fails the sample loudly), `fold` always folds. Each sample records what was done
  in `metadata["system_turn"]` (`none`, `system` or `folded`).
- The `hf/` provider samples by default and rejects temperature 0, the judge's decoding
  (PROTOCOL §3). With temperature 0 on such a model, generation uses top_k=1, which is
  greedy decoding; `metadata["decoding"]` says so. `-M do_sample=false` avoids it.
"""

from __future__ import annotations

from typing import Any

from inspect_ai.model import (
    ChatMessageSystem,
    ChatMessageUser,
    GenerateConfig,
    Model,
    get_model,
    model_roles,
)

# The effective generate config of this sample (task config + eval options); Inspect has
# no public accessor, and the hf/ greedy fix needs the temperature actually in force.
from inspect_ai.model._generate_config import active_generate_config
from inspect_ai.solver import Generate, Solver, TaskState, solver

from hvsb.errors import HvsbError
from hvsb.prompts import attack_system_prompt

SYSTEM_TURNS = ("auto", "system", "fold")
GRADER_ROLE = "grader"
_PROBE = "hvsb-system-turn-probe"


def check_system_turn(system_turn: object) -> str:
    if system_turn not in SYSTEM_TURNS:
        raise HvsbError(
            f"-T system_turn must be one of {', '.join(SYSTEM_TURNS)}, not {system_turn!r}"
        )
    return str(system_turn)


def fold(system_text: str, user_text: str) -> str:
    """The attack text at the start of the user turn (the same fold as the lm-eval tasks)."""
    return f"{system_text}\n\n{user_text}"


def _hf_api(model: Model) -> Any | None:
    """The provider object of a local `hf/` model, else None (detected by duck typing)."""
    api = model.api
    is_hf = type(api).__name__ == "HuggingFaceAPI" and hasattr(api, "tokenizer")
    return api if is_hf else None


def template_keeps_system(model: Model) -> bool | None:
    """Whether the model's chat template renders a system turn; None when it cannot be
    probed here (API models apply their template server-side, where a rejected system
    turn is an error rather than a silent drop)."""
    api = _hf_api(model)
    if api is None:
        return None
    template = api.chat_template if isinstance(api.chat_template, str) else None
    template = template or api.tokenizer.chat_template
    if api.use_chat_template is False or template is None:
        return True  # the provider writes "system: ..." lines itself
    probe = [{"role": "system", "content": _PROBE}, {"role": "user", "content": "Hello"}]
    try:
        text = api.tokenizer.apply_chat_template(
            probe, chat_template=template, tokenize=False, add_generation_prompt=True
        )
    except Exception:  # jinja2 TemplateError from raise_exception(), ValueError, ...
        return False
    return _PROBE in str(text)


@solver
def attack_turn(attack: str, system_turn: str = "auto") -> Solver:
    """Deliver the attack's system prompt (PROTOCOL §3) as a system turn or folded in."""
    text = attack_system_prompt(attack)
    check_system_turn(system_turn)

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        if text is None:
            state.metadata["system_turn"] = "none"
            return state
        delivery = system_turn
        if delivery == "auto":
            delivery = "fold" if template_keeps_system(get_model()) is False else "system"
        if delivery == "fold":
            user = next(m for m in state.messages if isinstance(m, ChatMessageUser))
            user.content = fold(text, user.text)
            state.metadata["system_turn"] = "folded"
        else:
            state.messages.insert(0, ChatMessageSystem(content=text))
            state.metadata["system_turn"] = "system"
        return state

    return solve


def _greedy_override(model: Model, config: GenerateConfig) -> dict[str, Any]:
    """top_k=1 for temperature 0 on an `hf/` model that samples (greedy, never an error)."""
    api = _hf_api(model)
    if api is not None and getattr(api, "do_sample", False) and config.temperature == 0:
        return {"temperature": 1.0, "top_k": 1}
    return {}


def _sampling(config: GenerateConfig) -> GenerateConfig:
    return GenerateConfig(
        temperature=config.temperature,
        top_p=config.top_p,
        top_k=config.top_k,
        max_tokens=config.max_tokens,
        seed=config.seed,
    )


def grader_model() -> Model | None:
    """The `grader` role's model (the agreeability target) when the eval binds one."""
    role = model_roles().get(GRADER_ROLE)
    if role is None:
        return None
    return role if isinstance(role, Model) else role[0]


@solver
def study_generate() -> Solver:
    """Generate with the evaluated model, or with the `grader` role's model when bound.

    The role model (the agreeability target, `--model-role grader=...`) gets the task's
    sampling settings; its own role config, when given, wins.
    """

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        active = active_generate_config()
        model = grader_model()
        if model is None:
            model = get_model()
            override = _greedy_override(model, model.config.merge(active))
            state.metadata["model"] = str(model)
            _note_decoding(state, override)
            return await generate(state, **override)
        config = _sampling(active).merge(model.config)
        override = _greedy_override(model, config)
        state.metadata["model"] = str(model)
        _note_decoding(state, override)
        output = await model.generate(state.messages, config=config.merge(override))
        state.output = output
        state.messages.append(output.message)
        return state

    return solve


def _note_decoding(state: TaskState, override: dict[str, Any]) -> None:
    if override:
        state.metadata["decoding"] = "greedy: top_k=1 (hf/ samples by default)"
