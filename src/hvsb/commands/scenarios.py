"""`hvsb scenarios build|stats|export`: raw datasets → scenario JSONL, counts per cell, and
a Hugging Face dataset folder."""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from contextlib import AbstractContextManager

from hvsb.data import verify
from hvsb.data.paths import how_to_provide
from hvsb.errors import DatasetUnavailable, HvsbError
from hvsb.jsonl import write_jsonl
from hvsb.scenarios import DATASETS, build, select
from hvsb.scenarios.select import SAMPLES, built

STAT_KEYS = ("dataset", "category", "polarity", "answer_type", "target_type", "gold_label")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("scenarios", help="build scenarios or count them")
    actions = parser.add_subparsers(dest="action", required=True)

    make = actions.add_parser("build", help="write one dataset's scenarios as JSONL")
    make.add_argument("--dataset", required=True, choices=DATASETS)
    make.add_argument(
        "--mode",
        choices=("sentence", "emulated"),
        default="sentence",
        help="SS/CP only: the sentence itself, or an LLM-written scenario (PROTOCOL §2)",
    )
    make.add_argument("--data-dir", help="folder laid out like the shared data (bbq/, ...)")
    add_consent_flags(make)
    make.add_argument("--limit", type=int, help="at most N scenarios (seeded sample)")
    make.add_argument("--seed", type=int, default=0, help="sampling seed (default 0)")
    make.add_argument("--per-cell", type=int, help="at most N per category x answer type")
    make.add_argument(
        "--sample",
        choices=SAMPLES,
        default="seeded",
        help="seeded (default: every scenario, in hvsb's seeded order, capped by --per-cell) "
        "or paper (ss/cp: the release's first 200 per bias type and direction, file order)",
    )
    emulation = make.add_argument_group("--mode emulated (see docs/emulation.md)")
    emulation.add_argument(
        "--emulator-model",
        help="Inspect model for --mode emulated (e.g. openai-api/local/gpt-4o, hf/PATH)",
    )
    emulation.add_argument(
        "-M",
        "--emulator-model-arg",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="model argument for the emulator, as Inspect's -M (repeatable; e.g. device=cuda)",
    )
    emulation.add_argument(
        "--emulation-cache",
        help="cache JSONL (default $HVSB_CACHE/emulation/<dataset>.jsonl)",
    )
    emulation.add_argument(
        "--retries",
        type=_count,
        default=2,
        help="extra attempts after a reply with no usable SCENARIO (default 2)",
    )
    emulation.add_argument(
        "--retry-failures",
        action="store_true",
        help="ask again for sentences whose cached result is a failure",
    )
    emulation.add_argument(
        "--concurrency",
        type=_positive,
        default=8,
        help="requests in flight at once (default 8)",
    )
    emulation.add_argument(
        "--emulator-max-tokens",
        type=_positive,
        help="max tokens per reply (default 2000, as in the paper)",
    )
    emulation.add_argument(
        "--no-json-schema",
        action="store_true",
        help="do not request structured JSON output (for servers that reject response_format)",
    )
    make.add_argument("--out", required=True, help="output JSONL file")
    make.set_defaults(handler=_build)

    stats = actions.add_parser("stats", help="counts by dataset x category x polarity x ...")
    stats.add_argument("--dataset", action="append", choices=DATASETS, help="repeatable")
    stats.add_argument("--data-dir", help="folder laid out like the shared data")
    add_consent_flags(stats)
    stats.add_argument("--json", action="store_true", help="machine-readable output")
    stats.set_defaults(handler=_stats)

    folder = actions.add_parser(
        "export",
        help="write every scenario as a Hugging Face dataset folder (Parquet + card)",
        description=(
            "Write DIR/README.md (a dataset card with the YAML header `datasets` reads) and "
            "one Parquet config per dataset (bbq, biasdpo, ss, cp) holding every scenario "
            "field. `datasets.load_dataset(DIR, 'bbq')` loads it; the hvsb tasks read it "
            "with -T dataset_path=DIR (Inspect) or --metadata '{\"dataset_path\": DIR}' "
            "(lm-eval). Written to a temporary folder, then renamed into place."
        ),
    )
    folder.add_argument("out", metavar="DIR", help="the dataset folder to write")
    folder.add_argument(
        "--dataset", action="append", choices=DATASETS, help="repeatable (default: all four)"
    )
    folder.add_argument("--data-dir", help="folder laid out like the shared data")
    folder.set_defaults(handler=_export)


def add_consent_flags(parser: argparse.ArgumentParser) -> None:
    """--allow-modified-data / --allow-partial-data (see hvsb.data.verify)."""
    parser.add_argument(
        "--allow-modified-data",
        action="store_true",
        help="use data files that differ from upstream (recorded in every output)",
    )
    parser.add_argument(
        "--allow-partial-data",
        action="store_true",
        help="build BBQ although some category files are missing (noted)",
    )


def _consent(args: argparse.Namespace) -> AbstractContextManager[None]:
    return verify.consent(modified=args.allow_modified_data, partial=args.allow_partial_data)


def _build(args: argparse.Namespace, _extra: list[str]) -> int:
    with _consent(args):
        for note in built(args.dataset, args.data_dir).notes:
            print(f"note: {note}", file=sys.stderr)
        scenarios = select(
            args.dataset,
            data_dir=args.data_dir,
            seed=args.seed,
            sample=args.sample,
            per_cell=args.per_cell,
            limit=args.limit,
        )
        if args.mode == "emulated":
            if args.dataset not in ("ss", "cp"):
                raise HvsbError("--mode emulated applies to ss and cp only")
            if not args.emulator_model:
                raise HvsbError("--mode emulated needs --emulator-model (an Inspect model name)")
            scenarios = _emulate(scenarios, args)
            if scenarios is None:
                return 1
        count = write_jsonl(args.out, (s.to_dict() for s in scenarios))
        print(f"wrote {count} {args.dataset} scenarios to {args.out}", file=sys.stderr)
        return 0


def _export(args: argparse.Namespace, _extra: list[str]) -> int:
    from hvsb.scenarios.export import export

    written = export(args.out, data_dir=args.data_dir, datasets=args.dataset or DATASETS)
    for config in written.configs:
        print(
            f"{config.dataset}: {config.rows} scenarios, {config.parquet_bytes:,} bytes",
            file=sys.stderr,
        )
    print(written.folder)
    return 0


def _emulate(scenarios: list, args: argparse.Namespace) -> list | None:
    """Emulated scenarios; failures are listed on stderr; None when every sentence failed."""
    from hvsb.scenarios.emulate import MAX_TOKENS, emulate

    result = emulate(
        scenarios,
        model=args.emulator_model,
        cache=args.emulation_cache,
        retries=args.retries,
        concurrency=args.concurrency,
        retry_failures=args.retry_failures,
        max_tokens=args.emulator_max_tokens or MAX_TOKENS,
        json_schema=not args.no_json_schema,
        model_args=_model_args(args.emulator_model_arg),
    )
    for note in result.notes:
        print(f"note: {note}", file=sys.stderr)
    caches = ", ".join(str(path) for path in result.cache_paths)
    print(
        f"emulation: {result.generated} emulated now, {result.cached} from cache ({caches}); "
        f"{len(result.scenarios)} scenarios, {len(result.failures)} failed",
        file=sys.stderr,
    )
    if result.failures:
        print(
            f"{len(result.failures)} sentence(s) left out (no usable SCENARIO in the reply; "
            "raw replies are in the cache; --retry-failures asks again):",
            file=sys.stderr,
        )
        for record in result.failures:
            print(f"  {record['id']}: {record['reason']}", file=sys.stderr)
    if scenarios and not result.scenarios:
        print("hvsb: error: every emulation failed; nothing written", file=sys.stderr)
        return None
    return result.scenarios


def _model_args(pairs: list[str]) -> dict:
    """`KEY=VALUE` strings → dict, values YAML-parsed as Inspect's -M does."""
    import yaml

    args = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise HvsbError(f"--emulator-model-arg {pair!r}: expected KEY=VALUE")
        args[key.strip()] = yaml.safe_load(value)
    return args


def _count(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text} is negative")
    return value


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} is not a positive integer")
    return value


def _stats(args: argparse.Namespace, _extra: list[str]) -> int:
    with _consent(args):
        counts: Counter[tuple] = Counter()
        unmatched: list[dict[str, str]] = []
        corrections: list[dict[str, str]] = []
        skipped: list[str] = []
        for dataset in args.dataset or DATASETS:
            try:
                result = build(dataset, args.data_dir)
            except DatasetUnavailable as missing:
                skipped.append(
                    f"{dataset}: not available, skipped (looked in: {'; '.join(missing.looked_in)}). "
                    + how_to_provide(dataset)
                )
                continue
            skipped.extend(f"{dataset}: {note}" for note in result.notes)
            unmatched.extend({"dataset": dataset, **item} for item in result.unmatched)
            corrections.extend({"dataset": dataset, **item} for item in result.corrections)
            counts.update(tuple(getattr(s, key) for key in STAT_KEYS) for s in result.scenarios)
        rows = [
            dict(zip(STAT_KEYS, key, strict=True), count=n)
            for key, n in sorted(counts.items(), key=str)
        ]
        if args.json:
            report = {
                "counts": rows,
                "unmatched": unmatched,
                "corrections": corrections,
                "notes": skipped,
            }
            print(json.dumps(report, indent=1))
            return 0 if rows else 1
        if not rows:
            print("no scenarios: every requested dataset is unavailable", file=sys.stderr)
            for note in skipped:
                print(f"note: {note}", file=sys.stderr)
            return 1
        _print_table(rows)
        totals = Counter()
        for row in rows:
            totals[row["dataset"]] += row["count"]
        print("\ntotal: " + ", ".join(f"{name} {n}" for name, n in totals.items()))
        if unmatched:
            print(
                f"\n{len(unmatched)} example(s) left out (no stereotyped answer could be identified):"
            )
            for item in unmatched:
                print(f"  {item['id']}: {item['reason']}")
        if corrections:
            print(
                f"\n{len(corrections)} example(s) whose stereotype answer follows the group label, "
                "not BBQ's target_loc:"
            )
            for item in corrections:
                print(f"  {item['id']}: {item['reason']}")
        for note in skipped:
            print(f"note: {note}")
        return 0


def _print_table(rows: list[dict]) -> None:
    headers = (*STAT_KEYS, "count")
    cells = [[str(row[h]) if row[h] is not None else "-" for h in headers] for row in rows]
    widths = [max([len(h)] + [len(c[i]) for c in cells]) for i, h in enumerate(headers)]
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)))
    for c in cells:
        print("  ".join(v.ljust(w) for v, w in zip(c, widths, strict=True)))
