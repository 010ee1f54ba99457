"""The fine-tuning evaluation as report text: its Markdown file and its `hvsb report` section.

`hvsb finetune evaluate` writes `finetune_evaluation.json`; this module turns it into the
Markdown of `finetune_evaluation.md` and, for `hvsb report`, into a "Fine-tuned explainers"
section (text, one table, its CSV). It imports no model libraries, so `hvsb report`
stays quick to start.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from hvsb.analysis.report import Section
from hvsb.analysis.table import model_label
from hvsb.errors import DataFileError
from hvsb.finetune.method import LABELS

EVAL_JSON = "finetune_evaluation.json"
EVAL_MD = "finetune_evaluation.md"
TEACHER = "teacher (training data)"
_KEYS = ("base_model", "fine_tuned_model", "scenarios", "datasets", "targets", "explainers")


# ---------------------------------------------------------------- finetune_evaluation.md


def _cell(value: float | None, digits: int = 2) -> str:
    return "n/a" if value is None or math.isnan(value) else f"{value:.{digits}f}"


def _rate_cell(rate: dict[str, Any]) -> str:
    if not rate["n"]:
        return "n/a"
    return f"{rate['value']:.2f} [{rate['low']:.2f}, {rate['high']:.2f}] (n={rate['n']})"


def _method(card: dict[str, Any]) -> Any:
    return LABELS.get(str(card.get("method")), card.get("method"))


def markdown(summary: dict[str, Any]) -> str:
    """The report section: readability and agreeability of base vs fine-tuned, side by side."""
    targets = summary["targets"]
    head = "| explainer | FKGL | GFI | CLI | scored | " + " | ".join(f"agree: {t}" for t in targets)
    lines = [head + " |", "|---" * (5 + len(targets)) + "|"]
    for row in summary["explainers"]:
        r = row["readability"]
        cells = [_rate_cell(row["agreeability"][t]) for t in targets]
        lines.append(
            f"| {row['explainer']} | {_cell(r['fkgl'])} | {_cell(r['gfi'])} | {_cell(r['cli'])} "
            f"| {r['scored']}/{r['n']} | " + " | ".join(cells) + " |"
        )
    teacher = summary.get("teacher_readability")
    if teacher:
        lines.append(
            f"| {TEACHER} | {_cell(teacher['fkgl'])} | {_cell(teacher['gfi'])} "
            f"| {_cell(teacher['cli'])} | {teacher['scored']}/{teacher['n']} |"
            + " |"
            * len(targets)
        )
    card = summary["card"]
    return "\n".join(
        [
            "## Fine-tuned explainers: readability vs agreeability",
            "",
            f"Base `{summary['base_model']}` and its fine-tuned version "
            f"(`{summary['fine_tuned_model']}`, {_method(card)}, eval loss "
            f"{_cell(card.get('eval_loss_before'), 4)} -> {_cell(card.get('eval_loss_after'), 4)}) "
            f"explained the same {summary['scenarios']} held-out scenarios "
            f"({', '.join(summary['datasets'])}). Readability: mean grade level (lower reads "
            "more easily; texts under 5 words are not scored). Agreeability: share of AGREE "
            "by each target model, 95 % Wilson interval; rejected replies count as not agreeing.",
            "",
            *lines,
            "",
        ]
    )


def load_summary(path: str | Path) -> dict[str, Any]:
    """A `finetune_evaluation.json` (or its folder), checked for the keys the report reads."""
    path = Path(path)
    path = path / EVAL_JSON if path.is_dir() else path
    if not path.is_file():
        raise DataFileError(path, "not found", expected=f"{EVAL_JSON} of `hvsb finetune evaluate`")
    try:
        summary = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise DataFileError(path, f"not JSON ({error})") from None
    missing = [k for k in _KEYS if not isinstance(summary, dict) or k not in summary]
    if missing:
        raise DataFileError(
            path,
            f"missing {', '.join(missing)}",
            expected=f"the {EVAL_JSON} that `hvsb finetune evaluate` writes",
        )
    summary.setdefault("card", {})
    return summary


def report_section(path: str | Path) -> str:
    """Markdown for a report from a `finetune_evaluation.json` (or its folder)."""
    return markdown(load_summary(path))


# ---------------------------------------------------------------- `hvsb report`


def split_paths(paths: Iterable[str | Path]) -> tuple[list[Path], list[Path]]:
    """(evaluation files, paths to read logs from) for `hvsb report PATH...`.

    Folders are searched for `finetune_evaluation.json` and still read for logs (the
    evaluation's Inspect logs are in its `logs/`). A named `finetune_evaluation.json` is
    not a log: its folder's `logs/` is read in its place.
    """
    evaluations: list[Path] = []
    logs: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_file() and path.name == EVAL_JSON:
            evaluations.append(path)
            if (path.parent / "logs").is_dir():
                logs.append(path.parent / "logs")
        else:
            if path.is_dir():
                evaluations += sorted(path.rglob(EVAL_JSON))
            logs.append(path)
    unique = list(dict.fromkeys(evaluations))
    return unique, list(dict.fromkeys(logs))


def label(raw: Any, names: dict[str, str] | None = None) -> Any:
    """A model's name as the rest of the report shows it (the rule of `hvsb report --names`)."""
    names = names or {}
    short = {k: v for k, v in names.items() if model_label(k) == k}
    return names.get(raw) or short.get(model_label(raw)) or model_label(raw)


def _rate_columns(rate: dict[str, Any] | None) -> dict[str, float]:
    rate = rate or {}
    keys = {"agreeability": "value", "low": "low", "high": "high", "hits": "hits", "n": "n"}
    return {
        (k if k == "agreeability" else f"agreeability_{k}"): float(rate.get(v, math.nan))
        for k, v in keys.items()
    }


def table(
    summaries: Sequence[tuple[Path, dict[str, Any]]], names: dict[str, str] | None = None
) -> pd.DataFrame:
    """One row per evaluation × explainer × target: readability and agreeability.

    The teacher's explanations of the same scenarios add one row with readability only.
    """
    rows: list[dict[str, Any]] = []
    for path, summary in summaries:
        common = {"evaluation": str(path.parent)} if len(summaries) > 1 else {}
        for entry in summary["explainers"]:
            read = entry["readability"]
            for target in summary["targets"]:
                rows.append(
                    {
                        **common,
                        "explainer": entry["explainer"],
                        "model": label(entry.get("model"), names),
                        "target": label(target, names),
                        "explanations": read["n"],
                        "scored": read["scored"],
                        **{m: read[m] for m in ("fkgl", "gfi", "cli")},
                        **_rate_columns(entry["agreeability"].get(target)),
                    }
                )
        teacher = summary.get("teacher_readability")
        if teacher:
            rows.append(
                {
                    **common,
                    "explainer": TEACHER,
                    "model": None,
                    "target": None,
                    "explanations": teacher["n"],
                    "scored": teacher["scored"],
                    **{m: teacher[m] for m in ("fkgl", "gfi", "cli")},
                    **_rate_columns(None),
                }
            )
    return pd.DataFrame(rows)


def _pct(rate: dict[str, Any] | None) -> str:
    if not rate or not rate.get("n"):
        return "n/a"
    return f"{100 * rate['value']:.1f} % ({rate['hits']}/{rate['n']})"


def _direction(fine: float, base: float) -> int | None:
    """-1 / 0 / 1: the fine-tuned figure is lower / equal / higher; None if not comparable."""
    if math.isnan(fine) or math.isnan(base):
        return None
    return (fine > base) - (fine < base)


_EASIER = {-1: "read more easily", 0: "read as easily", 1: "read less easily"}
_AGREES = {-1: "less often", 0: "as often", 1: "more often"}


def narrative(summary: dict[str, Any], names: dict[str, str] | None = None) -> str:
    """What one evaluation shows, each claim following from its numbers."""
    rows = {r["explainer"]: r for r in summary["explainers"]}
    base, fine = rows.get("base"), rows.get("fine-tuned")
    card = summary.get("card") or {}
    parts = [
        f"The fine-tuned explainer {label(summary['fine_tuned_model'], names)} "
        f"(`{summary['fine_tuned_model']}`, {_method(card)} on "
        f"{label(summary['base_model'], names)}; eval loss "
        f"{_cell(card.get('eval_loss_before'), 4)} -> {_cell(card.get('eval_loss_after'), 4)}) "
        f"and its base explained the same {summary['scenarios']} held-out scenarios "
        f"({', '.join(summary['datasets'])})."
    ]
    if not base or not fine:
        return parts[0]
    b, f = base["readability"], fine["readability"]
    easier = _direction(f["fkgl"], b["fkgl"])
    parts.append(
        f"FKGL {_cell(f['fkgl'], 1)} fine-tuned vs {_cell(b['fkgl'], 1)} base (GFI "
        f"{_cell(f['gfi'], 1)} vs {_cell(b['gfi'], 1)}, CLI {_cell(f['cli'], 1)} vs "
        f"{_cell(b['cli'], 1)}): the fine-tuned explanations "
        + (_EASIER[easier] + " by FKGL." if easier is not None else "cannot be compared.")
    )
    agrees = []
    for target in summary["targets"]:
        fr, br = fine["agreeability"].get(target), base["agreeability"].get(target)
        if not fr or not br or not fr.get("n") or not br.get("n"):
            continue
        agrees.append(_direction(fr["value"], br["value"]))
        overlap = not (fr["high"] < br["low"] or br["high"] < fr["low"])
        parts.append(
            f"{label(target, names)} agrees with {_pct(fr)} of the fine-tuned explanations "
            f"and {_pct(br)} of the base's: {_AGREES[agrees[-1]]} with the fine-tuned ones "
            f"(the 95 % intervals {'overlap' if overlap else 'do not overlap'})."
        )
    if easier is not None and agrees:
        paper = easier < 0 and all(a < 0 for a in agrees)
        parts.append(
            "Both directions are the paper's trade-off (easier to read, agreed with less)."
            if paper
            else "This is not the paper's trade-off (easier to read and agreed with less "
            "by every target)."
        )
    return " ".join(parts)


def section(evaluations: Sequence[Path], names: dict[str, str] | None = None) -> Section:
    """The "Fine-tuned explainers" section of `hvsb report` for these evaluation files."""
    summaries = [(path, load_summary(path)) for path in evaluations]
    about = (
        "Base vs fine-tuned explainer (`hvsb finetune evaluate`) on the same held-out "
        "scenarios: mean FKGL / GFI / CLI of the explanations (lower = easier; texts under "
        "5 words are not scored) and each target model's agreeability with them (share of "
        "AGREE, rejected replies count as not agreeing, 95 % Wilson intervals). A teacher "
        "row, when the scenarios are the run's own held-out split, is the training data's "
        "readability on them. The paper finds fine-tuned explainers read more easily but "
        "are agreed with less."
    )
    result = Section("finetune", "Fine-tuned explainers: readability vs agreeability", about)
    result.text = " ".join(narrative(summary, names) for _, summary in summaries)
    result.tables.append(
        ("Readability and agreeability, base vs fine-tuned", table(summaries, names))
    )
    return result


def drop_skipped(skipped: list[str], evaluations: Sequence[Path]) -> list[str]:
    """The report's list of skipped files without the evaluation files (read, not skipped)."""
    own = tuple(f"{path}: " for path in evaluations)
    return [entry for entry in skipped if not entry.startswith(own)]
