"""LoRA or QLoRA: decide from what the machine has, and say why.

QLoRA (PROTOCOL §4: 4-bit NF4, double quantisation, fp16 compute) needs bitsandbytes'
CUDA kernels. `auto` uses it when a CUDA device and bitsandbytes are both present and
otherwise falls back to plain LoRA (same peft code, full-precision base), with a reason
the CLI prints. Asking for `4bit` explicitly on a machine that cannot do it is an error,
not a silent fallback.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass

from hvsb.errors import HvsbError

LABELS = {"qlora": "QLoRA", "lora": "LoRA"}


@dataclass(frozen=True)
class Method:
    name: str  # "qlora" or "lora"
    reason: str

    @property
    def quantized(self) -> bool:
        return self.name == "qlora"

    @property
    def label(self) -> str:
        return LABELS[self.name]


def _cuda_available() -> bool:
    import torch

    return bool(torch.cuda.is_available())


def _bitsandbytes_available() -> bool:
    return importlib.util.find_spec("bitsandbytes") is not None


def choose_method(
    requested: str,
    *,
    cuda: bool | None = None,
    bitsandbytes: bool | None = None,
) -> Method:
    """The training method for `--quantization auto|4bit|none` on this machine."""
    if requested == "none":
        return Method("lora", "--quantization none: LoRA on the full-precision base model")
    cuda = _cuda_available() if cuda is None else cuda
    bitsandbytes = _bitsandbytes_available() if bitsandbytes is None else bitsandbytes
    missing = []
    if not cuda:
        missing.append("no CUDA GPU is visible to torch (torch.cuda.is_available() is False)")
    if not bitsandbytes:
        missing.append("bitsandbytes is not installed (pip install 'hvsb[qlora]')")
    if not missing:
        return Method("qlora", "CUDA and bitsandbytes present: QLoRA (4-bit NF4, double quant)")
    why = "; ".join(missing)
    if requested == "4bit":
        raise HvsbError(f"--quantization 4bit needs a CUDA GPU and bitsandbytes: {why}")
    if requested != "auto":
        raise HvsbError(f"unknown --quantization {requested!r}; expected auto, 4bit or none")
    return Method(
        "lora",
        f"QLoRA needs bitsandbytes 4-bit kernels on a CUDA GPU, but {why}; "
        "falling back to LoRA on the full-precision model (same adapters, more memory)",
    )


def quantization_config():  # -> transformers.BitsAndBytesConfig
    """The paper's 4-bit setting: NF4, double quantisation, fp16 compute."""
    import torch
    from transformers import BitsAndBytesConfig

    return BitsAndBytesConfig(
        load_in_4bit=True,
        bnb_4bit_quant_type="nf4",
        bnb_4bit_use_double_quant=True,
        bnb_4bit_compute_dtype=torch.float16,
    )
