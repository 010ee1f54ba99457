"""The whole fine-tuning run: train, merge the best adapter, write the model card."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from hvsb.finetune.card import card_files
from hvsb.finetune.config import FinetuneConfig
from hvsb.finetune.merge import merge
from hvsb.finetune.train import Log, TrainResult, train

MERGED = "merged"


def finetune(
    config: FinetuneConfig, sources: Sequence[str | Path], *, log: Log = print
) -> tuple[TrainResult, Path]:
    """Train on `sources`, merge into OUT/merged (with README.md + hvsb_finetune.json)."""
    result = train(config, sources, log=log)
    out = Path(config.out)
    log(f"merging the best adapter into {out / MERGED}")
    merged = merge(
        config.base,
        out / "adapter",
        out / MERGED,
        seq2seq=result.seq2seq,
        extra_files=card_files(config, result),
    )
    return result, merged
