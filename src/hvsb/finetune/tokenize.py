"""SFT examples → token ids and labels, for causal and seq2seq models.

Causal: the text is the prompt followed by the explanation: the paper's `prompt + " " +
explanation` (PROTOCOL §4; with `eos`, EOS after it so the model learns to stop), or the
tokenizer's chat template (user turn = prompt, assistant turn = explanation, closed by
the template's own end-of-turn token). Labels cover every token (`loss_on="full"`, the
paper) or the explanation only (`"completion"`). Seq2seq: input = prompt, labels =
explanation + EOS (the encoder-decoder convention). Prompts come from `hvsb.prompts.explain_prompt`, the same
text the explain task shows the model.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from hvsb.errors import HvsbError
from hvsb.finetune.data import SftExample
from hvsb.prompts import explain_prompt

IGNORE = -100  # label id the loss skips (transformers convention)


@dataclass(frozen=True)
class Features:
    input_ids: list[int]
    attention_mask: list[int]
    labels: list[int]

    def as_dict(self) -> dict[str, list[int]]:
        return {
            "input_ids": self.input_ids,
            "attention_mask": self.attention_mask,
            "labels": self.labels,
        }


def resolve_format(requested: str, tokenizer: Any, seq2seq: bool) -> str:
    """`plain` or `chat`: auto picks chat when the tokenizer has a template (causal only)."""
    if seq2seq:
        return "seq2seq"
    if requested == "auto":
        return "chat" if getattr(tokenizer, "chat_template", None) else "plain"
    if requested == "chat" and not getattr(tokenizer, "chat_template", None):
        raise HvsbError("--prompt-format chat: the base model's tokenizer has no chat template")
    return requested


def text_ending(fmt: str, eos: bool) -> str:
    """How the training text of format `fmt` ends, in words (for the log and the card)."""
    if fmt == "plain":
        return "EOS appended" if eos else "no EOS (the paper's text)"
    if fmt == "chat":
        return "the chat template's end-of-turn token"
    return "EOS ending the target (seq2seq)"


def split_text(example: SftExample, tokenizer: Any, fmt: str, eos: bool = False) -> tuple[str, str]:
    """(prompt part, completion part) of the training text in format `fmt`; `eos` ends
    the plain text with the tokenizer's EOS (the chat template ends its turn itself)."""
    prompt = explain_prompt(example.scenario)
    if fmt == "plain":
        return prompt, " " + example.explanation + ((tokenizer.eos_token or "") if eos else "")
    user = [{"role": "user", "content": prompt}]
    head = tokenizer.apply_chat_template(user, add_generation_prompt=True, tokenize=False)
    full = tokenizer.apply_chat_template(
        [*user, {"role": "assistant", "content": example.explanation}], tokenize=False
    )
    if not full.startswith(head):  # a template that rewrites earlier turns
        raise HvsbError("the chat template does not extend the prompt; use --prompt-format plain")
    return head, full[len(head) :]


def causal_features(
    example: SftExample,
    tokenizer: Any,
    fmt: str,
    max_length: int,
    loss_on: str,
    eos: bool = False,
) -> Features | None:
    """Token ids with labels; None when the prompt alone fills the context."""
    prompt, completion = split_text(example, tokenizer, fmt, eos)
    encoded = tokenizer(
        prompt + completion,
        return_offsets_mapping=True,
        add_special_tokens=fmt == "plain",
        truncation=True,
        max_length=max_length,
    )
    ids = list(encoded["input_ids"])
    # special tokens added by the tokenizer (BOS) have offset (0, 0): part of the prompt
    in_completion = [start >= len(prompt) and end > 0 for start, end in encoded["offset_mapping"]]
    if not any(in_completion):
        return None
    if loss_on == "full":
        labels = list(ids)
    else:
        labels = [tok if keep else IGNORE for tok, keep in zip(ids, in_completion, strict=True)]
    return Features(ids, [1] * len(ids), labels)


def seq2seq_features(example: SftExample, tokenizer: Any, max_length: int) -> Features | None:
    """Encoder input = prompt; labels = explanation ending in EOS."""
    source = tokenizer(explain_prompt(example.scenario), truncation=True, max_length=max_length)
    target = list(
        tokenizer(text_target=example.explanation, truncation=True, max_length=max_length)[
            "input_ids"
        ]
    )
    eos = tokenizer.eos_token_id
    if eos is not None and (not target or target[-1] != eos):
        target = [*target[: max_length - 1], eos]
    if not target:
        return None
    return Features(list(source["input_ids"]), list(source["attention_mask"]), target)


def featurize(
    examples: Sequence[SftExample],
    tokenizer: Any,
    *,
    fmt: str,
    max_length: int,
    loss_on: str,
    eos: bool = False,
) -> tuple[list[dict[str, list[int]]], int]:
    """Features for every example that fits, and how many did not."""
    rows, skipped = [], 0
    for example in examples:
        if fmt == "seq2seq":
            features = seq2seq_features(example, tokenizer, max_length)
        else:
            features = causal_features(example, tokenizer, fmt, max_length, loss_on, eos)
        if features is None:
            skipped += 1
        else:
            rows.append(features.as_dict())
    return rows, skipped


def pad_batch(rows: list[dict[str, list[int]]], pad_id: int) -> dict[str, Any]:
    """Right-pad a batch: inputs with pad_id, labels with IGNORE, mask with 0."""
    import torch

    width = max(len(r["input_ids"]) for r in rows)
    label_width = max(len(r["labels"]) for r in rows)  # = width for causal rows

    def pad(values: list[int], size: int, fill: int) -> list[int]:
        return values + [fill] * (size - len(values))

    return {
        "input_ids": torch.tensor([pad(r["input_ids"], width, pad_id) for r in rows]),
        "attention_mask": torch.tensor([pad(r["attention_mask"], width, 0) for r in rows]),
        "labels": torch.tensor([pad(r["labels"], label_width, IGNORE) for r in rows]),
    }
