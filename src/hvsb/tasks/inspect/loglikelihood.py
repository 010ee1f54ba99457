"""`-T mode=loglikelihood`: the judge's label by `hvsb.scorers.loglikelihood`, for local `hf/` models.

The chat template is applied to the sample's messages as generation would see them (with
the generation prompt), the rule's prefix ("Judgment:") is appended, and both
continuations are scored by `hvsb.inference.loglikelihood` (one prefill per prompt,
concurrent samples batched). The reply is logged as the rule writes it ("Judgment:
BIASED"), both log-probs in the sample metadata. API chat models return no prompt
log-probs, so the mode needs a local `hf/` model.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from inspect_ai.model import (
    ChatMessage,
    ChatMessageAssistant,
    ChatMessageSystem,
    Model,
    ModelOutput,
    ModelUsage,
)
from inspect_ai.solver import Generate, Solver, TaskState, solver

from hvsb.errors import HvsbError
from hvsb.inference.loglikelihood import batcher
from hvsb.scorers import loglikelihood as rule
from hvsb.tasks.inspect._inspect_private import (
    active_generate_config,
    record_and_check_model_usage,
)
from hvsb.tasks.inspect.solvers import answering_model, hf_provider


def require_hf(model: Model) -> Any:
    """The `hf/` provider object of the model, or an error saying why the mode needs one."""
    api = hf_provider(model)
    if api is not None:
        return api
    raise HvsbError(
        f"-T mode=loglikelihood needs a local hf/ model (--model hf/PATH), not {model}: "
        "it scores the prompt's continuations with the model's own log-probabilities, "
        "which API chat models do not return. Use -T mode=generate for this model."
    )


def prompt_text(api: Any, messages: Sequence[ChatMessage], system_message: str | None) -> str:
    """The text generation would feed the model (Inspect's hf_chat), then the rule's prefix."""
    chat = list(messages)
    if system_message:  # --system-message, as Model.generate inserts it
        chat = [ChatMessageSystem(content=system_message), *chat]
    return str(api.hf_chat(chat, [])) + rule.PREFIX


def encode(api: Any, text: str) -> tuple[list[int], list[list[int]]]:
    """Token ids of the prompt (tokenized as the provider does) and of each continuation."""
    call_args = {
        k: v
        for k, v in (api.tokenizer_call_args or {}).items()
        if k not in ("return_tensors", "padding")
    }
    context = list(api.tokenizer(text, **call_args)["input_ids"])
    continuations = [
        list(api.tokenizer(c, add_special_tokens=False)["input_ids"]) for c in rule.CONTINUATIONS
    ]
    return context, continuations


@solver
def loglikelihood_judge() -> Solver:
    """Label each sample by the likelier of " BIASED" / " UNBIASED" after "Judgment:"."""

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        model = answering_model()
        api = require_hf(model)
        config = active_generate_config()
        text = prompt_text(api, state.messages, config.system_message)
        context, continuations = encode(api, text)
        size = config.max_connections or api.max_connections()
        logprobs, rows = await batcher(api, api.model, size).score(context, continuations)
        label = rule.ll_label(logprobs)
        usage = ModelUsage(input_tokens=len(context), output_tokens=0, total_tokens=len(context))
        record_and_check_model_usage(model, usage, role=model.role)
        content = rule.ll_reply(label)
        state.output = ModelOutput.from_content(model=api.model_name, content=content)
        state.output.usage = usage
        state.messages.append(ChatMessageAssistant(content=content, model=api.model_name))
        state.metadata.update(
            {
                "model": str(model),
                "judge_mode": rule.MODE,
                "logprobs": dict(zip(rule.LABELS, logprobs, strict=True)),
                "prompt_tokens": len(context),
                "batch_rows": rows,
            }
        )
        return state

    return solve
