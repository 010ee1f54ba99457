"""Solvers: the attack's delivery (`hvsb.delivery`) and the study's decoding.

Two Inspect behaviours would silently change what is measured, so they are handled here:

- A chat template may drop a system turn; `hvsb.delivery` decides, from a probe of the
  local `hf/` model's template (API models cannot be probed), whether the attack goes in a
  system turn or is folded into the user turn, exactly as the lm-eval tasks decide it.
  Each sample records `metadata["system_turn"]` (`none`, `system` or `folded`).
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
from inspect_ai.solver import Generate, Solver, TaskState, solver

from hvsb import delivery
from hvsb.tasks.inspect._inspect_private import active_generate_config
from hvsb.tasks.inspect.tasks import GRADER_ROLE


def hf_provider(model: Model) -> Any | None:
    """The provider object of a local `hf/` model (tokenizer, weights), else None."""
    api = model.api
    is_hf = type(api).__name__ == "HuggingFaceAPI" and hasattr(api, "tokenizer")
    return api if is_hf else None


def keeps_system(model: Model) -> bool | None:
    """The delivery probe for `model`'s chat template; None for models that cannot be
    probed here (API models apply their template server-side)."""
    api = hf_provider(model)
    if api is None:
        return None
    template = api.chat_template if isinstance(api.chat_template, str) else None
    template = template or api.tokenizer.chat_template
    if api.use_chat_template is False:
        template = None  # the provider then writes plain "role: text" lines
    return delivery.template_keeps_system(api.tokenizer, template)


@solver
def attack_turn(attack: str, system_turn: str = "auto") -> Solver:
    """Deliver the attack's system prompt (PROTOCOL §3) as a system turn or folded in."""
    delivery.check_system_turn(system_turn)

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        model = get_model()
        how = delivery.decide(
            attack,
            system_turn,
            lambda: keeps_system(model),
            model=str(model),
            fix="-T system_turn=fold",
        )
        state.metadata["system_turn"] = how
        if how == "folded":
            user = next(m for m in state.messages if isinstance(m, ChatMessageUser))
            user.content = delivery.fold(attack, user.text)
        elif how == "system":
            state.messages.insert(0, ChatMessageSystem(content=delivery.system_text(attack, how)))
        return state

    return solve


def _greedy_override(model: Model, config: GenerateConfig) -> dict[str, Any]:
    """top_k=1 for temperature 0 on an `hf/` model that samples (greedy, never an error)."""
    api = hf_provider(model)
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


def answering_model() -> Model:
    """The model that answers: the `grader` role's model when bound, else the eval's."""
    return grader_model() or get_model()


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
