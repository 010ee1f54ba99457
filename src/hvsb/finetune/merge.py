"""Merge a LoRA adapter into its base model and save a standard Hugging Face folder.

The base is reloaded unquantized (even after QLoRA: merging into 4-bit weights would
lose precision), the adapter is applied in float32 and merged (`merge_and_unload`), and
the result is cast back to the base's stored dtype. The folder is built beside the
target and renamed into place, so a failed merge leaves no half-written model. lm-eval
`--model hf` and Inspect `hf/` load it like any other model.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path


def merge(
    base: str,
    adapter: str | Path,
    out: str | Path,
    *,
    seq2seq: bool,
    extra_files: dict[str, str] | None = None,
) -> Path:
    """Save base + adapter, merged, with the adapter's tokenizer and `extra_files`, to `out`."""
    import torch
    from peft import PeftModel
    from transformers import AutoConfig, AutoModelForCausalLM, AutoModelForSeq2SeqLM, AutoTokenizer

    out = Path(out)
    stored = getattr(AutoConfig.from_pretrained(base), "dtype", None)
    stored = stored if isinstance(stored, torch.dtype) else getattr(torch, str(stored), None)
    loader = AutoModelForSeq2SeqLM if seq2seq else AutoModelForCausalLM
    model = loader.from_pretrained(base, dtype=torch.float32)
    merged = PeftModel.from_pretrained(model, str(adapter)).merge_and_unload()
    if isinstance(stored, torch.dtype) and stored.is_floating_point:
        merged = merged.to(stored)
    tokenizer = AutoTokenizer.from_pretrained(str(adapter))

    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        merged.save_pretrained(str(staging))
        tokenizer.save_pretrained(str(staging))
        for name, text in (extra_files or {}).items():
            (staging / name).write_text(text, encoding="utf-8")
        _readable(staging)
        if out.exists():
            shutil.rmtree(out)
        os.replace(staging, out)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            shutil.rmtree(staging)
        raise
    return out


def _readable(folder: Path) -> None:
    """mkdtemp makes a private folder: give it (and its files) the usual umask modes."""
    umask = os.umask(0)
    os.umask(umask)
    folder.chmod(0o777 & ~umask)
    for path in folder.iterdir():
        path.chmod(0o666 & ~umask)
