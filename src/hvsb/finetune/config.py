"""Fine-tuning settings: the paper's hyperparameters (PROTOCOL §4) are the defaults."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

Quantization = Literal["auto", "4bit", "none"]
PromptFormat = Literal["auto", "plain", "chat"]
LossOn = Literal["completion", "full"]


@dataclass
class FinetuneConfig:
    """Everything that decides a fine-tuning run; written into the model card verbatim.

    Deviations from the paper are opt-in except two, both flags: `loss_on="completion"`
    (loss on the explanation tokens only; `full` is the paper's full-sequence loss) and
    `prompt_format="auto"` (the tokenizer's chat template when it has one, so the model is
    trained on exactly what Inspect `hf/` shows it; the paper's models have none and get
    the paper's `prompt + " " + explanation`).
    """

    base: str
    out: str
    lora_r: int = 64
    lora_alpha: int = 16
    lora_dropout: float = 0.1
    target_modules: str | list[str] = "all-linear"
    quantization: Quantization = "auto"
    epochs: float = 1.0
    max_steps: int = -1
    batch_size: int = 4
    grad_accum: int = 1
    learning_rate: float = 3e-4
    warmup_steps: int = 100
    weight_decay: float = 0.001
    eval_fraction: float = 0.05
    eval_steps: int = 100
    logging_steps: int = 10
    max_length: int = 512
    loss_on: LossOn = "completion"
    prompt_format: PromptFormat = "auto"
    seed: int = 0
    min_examples: int = 8
    resume: bool = True

    def hyperparameters(self) -> dict[str, Any]:
        """The settings that shape training (no paths), for the model card."""
        data = asdict(self)
        for key in ("base", "out", "resume"):
            data.pop(key)
        return data
