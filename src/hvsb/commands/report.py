"""`hvsb report PATH... --out DIR`: tidy table, statistics, Markdown + HTML report, plots."""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path
from typing import Any

from hvsb.errors import HvsbError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "report",
        help="analyse Inspect logs / lm-eval samples into a report",
        description=(
            "Read hvsb Inspect logs (.eval/.json) and lm-eval samples_hvsb_*.jsonl files "
            "(files or folders, in any mix) into one tidy table, and write report.md, a "
            "self-contained report.html, figures/*.png and tables/*.csv into --out. "
            "A finetune_evaluation.json (of `hvsb finetune evaluate`; named, or found in a "
            "folder) adds a 'Fine-tuned explainers' section."
        ),
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="log files or folders")
    parser.add_argument("--out", required=True, help="folder for the report")
    parser.add_argument("--csv", help="also write the tidy table as CSV to this file")
    parser.add_argument("--parquet", help="also write the tidy table as Parquet to this file")
    parser.add_argument(
        "--families",
        metavar="MODEL=FAMILY,...",
        help="model families for the consistency grouping, e.g. llama-8b=llama,llama-70b=llama",
    )
    parser.add_argument(
        "--names",
        metavar="RAW=NAME,...",
        help="rename models (as logged, or their short name), e.g. hf/org/llama-8b=llama-8b",
    )
    parser.add_argument(
        "--params",
        metavar="MODEL=B,...",
        help="model sizes in billions of parameters for the scale finding, e.g. "
        "llama-8b=8,llama-70b=70",
    )
    parser.add_argument("--title", default="hvsb report", help="report title")
    parser.add_argument(
        "--bundle",
        action="store_true",
        help="also write the Inspect logs with Inspect's log viewer as a static site in "
        "OUT/viewer (`inspect view bundle`), for any static web host",
    )
    section = parser.add_argument_group("Evaluation Report (Inspect Evals' README section)")
    section.add_argument(
        "--evaluation-report",
        action="store_true",
        help="also write OUT/evaluation_report.md: the README's Evaluation Report section "
        "(results table, analysis, the exact `inspect eval` commands, versions, dates) from "
        "the Inspect logs among PATH",
    )
    section.add_argument(
        "--paper-results",
        metavar="CSV",
        help="the paper's numbers to set beside the runs' (columns model, task, dataset, "
        "condition, metric, value, source)",
    )
    section.add_argument(
        "--readme",
        action="append",
        default=[],
        metavar="FILE",
        help="replace the '## Evaluation Report' section of FILE with it (repeatable)",
    )
    parser.set_defaults(handler=_report)


def pairs(text: str | None, option: str) -> dict[str, str]:
    """'a=b,c=d' → {'a': 'b', 'c': 'd'}; a clear error for anything else."""
    mapping: dict[str, str] = {}
    for item in (text or "").split(","):
        if not item.strip():
            continue
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise HvsbError(f"{option}: {item.strip()!r} is not KEY=VALUE (e.g. llama-8b=llama)")
        mapping[key.strip()] = value.strip()
    return mapping


def sizes(text: str | None) -> dict[str, float]:
    """'a=8,b=70' → {'a': 8.0, 'b': 70.0}: positive sizes in billions; a clear error else."""
    found = {}
    for model, value in pairs(text, "--params").items():
        try:
            size = float(value)
        except ValueError:
            size = math.nan
        if not 0 < size < math.inf:
            raise HvsbError(
                f"--params: {model}={value} is not a positive size in billions (e.g. {model}=7)"
            )
        found[model] = size
    return found


def check_out_dir(out: Path) -> None:
    """The report goes into a folder: refuse an existing file before any work is done."""
    if out.exists() and not out.is_dir():
        raise HvsbError(f"--out {out}: is a file, not a folder; give a folder for the report")


def report_problems(table: Any) -> None:
    """Name on stderr every file skipped and every step whose samples errored."""
    for skipped in table.attrs.get("skipped") or []:
        print(f"hvsb report: skipped {skipped}", file=sys.stderr)
    for row in table.attrs.get("errors") or []:
        condition = f" attack={row['attack']}" if isinstance(row["attack"], str) else ""
        print(
            f"hvsb report: {row['errors']} {row['task']} sample(s) of {row['model']} on "
            f"{row['dataset']}{condition} failed with an error and are in no rate "
            f"(first: {row['first_error']}; {row['log']})",
            file=sys.stderr,
        )


def _report(args: argparse.Namespace, _extra: list[str]) -> int:
    from hvsb.analysis import build_table, export, findings_report, write_report
    from hvsb.finetune import report as finetune

    start = time.perf_counter()
    check_out_dir(Path(args.out))
    names = pairs(args.names, "--names")
    evaluations, paths = finetune.split_paths(args.paths)
    if not paths:
        raise HvsbError(
            f"{', '.join(map(str, evaluations))}: no Inspect logs beside it (no logs/ folder); "
            "give the logs too, or the evaluation folder"
        )
    table = build_table(
        paths,
        families=pairs(args.families, "--families"),
        names=names,
        params=sizes(args.params),
    )
    table.attrs["skipped"] = finetune.drop_skipped(table.attrs.get("skipped", []), evaluations)
    report_problems(table)
    export(table, csv=args.csv, parquet=args.parquet)
    extra = [finetune.section(evaluations, names)] if evaluations else []
    written = write_report(
        table,
        args.out,
        title=args.title,
        extra=extra,
        evaluations=findings_report.evaluations(evaluations, names),
    )
    seconds = time.perf_counter() - start
    print(
        f"{len(table)} rows → {Path(args.out) / 'report.html'} ({len(written)} files, {seconds:.1f} s)"
    )
    for path in (args.csv, args.parquet):
        if path:
            print(f"table → {path}")
    if args.bundle:
        print(bundle(paths, Path(args.out)))
    if args.evaluation_report or args.readme or args.paper_results:
        print(evaluation_section(paths, Path(args.out), args, names))
    return 0


def evaluation_section(
    paths: list[str | Path], report_dir: Path, args: argparse.Namespace, names: dict[str, str]
) -> str:
    """Write the Evaluation Report section beside the report (and into each --readme)."""
    from hvsb.analysis.evaluation_report import evaluation_report, read_paper, replace_section
    from hvsb.jsonl import atomic_writer

    paper = read_paper(args.paper_results) if args.paper_results else []
    section = evaluation_report(paths, names=names, paper=paper)
    target = report_dir / "evaluation_report.md"
    updated = {target: section}  # every README checked before anything is written
    for readme in map(Path, args.readme):
        if not readme.is_file():
            raise HvsbError(f"--readme {readme}: file not found")
        try:
            updated[readme] = replace_section(readme.read_text(encoding="utf-8"), section)
        except HvsbError as error:
            raise HvsbError(f"--readme {readme}: {error}") from None
    for readme, text in updated.items():
        with atomic_writer(readme) as handle:
            handle.write(text)
    written = ", ".join(map(str, updated))
    return f"Evaluation Report section → {written}"


def bundle(paths: list[str | Path], report_dir: Path) -> str:
    """Write the log viewer bundle beside the report; the line that says where it is."""
    from hvsb.analysis.bundle import BUNDLE_DIR, write_bundle

    count = write_bundle(paths, report_dir / BUNDLE_DIR)
    return f"{count} Inspect logs → {report_dir / BUNDLE_DIR / 'index.html'} (log viewer bundle)"
