"""The model card written beside the merged model: base, data, hyperparameters, eval loss.

Two files: `README.md` (the Hugging Face model-card convention, with YAML front matter)
for people, and `hvsb_finetune.json` for `hvsb finetune evaluate` and the report.
"""

from __future__ import annotations

import json
import math
from typing import Any

from hvsb.finetune.config import FinetuneConfig
from hvsb.finetune.method import LABELS
from hvsb.finetune.tokenize import text_ending
from hvsb.finetune.train import TrainResult

CARD_JSON = "hvsb_finetune.json"
PAPER = "Liu & Chu, EMNLP 2025 Findings, arXiv 2509.13869"


_FORMATS = {
    "plain": 'the paper\'s `prompt + " " + explanation`',
    "chat": "the tokenizer's chat template (user turn: prompt; assistant turn: explanation)",
    "seq2seq": "encoder input: prompt; decoder target: explanation",
}
_LOSSES = {
    "full": "every token of the text (the paper's)",
    "completion": "the explanation tokens only",
    "target": "the explanation, the decoder's target (the encoder reads the prompt)",
}
# A seq2seq model's loss is on its target whatever --loss and --eos say.
_SEQ2SEQ_IGNORES = ("loss_on", "eos")


def training_text(config: FinetuneConfig, result: TrainResult) -> dict[str, Any]:
    """What the model was trained on: format, loss, ending, context (as used)."""
    return {
        "format": result.prompt_format,
        "loss_on": "target" if result.seq2seq else config.loss_on,
        "ending": text_ending(result.prompt_format, config.eos),
        "max_length": config.max_length,
    }


def departures(config: FinetuneConfig, result: TrainResult) -> list[str]:
    """The paper's settings (PROTOCOL §4) this run did not use, each with the paper's."""
    found = config.departures(ignore=_SEQ2SEQ_IGNORES if result.seq2seq else ())
    if result.prompt_format == "chat":
        found.append("prompt_format: 'chat' (paper: 'plain', prompt + \" \" + explanation)")
    if result.method != "qlora":
        found.append(f"method: {result.method!r} (paper: 'qlora'; {result.method_reason})")
    return found


def card_record(config: FinetuneConfig, result: TrainResult) -> dict[str, Any]:
    """Everything about the run as one JSON object (log history included)."""
    return {
        "base_model": config.base,
        "out": config.out,
        "hyperparameters": config.hyperparameters(),
        "training_text": training_text(config, result),
        "departures_from_paper": departures(config, result),
        **result.to_dict(),
    }


def _number(value: float | None, digits: int = 4) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{value:.{digits}f}"


def card_markdown(config: FinetuneConfig, result: TrainResult) -> str:
    """README.md for the merged model folder."""
    data = result.data
    rows = "\n".join(f"| {k} | `{v}` |" for k, v in config.hyperparameters().items())
    text = training_text(config, result)
    changed = "\n".join(f"- {d}" for d in departures(config, result)) or "- none"
    dropped = ", ".join(f"{n} {why}" for why, n in data["dropped"].items()) or "none"
    eval_losses = [
        f"| {h['step']} | {_number(h['eval_loss'])} |"
        for h in result.log_history
        if "eval_loss" in h
    ]
    return f"""---
base_model: {config.base}
library_name: transformers
tags: [hvsb, social-bias, explanation, {result.method}]
---

# Fine-tuned bias explainer ({LABELS[result.method]} on `{config.base}`)

Trained with `hvsb finetune train` to explain why a scenario exhibits stereotypical bias,
following the fine-tuned-explainer protocol of {PAPER} (task 3). Adapters are merged:
load this folder like any Hugging Face model (lm-eval `--model hf`, Inspect `hf/`).

## Training text

- Prompt: hvsb's explain prompt (the study's verbatim prompt)
- Format: `{text["format"]}`, {_FORMATS[text["format"]]}
- Loss: on {_LOSSES[text["loss_on"]]}
- Ending: {text["ending"]}
- Context: {text["max_length"]} tokens

Departures from the paper's settings (PROTOCOL §4):

{changed}

## Run

- Method: {LABELS[result.method]} ({result.method_reason})
- Model type: {"seq2seq" if result.seq2seq else "causal LM"}
- Eval loss: {_number(result.eval_loss_before)} before training -> {_number(result.eval_loss_after)} (best checkpoint)
- Best checkpoint: `{result.best_checkpoint}`
- Steps: {result.steps}; training time per 100 steps: {_number(result.seconds_per_100_steps, 1)} s; peak RSS {result.peak_rss_mb:.0f} MB

## Data

Teacher explanations from {", ".join(f"`{s}`" for s in data["sources"])}
(explainers: {", ".join(data["explainers"])}): {data["read"]} records read,
{data["train"]} used for training, {data["eval"]} held out (split by scenario).
Dropped: {dropped}.

## Hyperparameters

| setting | value |
|---|---|
{rows}

## Eval loss by step

| step | eval loss |
|---|---|
{chr(10).join(eval_losses)}
"""


def card_files(config: FinetuneConfig, result: TrainResult) -> dict[str, str]:
    """{file name: content} to write into the merged folder."""
    return {
        "README.md": card_markdown(config, result),
        CARD_JSON: json.dumps(card_record(config, result), indent=2, default=str) + "\n",
    }
