"""Fixtures for the fine-tuning tests: real teacher explanations and small real models.

The teacher is the embedded model run through the real Inspect task `hvsb/explain` on
BBQ scenarios from the shared data (greedy, short: the tests need real explanations, not
good ones). The seq2seq base is a tiny T5 with random weights built here from `T5Config`,
with the embedded model's tokenizer files: nothing comes from a hub.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from support.data import OFFLINE

for _name, _value in OFFLINE.items():
    os.environ.setdefault(_name, _value)

TEACHER_SCENARIOS = 14
TEACHER_TOKENS = 32


@pytest.fixture(scope="session")
def teacher_log(tmp_path_factory, model_path: Path, data_dir: Path) -> Path:
    """An Inspect log of hvsb/explain: the embedded model explains 14 BBQ scenarios."""
    from inspect_ai import eval as inspect_eval

    if not (data_dir / "bbq" / "Age.jsonl").is_file():
        pytest.skip(f"bbq/Age.jsonl is not in {data_dir}")
    logs = inspect_eval(
        "hvsb/explain",
        task_args={
            "dataset": "bbq",
            "max_scenarios": TEACHER_SCENARIOS,
            "data_dir": str(data_dir),
        },
        model=f"hf/{model_path}",
        model_args={"do_sample": False},
        max_tokens=TEACHER_TOKENS,
        log_dir=str(tmp_path_factory.mktemp("teacher")),
        display="none",
    )
    assert logs[0].status == "success", logs[0].error
    return Path(logs[0].location)


@pytest.fixture(scope="session")
def tiny_t5(tmp_path_factory, model_path: Path) -> Path:
    """A 2-layer T5 (d_model 64, random weights) with the embedded model's tokenizer."""
    import torch
    from transformers import AutoTokenizer, T5Config, T5ForConditionalGeneration

    folder = tmp_path_factory.mktemp("tiny-t5")
    tokenizer = AutoTokenizer.from_pretrained(str(model_path))
    tokenizer.chat_template = None  # a seq2seq explainer reads the bare prompt
    tokenizer.pad_token = tokenizer.unk_token  # T5 starts decoding from pad: keep it apart from EOS
    config = T5Config(
        vocab_size=len(tokenizer),
        d_model=64,
        d_ff=128,
        d_kv=16,
        num_heads=4,
        num_layers=2,
        num_decoder_layers=2,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        decoder_start_token_id=tokenizer.pad_token_id,
    )
    torch.manual_seed(0)
    T5ForConditionalGeneration(config).save_pretrained(str(folder))
    tokenizer.save_pretrained(str(folder))
    return folder
