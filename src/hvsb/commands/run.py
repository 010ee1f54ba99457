"""`hvsb run [study.yaml]`: the whole study — judge, explain, agree, report — in one command."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "run",
        help="run a study (default: the embedded model on a small sample) and report",
        description=(
            "Judge every model on every dataset under none/untargeted/targeted attacks, "
            "explain with every model, let every model judge every explainer's "
            "explanations, then write the report. Re-running resumes: finished samples "
            "are not redone. With no study file, runs the default study on the embedded "
            "model."
        ),
    )
    parser.add_argument("study", nargs="?", help="study YAML (see README: 'The study file')")
    parser.add_argument("--dry-run", action="store_true", help="print the plan and its size")
    parser.add_argument("--output-dir", help="override the study's output_dir")
    parser.add_argument("--no-report", action="store_true", help="stop after the evaluations")
    parser.add_argument(
        "--bundle", action="store_true", help="also write report/viewer: the logs' viewer site"
    )
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace, _extra: list[str]) -> int:
    from dataclasses import replace

    from hvsb.study.runner import run_study
    from hvsb.study.spec import load_study

    study = load_study(args.study)
    if args.output_dir:
        study = replace(study, output_dir=args.output_dir)
    start = time.perf_counter()
    outcome = run_study(study, dry_run=args.dry_run)
    if args.dry_run:
        return 0
    report_dir = Path(study.output_dir) / "report"
    if outcome.logs and not args.no_report:
        _report(study, report_dir, bundle=args.bundle)
    minutes = (time.perf_counter() - start) / 60
    print(f"hvsb run: {len(outcome.logs)} logs in {minutes:.1f} min", file=sys.stderr)
    for note in outcome.notes:
        print(f"hvsb run: note: {note}", file=sys.stderr)
    for failure in outcome.failures:
        print(f"hvsb run: FAILED {failure}", file=sys.stderr)
    return 1 if outcome.failures else 0


def _report(study, report_dir: Path, *, bundle: bool) -> None:
    """The study's report over its logs; none when no sample has a reply to score."""
    from hvsb.analysis import build_table, export, write_report
    from hvsb.commands.report import report_problems

    logs = Path(study.output_dir) / "logs"
    table = build_table(
        [logs],
        families={m.name: m.family for m in study.models if m.family},
        params={m.name: m.params_b for m in study.models if m.params_b},
    )
    report_problems(table)
    if table.empty:
        print("hvsb run: no report: no sample has a reply to score", file=sys.stderr)
        return
    export(table, csv=report_dir / "table.csv")
    write_report(table, report_dir, title=f"hvsb study {study.name!r}")
    print(f"report → {report_dir / 'report.html'}", file=sys.stderr)
    if bundle:
        from hvsb.commands.report import bundle as write_bundle

        print(write_bundle([logs], report_dir), file=sys.stderr)
