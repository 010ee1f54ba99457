"""Fine-tuning settings: the paper's hyperparameters (PROTOCOL §4) are the defaults."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

Quantization = Literal["auto", "4bit", "none"]
PromptFormat = Literal["auto", "plain", "chat"]
LossOn = Literal["completion", "full"]
# The settings PROTOCOL §4 fixes, compared as set (the others — steps between
# evaluations, logging, seed, the minimum data — are bookkeeping the paper does not
# state; the prompt format and the method are compared as resolved, in the model card).
PAPER_SETTINGS = (
    "lora_r",
    "lora_alpha",
    "lora_dropout",
    "target_modules",
    "epochs",
    "max_steps",
    "batch_size",
    "grad_accum",
    "learning_rate",
    "warmup_steps",
    "weight_decay",
    "eval_fraction",
    "max_length",
    "loss_on",
    "eos",
)


@dataclass
class FinetuneConfig:
    """Everything that decides a fine-tuning run; written into the model card verbatim.

    The defaults are the paper's (PROTOCOL §4): the training text is `prompt + " " +
    explanation` (`prompt_format="plain"`, no chat template, no EOS appended), the loss
    covers the whole sequence (`loss_on="full"`), context 512, and the listed LoRA /
    QLoRA hyperparameters. hvsb's options are flags: `loss_on="completion"` (loss on the
    explanation only), `prompt_format="chat"` / `"auto"` (the tokenizer's chat template,
    the text Inspect `hf/` shows a chat model) and `eos=True` (end the plain text with EOS
    so the model learns to stop).
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
    loss_on: LossOn = "full"
    prompt_format: PromptFormat = "plain"
    eos: bool = False
    seed: int = 0
    min_examples: int = 8
    resume: bool = True

    def departures(self, ignore: tuple[str, ...] = ()) -> list[str]:
        """The paper's settings this run changes (but `ignore`), as `name: value (paper:
        value)`."""
        paper = FinetuneConfig(base=self.base, out=self.out)
        return [
            f"{name}: {getattr(self, name)!r} (paper: {getattr(paper, name)!r})"
            for name in PAPER_SETTINGS
            if name not in ignore and getattr(self, name) != getattr(paper, name)
        ]

    def hyperparameters(self) -> dict[str, Any]:
        """The settings that shape training (no paths), for the model card."""
        data = asdict(self)
        for key in ("base", "out", "resume"):
            data.pop(key)
        return data
