"""`hvsb finetune train|evaluate`: small explainers trained on a teacher's explanations."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from hvsb import models
from hvsb.finetune.config import FinetuneConfig

PAPER = FinetuneConfig(base="", out="")  # the defaults shown in --help


def _base(value: str) -> str:
    """An embedded model name (e.g. smollm2) or a model folder / hub id."""
    return str(models.path(value)) if value in models.EMBEDDED else value


def _targets(value: str) -> str | list[str]:
    return value if value == "all-linear" else [m.strip() for m in value.split(",") if m.strip()]


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("finetune", help="train small explainers (LoRA/QLoRA)")
    actions = parser.add_subparsers(dest="action", required=True)
    _register_train(actions)
    _register_evaluate(actions)


def _register_train(actions: argparse._SubParsersAction) -> None:
    train = actions.add_parser(
        "train",
        help="fine-tune a model on explanations, merge the adapters",
        description=(
            "SFT on a teacher's explanations (Inspect logs of hvsb/explain, lm-eval "
            "samples_hvsb_explain_*.jsonl, or JSONL of {id, scenario, explanation}). "
            "Defaults are the paper's (PROTOCOL §4): prompt + ' ' + explanation, loss over "
            "the whole sequence, context 512, its LoRA hyperparameters. QLoRA (4-bit NF4) is used when CUDA "
            "and bitsandbytes are present, else LoRA; the choice and its reason are printed. "
            "Writes OUT/merged (an HF model folder with README.md model card), OUT/adapter, "
            "OUT/checkpoints (a rerun resumes from the last one) and OUT/data (the split)."
        ),
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    train.add_argument(
        "--data",
        nargs="+",
        action="extend",
        required=True,
        help="explanation files (several allowed; repeatable)",
    )
    train.add_argument("--out", required=True, help="output folder")
    train.add_argument(
        "--base", default=models.DEFAULT_MODEL, help="model folder, hub id or embedded name"
    )
    train.add_argument(
        "--quantization",
        choices=("auto", "4bit", "none"),
        default="auto",
        help="4bit: QLoRA (CUDA + bitsandbytes); none: LoRA; auto: QLoRA when possible",
    )
    train.add_argument("--lora-r", type=int, default=PAPER.lora_r, help="LoRA rank")
    train.add_argument(
        "--lora-alpha", type=int, default=PAPER.lora_alpha, help="LoRA scaling alpha"
    )
    train.add_argument(
        "--lora-dropout", type=float, default=PAPER.lora_dropout, help="dropout on the LoRA path"
    )
    train.add_argument(
        "--target-modules", default="all-linear", help="all-linear or comma-separated names"
    )
    train.add_argument(
        "--epochs", type=float, default=PAPER.epochs, help="passes over the training split"
    )
    train.add_argument("--max-steps", type=int, default=PAPER.max_steps, help="-1: by epochs")
    train.add_argument(
        "--batch-size", type=int, default=PAPER.batch_size, help="examples per device step"
    )
    train.add_argument(
        "--grad-accum", type=int, default=PAPER.grad_accum, help="gradient accumulation steps"
    )
    train.add_argument("--lr", type=float, default=PAPER.learning_rate, help="peak learning rate")
    train.add_argument(
        "--warmup-steps", type=int, default=PAPER.warmup_steps, help="linear warm-up steps"
    )
    train.add_argument(
        "--weight-decay", type=float, default=PAPER.weight_decay, help="AdamW weight decay"
    )
    train.add_argument(
        "--eval-fraction",
        type=float,
        default=PAPER.eval_fraction,
        help="share of scenarios held out",
    )
    train.add_argument(
        "--eval-steps",
        type=int,
        default=PAPER.eval_steps,
        help="evaluate and checkpoint every N steps",
    )
    train.add_argument(
        "--logging-steps",
        type=int,
        default=PAPER.logging_steps,
        help="log the training loss every N steps",
    )
    train.add_argument("--max-length", type=int, default=PAPER.max_length, help="context")
    train.add_argument(
        "--loss",
        choices=("full", "completion"),
        default=PAPER.loss_on,
        help="full: every token of the text (the paper); completion: the explanation tokens only",
    )
    train.add_argument(
        "--prompt-format",
        choices=("plain", "chat", "auto"),
        default=PAPER.prompt_format,
        help="plain: prompt + ' ' + explanation (the paper); chat: the tokenizer's chat "
        "template (what Inspect hf/ shows a chat model); auto: chat when the tokenizer has one",
    )
    train.add_argument(
        "--eos",
        action="store_true",
        help="end the plain text with the tokenizer's EOS so the model learns to stop "
        "(the paper's text has none)",
    )
    train.add_argument(
        "--seed", type=int, default=PAPER.seed, help="seed of the split, shuffling and LoRA init"
    )
    train.add_argument(
        "--min-examples",
        type=int,
        default=PAPER.min_examples,
        help="fail with fewer usable explanations",
    )
    train.add_argument(
        "--no-resume", action="store_true", help="discard checkpoints in OUT and start over"
    )
    train.set_defaults(handler=_train)


def _train(args: argparse.Namespace, _extra: list[str]) -> int:
    from hvsb.finetune.run import finetune

    config = FinetuneConfig(
        base=_base(args.base),
        out=args.out,
        lora_r=args.lora_r,
        lora_alpha=args.lora_alpha,
        lora_dropout=args.lora_dropout,
        target_modules=_targets(args.target_modules),
        quantization=args.quantization,
        epochs=args.epochs,
        max_steps=args.max_steps,
        batch_size=args.batch_size,
        grad_accum=args.grad_accum,
        learning_rate=args.lr,
        warmup_steps=args.warmup_steps,
        weight_decay=args.weight_decay,
        eval_fraction=args.eval_fraction,
        eval_steps=args.eval_steps,
        logging_steps=args.logging_steps,
        max_length=args.max_length,
        loss_on=args.loss,
        prompt_format=args.prompt_format,
        eos=args.eos,
        seed=args.seed,
        min_examples=args.min_examples,
        resume=not args.no_resume,
    )
    result, merged = finetune(config, args.data, log=_say)
    _say(
        f"eval loss {_fmt(result.eval_loss_before)} -> {_fmt(result.eval_loss_after)} "
        f"(best: {result.best_checkpoint}); {result.steps} steps"
    )
    print(merged)
    return 0


def _register_evaluate(actions: argparse._SubParsersAction) -> None:
    evaluate = actions.add_parser(
        "evaluate",
        help="base vs fine-tuned: readability and agreeability on held-out scenarios",
        description=(
            "Both models explain the same held-out scenarios (hvsb/explain in Inspect); each "
            "--target model judges every explanation (hvsb/agree). Writes "
            "finetune_evaluation.json/.md (a section for the report) and the Inspect logs "
            "(OUT/logs, readable by `hvsb report`)."
        ),
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    evaluate.add_argument("--run", required=True, help="the `hvsb finetune train --out` folder")
    evaluate.add_argument("--out", help="output folder (default: RUN/evaluation)")
    evaluate.add_argument("--base", help="base model to compare (default: the card's base)")
    evaluate.add_argument(
        "--scenarios",
        help="scenario JSONL to use instead of the run's held-out split "
        "(scenarios seen in training are excluded)",
    )
    evaluate.add_argument(
        "--dataset", default="bbq", help="dataset of records that do not name one"
    )
    evaluate.add_argument("--limit", type=int, help="at most N scenarios")
    evaluate.add_argument(
        "--target",
        action="append",
        help="agreeability target: model folder, embedded name or Inspect model "
        "(repeatable; default: smollm2)",
    )
    evaluate.add_argument("--max-tokens", type=int, default=512, help="explanation length")
    evaluate.add_argument("--agree-max-tokens", type=int, default=512)
    evaluate.add_argument("--seed", type=int, default=0, help="generation seed")
    evaluate.set_defaults(handler=_evaluate)


def _evaluate(args: argparse.Namespace, _extra: list[str]) -> int:
    from hvsb.finetune.evaluate import EVAL_MD, Run, evaluate, heldout_scenarios

    run = Run(Path(args.run))
    out = Path(args.out) if args.out else run.folder / "evaluation"
    scenarios, excluded = heldout_scenarios(
        run,
        Path(args.scenarios) if args.scenarios else None,
        default_dataset=args.dataset,
        limit=args.limit,
    )
    if excluded:
        _say(f"excluded {excluded} scenarios that were in the training split")
    targets = [_base(t) for t in (args.target or [models.DEFAULT_MODEL])]
    evaluate(
        run,
        scenarios,
        targets,
        out,
        base=_base(args.base) if args.base else None,
        explain_config={"max_tokens": args.max_tokens, "seed": args.seed},
        agree_config={"max_tokens": args.agree_max_tokens, "seed": args.seed},
        log=_say,
    )
    print((out / EVAL_MD).read_text(encoding="utf-8"))
    return 0


def _say(message: str) -> None:
    print(f"hvsb finetune: {message}", file=sys.stderr, flush=True)


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4f}"
