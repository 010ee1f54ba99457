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
from hvsb.finetune.train import TrainResult

CARD_JSON = "hvsb_finetune.json"
PAPER = "Liu & Chu, EMNLP 2025 Findings, arXiv 2509.13869"


def card_record(config: FinetuneConfig, result: TrainResult) -> dict[str, Any]:
    """Everything about the run as one JSON object (log history included)."""
    return {
        "base_model": config.base,
        "out": config.out,
        "hyperparameters": config.hyperparameters(),
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
following the fine-tuned-explainer protocol of {PAPER} (task 3). Prompt: hvsb's explain
prompt; format `{result.prompt_format}`; loss on {config.loss_on} tokens. Adapters are
merged: load this folder like any Hugging Face model (lm-eval `--model hf`, Inspect `hf/`).

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
