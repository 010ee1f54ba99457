"""LoRA / QLoRA supervised fine-tuning of an explainer with transformers' Trainer + peft.

One call does the whole run in an output folder:

    OUT/data/{train,eval}.jsonl   the split (evaluate reads the held-out scenarios here)
    OUT/run.json                  settings + data fingerprint (guards resuming)
    OUT/checkpoints/checkpoint-N  Trainer checkpoints; a rerun resumes from the last one
    OUT/adapter/                  the best adapter (lowest eval loss)
    OUT/merged/                   base + adapter merged: a plain HF model folder + card
"""

from __future__ import annotations

import functools
import hashlib
import json
import resource
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from transformers import TrainerCallback

from hvsb.errors import HvsbError
from hvsb.finetune.config import FinetuneConfig
from hvsb.finetune.data import SftData, load_sft_data, write_split
from hvsb.finetune.method import Method, choose_method, quantization_config
from hvsb.finetune.tokenize import featurize, pad_batch, resolve_format, text_ending
from hvsb.jsonl import atomic_writer

Log = Callable[[str], None]


@dataclass
class TrainResult:
    """What the run measured; the model card and the CLI report it."""

    method: str
    method_reason: str
    prompt_format: str
    seq2seq: bool
    data: dict[str, Any]
    steps: int
    eval_loss_before: float | None
    eval_loss_after: float | None
    best_checkpoint: str | None
    seconds_per_100_steps: float | None
    peak_rss_mb: float
    resumed_from: str | None
    log_history: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class StepTimer(TrainerCallback):
    """Times training steps only (evaluation and checkpointing excluded)."""

    def __init__(self) -> None:
        self.started = 0.0
        self.seconds = 0.0
        self.steps = 0

    def on_step_begin(self, args, state, control, **kwargs):
        self.started = time.perf_counter()

    def on_step_end(self, args, state, control, **kwargs):
        self.seconds += time.perf_counter() - self.started
        self.steps += 1

    def per_100(self) -> float | None:
        return 100 * self.seconds / self.steps if self.steps else None


def is_seq2seq(base: str) -> bool:
    """Encoder-decoder (Flan-T5 style) or causal, from the model's config."""
    from transformers import AutoConfig

    try:
        config = AutoConfig.from_pretrained(base)
    except OSError as error:
        raise HvsbError(f"cannot load model config from {base!r}: {error}") from None
    return bool(getattr(config, "is_encoder_decoder", False))


def _fingerprint(config: FinetuneConfig, data: SftData) -> str:
    payload = json.dumps(
        {
            "base": config.base,
            "hyperparameters": config.hyperparameters(),
            "train": [e.to_dict() for e in data.train],
            "eval": [e.to_dict() for e in data.eval],
        },
        sort_keys=True,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def _checkpoints(folder: Path) -> list[Path]:
    found = [p for p in folder.glob("checkpoint-*") if p.name.split("-")[-1].isdigit()]
    return sorted(found, key=lambda p: int(p.name.split("-")[-1]))


def _prepare_out(config: FinetuneConfig, data: SftData, log: Log) -> str | None:
    """Write run.json and the split; return the checkpoint to resume from, if any."""
    out = Path(config.out)
    run_file, folder = out / "run.json", out / "checkpoints"
    checkpoints, fingerprint = _checkpoints(folder), _fingerprint(config, data)
    if checkpoints and config.resume:
        previous = json.loads(run_file.read_text()) if run_file.is_file() else {}
        if previous.get("fingerprint") == fingerprint:
            log(f"resuming from {checkpoints[-1]}")
            return str(checkpoints[-1])
        raise HvsbError(
            f"{folder} holds checkpoints of a different run (other data or settings); "
            "use a new --out folder, or --no-resume to discard them"
        )
    if checkpoints:
        log(f"--no-resume: discarding {len(checkpoints)} checkpoint(s) in {folder}")
        shutil.rmtree(folder)
    with atomic_writer(run_file) as handle:
        json.dump({"fingerprint": fingerprint, **asdict(config)}, handle, indent=2)
    write_split(data, out / "data")
    return None


def _load_model(base: str, seq2seq: bool, method: Method) -> Any:
    import torch
    from transformers import AutoModelForCausalLM, AutoModelForSeq2SeqLM

    loader = AutoModelForSeq2SeqLM if seq2seq else AutoModelForCausalLM
    if method.quantized:
        from peft import prepare_model_for_kbit_training

        model = loader.from_pretrained(
            base,
            quantization_config=quantization_config(),
            dtype=torch.float16,
            device_map={"": torch.cuda.current_device()},
        )
        return prepare_model_for_kbit_training(model)
    bf16 = torch.cuda.is_available() and torch.cuda.is_bf16_supported()
    return loader.from_pretrained(base, dtype=torch.bfloat16 if bf16 else torch.float32)


def _lora(model: Any, config: FinetuneConfig, seq2seq: bool) -> Any:
    from peft import LoraConfig, TaskType, get_peft_model

    lora = LoraConfig(
        r=config.lora_r,
        lora_alpha=config.lora_alpha,
        lora_dropout=config.lora_dropout,
        target_modules=config.target_modules,
        bias="none",
        task_type=TaskType.SEQ_2_SEQ_LM if seq2seq else TaskType.CAUSAL_LM,
    )
    return get_peft_model(model, lora)


def _training_args(config: FinetuneConfig, method: Method, *, fresh: bool) -> Any:
    import torch
    from transformers import TrainingArguments

    cuda = torch.cuda.is_available()
    return TrainingArguments(
        output_dir=str(Path(config.out) / "checkpoints"),
        num_train_epochs=config.epochs,
        max_steps=config.max_steps,
        per_device_train_batch_size=config.batch_size,
        per_device_eval_batch_size=config.batch_size,
        gradient_accumulation_steps=config.grad_accum,
        learning_rate=config.learning_rate,
        warmup_steps=config.warmup_steps,
        weight_decay=config.weight_decay,
        eval_strategy="steps",
        eval_steps=config.eval_steps,
        eval_on_start=fresh,  # the eval loss before training (a resumed run has it)
        save_strategy="steps",
        save_steps=config.eval_steps,
        save_total_limit=2,
        load_best_model_at_end=True,
        metric_for_best_model="eval_loss",
        greater_is_better=False,
        logging_steps=config.logging_steps,
        logging_first_step=True,
        label_names=["labels"],  # peft's forward(**kwargs) hides them from Trainer
        remove_unused_columns=False,
        report_to="none",
        seed=config.seed,
        data_seed=config.seed,
        fp16=cuda and method.quantized,
        bf16=cuda and not method.quantized and torch.cuda.is_bf16_supported(),
        use_cpu=not cuda,
        dataloader_num_workers=0,
    )


def train(
    config: FinetuneConfig, sources: Sequence[str | Path], *, log: Log = print
) -> TrainResult:
    """Fine-tune `config.base` on the explanations in `sources`; keep the best adapter."""
    from transformers import AutoTokenizer, Trainer

    method = choose_method(config.quantization)
    log(f"method: {method.label} - {method.reason}")
    data = load_sft_data(
        sources,
        eval_fraction=config.eval_fraction,
        seed=config.seed,
        min_examples=config.min_examples,
    )
    summary = data.summary()
    log(
        f"data: {summary['train']} train / {summary['eval']} held-out explanations "
        f"from {summary['read']} records (dropped: {summary['dropped'] or 'none'})"
    )
    resume_from = _prepare_out(config, data, log)

    seq2seq = is_seq2seq(config.base)
    tokenizer = AutoTokenizer.from_pretrained(config.base)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    fmt = resolve_format(config.prompt_format, tokenizer, seq2seq)
    features = functools.partial(
        featurize,
        tokenizer=tokenizer,
        fmt=fmt,
        max_length=config.max_length,
        loss_on=config.loss_on,
        eos=config.eos,
    )
    train_rows, skipped_train = features(data.train)
    eval_rows, skipped_eval = features(data.eval)
    if skipped_train or skipped_eval:
        log(f"skipped {skipped_train + skipped_eval} examples whose prompt fills --max-length")
    if not train_rows or not eval_rows:
        raise HvsbError("no training or held-out example fits in --max-length tokens")
    log(
        f"format: {fmt}, {text_ending(fmt, config.eos)}; loss on {config.loss_on} tokens; "
        f"context {config.max_length}"
    )

    adapter = Path(config.out) / "adapter"
    state = _finished(resume_from)
    timer = StepTimer()
    if state is not None:
        log(f"training already finished at step {state.global_step}; keeping its best checkpoint")
        _copy_adapter(Path(state.best_model_checkpoint), adapter)
    else:
        trainer = Trainer(
            model=_lora(_load_model(config.base, seq2seq, method), config, seq2seq),
            args=_training_args(config, method, fresh=resume_from is None),
            data_collator=functools.partial(pad_batch, pad_id=tokenizer.pad_token_id),
            train_dataset=train_rows,
            eval_dataset=eval_rows,
            processing_class=tokenizer,
            callbacks=[timer],
        )
        trainer.train(resume_from_checkpoint=resume_from)
        trainer.model.save_pretrained(str(adapter))  # the best one: load_best_model_at_end
        state = trainer.state
    tokenizer.save_pretrained(str(adapter))

    history = list(state.log_history)
    before = next((h["eval_loss"] for h in history if "eval_loss" in h and h["step"] == 0), None)
    return TrainResult(
        method=method.name,
        method_reason=method.reason,
        prompt_format=fmt,
        seq2seq=seq2seq,
        data=summary,
        steps=state.global_step,
        eval_loss_before=before,
        eval_loss_after=state.best_metric,
        best_checkpoint=state.best_model_checkpoint,
        seconds_per_100_steps=timer.per_100(),
        peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        resumed_from=resume_from,
        log_history=history,
    )


def _finished(checkpoint: str | None) -> Any:
    """The TrainerState of a checkpoint saved at the last step, else None.

    Resuming such a checkpoint would run one extra step (Trainer checks for the end only
    after a step), so a finished run is taken as it is.
    """
    from transformers import TrainerState

    if checkpoint is None:
        return None
    state = TrainerState.load_from_json(str(Path(checkpoint) / "trainer_state.json"))
    return state if state.global_step >= state.max_steps else None


def _copy_adapter(checkpoint: Path, adapter: Path) -> None:
    """The adapter files of a Trainer checkpoint (not its optimizer state)."""
    adapter.mkdir(parents=True, exist_ok=True)
    for name in ("adapter_config.json", "adapter_model.safetensors"):
        shutil.copy2(checkpoint / name, adapter / name)
