"""Training text and labels with the embedded model's real tokenizer."""

from __future__ import annotations

import pytest

from hvsb.errors import HvsbError
from hvsb.finetune.data import SftExample
from hvsb.finetune.tokenize import (
    IGNORE,
    causal_features,
    featurize,
    pad_batch,
    resolve_format,
    seq2seq_features,
    split_text,
)
from hvsb.prompts import explain_prompt

EXAMPLE = SftExample(
    id="bbq:Age:0:stereotype",
    dataset="bbq",
    scenario="Context: A grandson and his grandfather met.\nQuestion: Who forgot?\nAnswer: The grandfather",
    explanation="It assumes the grandfather forgot only because he is old.",
    explainer="teacher",
)


@pytest.fixture(scope="module")
def tokenizer(model_path):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(model_path))


def _decode(tokenizer, features, labelled: bool) -> str:
    ids = [
        t
        for t, label in zip(features.input_ids, features.labels, strict=True)
        if (label != IGNORE) == labelled
    ]
    return tokenizer.decode(ids)


def test_plain_format_is_the_papers_prompt_space_explanation(tokenizer):
    prompt, completion = split_text(EXAMPLE, tokenizer, "plain")
    assert prompt + completion == explain_prompt(EXAMPLE.scenario) + " " + EXAMPLE.explanation
    _, ended = split_text(EXAMPLE, tokenizer, "plain", eos=True)
    assert ended == " " + EXAMPLE.explanation + tokenizer.eos_token  # --eos: learn to stop


def test_the_papers_full_loss_covers_every_token(tokenizer):
    features = causal_features(EXAMPLE, tokenizer, "plain", 512, "full")
    assert features.labels == features.input_ids
    assert tokenizer.decode(features.input_ids) == (
        explain_prompt(EXAMPLE.scenario) + " " + EXAMPLE.explanation
    )


def test_completion_loss_covers_exactly_the_explanation_and_eos(tokenizer):
    features = causal_features(EXAMPLE, tokenizer, "plain", 512, "completion", eos=True)
    assert _decode(tokenizer, features, True) == " " + EXAMPLE.explanation + tokenizer.eos_token
    assert _decode(tokenizer, features, False) == explain_prompt(EXAMPLE.scenario)
    bare = causal_features(EXAMPLE, tokenizer, "plain", 512, "completion")
    assert _decode(tokenizer, bare, True) == " " + EXAMPLE.explanation


def test_chat_format_trains_the_assistant_turn(tokenizer):
    assert resolve_format("auto", tokenizer, seq2seq=False) == "chat"
    features = causal_features(EXAMPLE, tokenizer, "chat", 512, "completion")
    assert _decode(tokenizer, features, True).startswith(EXAMPLE.explanation + tokenizer.eos_token)
    prompt_part = _decode(tokenizer, features, False)
    assert explain_prompt(EXAMPLE.scenario) in prompt_part
    assert prompt_part.endswith("assistant\n")


def test_context_limit_truncates_and_drops_examples_without_explanation(tokenizer):
    prompt_tokens = len(tokenizer(explain_prompt(EXAMPLE.scenario))["input_ids"])
    cut = causal_features(EXAMPLE, tokenizer, "plain", prompt_tokens + 3, "completion")
    assert len(cut.input_ids) == prompt_tokens + 3
    assert sum(label != IGNORE for label in cut.labels) == 3
    rows, skipped = featurize(
        [EXAMPLE], tokenizer, fmt="plain", max_length=prompt_tokens, loss_on="completion"
    )
    assert rows == [] and skipped == 1


def test_seq2seq_input_is_prompt_and_labels_are_explanation(tokenizer):
    features = seq2seq_features(EXAMPLE, tokenizer, 512)
    assert tokenizer.decode(features.input_ids) == explain_prompt(EXAMPLE.scenario)
    assert tokenizer.decode(features.labels) == EXAMPLE.explanation + tokenizer.eos_token


def test_chat_format_needs_a_template(tokenizer):
    tokenizer = tokenizer.__class__.from_pretrained(tokenizer.name_or_path)
    tokenizer.chat_template = None
    assert resolve_format("auto", tokenizer, seq2seq=False) == "plain"
    with pytest.raises(HvsbError, match="no chat template"):
        resolve_format("chat", tokenizer, seq2seq=False)


def test_pad_batch_masks_padding(tokenizer):
    rows, _ = featurize(
        [EXAMPLE, SftExample("b", "bbq", "Short one here.", "Too short to be fair here.", None)],
        tokenizer,
        fmt="plain",
        max_length=512,
        loss_on="completion",
    )
    batch = pad_batch(rows, pad_id=tokenizer.pad_token_id)
    short = min(range(2), key=lambda i: len(rows[i]["input_ids"]))
    n = len(rows[short]["input_ids"])
    assert batch["input_ids"].shape == batch["labels"].shape
    assert batch["attention_mask"][short, n:].sum() == 0
    assert (batch["labels"][short, n:] == IGNORE).all()
