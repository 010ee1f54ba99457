"""The report's "What the paper found, for these models" section, from `findings`.

One sentence per finding (claim, verdict, why, the figure it rests on), the summary
table, each finding's detail tables and the scale plot. The statistics and verdict rules
are in `hvsb.analysis.findings`; this module only words and lays them out.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

from hvsb.analysis import findings as tests
from hvsb.analysis import plots
from hvsb.analysis.narrative import pvalue
from hvsb.analysis.report import Section

LABELS = {
    "polarity": "(i)",
    "answer_type": "(i)",
    "scale": "(ii)",
    "families": "(iii)",
    "self_preference": "(iv)",
    "finetune": "(v)",
    "explainers": "(vi)",
}


def _points(value: float) -> str:
    return f"{100 * value:+.1f}"


def _interval(finding: tests.Finding, points: bool) -> str:
    if math.isnan(finding.low):
        return ""
    if points:
        return f" [{_points(finding.low)}, {_points(finding.high)}]"
    return f" [{finding.low:.2f}, {finding.high:.2f}]"


def figure(finding: tests.Finding) -> str:
    """The estimate, interval, test and n a finding's verdict rests on, in words."""
    f = finding
    if f.key in tests.CONTRASTS:
        return (
            f"misalignment difference {_points(f.estimate)} points{_interval(f, True)} "
            f"over {f.n} pairs, McNemar {pvalue(f.p_value)}"
        )
    if f.key == "scale":
        which = "largest significant" if f.verdict == tests.SUPPORTED else "largest"
        return (
            f"{which} larger-minus-smaller difference {_points(f.estimate)} points"
            f"{_interval(f, True)}, Holm-adjusted McNemar {pvalue(f.p_value)}; "
            f"{f.n} models with a size"
        )
    if f.key == "families":
        return f"mean κ within − between families {f.estimate:+.2f}, permutation {pvalue(f.p_value)}; {f.n} models"
    if f.key == "self_preference":
        return (
            f"Mantel-Haenszel odds ratio own vs others {f.estimate:.2f}{_interval(f, False)}, "
            f"CMH {pvalue(f.p_value)}; {f.n} judgments of own explanations"
        )
    if f.key == "finetune":
        detail = f.details[0][1].iloc[0]
        return (
            f"FKGL fine-tuned − base {detail['fkgl_difference']:+.2f} (Wilcoxon "
            f"{pvalue(detail['fkgl_p'])}), agreeability {_points(f.estimate)} points"
            f"{_interval(f, True)} (McNemar {pvalue(f.p_value)}); {f.n} pairs"
        )
    return (
        f"largest spread of agreeability between explainers {_points(f.estimate)} points, "
        f"smallest Holm-adjusted {pvalue(f.p_value)}; {f.n} target(s)"
    )


def sentence(finding: tests.Finding) -> str:
    """ "(i) Claim — verdict: why (the figure)." for one finding."""
    shown = "" if math.isnan(finding.estimate) else f" ({figure(finding)})"
    return f"{LABELS[finding.key]} {finding.claim} — {finding.verdict}: {finding.reason}{shown}."


def section(table, figures: Path, evaluations: Sequence[tests.Evaluation] = ()) -> Section:
    """The findings section: verdicts in words, the summary table, details, scale plot."""
    result = Section(
        "findings",
        "What the paper found, for these models",
        "Each finding of Liu & Chu (2025; PROTOCOL §4) tested on the models of this report, "
        f"with its statistic, estimate (95 % interval), p-value and n. Verdict: supported = "
        f"significant at α = {tests.ALPHA} in the paper's direction; not supported = enough "
        f"data but not significant, or significant the other way (for the paper's null "
        f"result (vi): a significant difference); not enough data = under {tests.MIN_PAIRS} "
        f"pairs (paired tests) or {tests.MIN_GROUP} observations per group, or a permutation "
        "test that cannot reach α with these models (docs/report.md).",
    )
    found = tests.findings(table, evaluations)
    result.text = " ".join(sentence(f) for f in found)
    result.tables.append(("The findings, tested", tests.summary(found)))
    for finding in found:
        for caption, frame in finding.details:
            result.tables.append((f"{LABELS[finding.key]} {caption}", frame))
    if len(set(tests.model_sizes(table).values())) >= 2:  # one size is no comparison
        path = plots.scale(tests.scale_rates(table), figures / "findings_scale.png")
        if path is not None:
            result.figures.append(("Misalignment and ASR against model size", path))
    return result


def evaluations(
    paths: Sequence[Path], names: dict[str, str] | None = None
) -> list[tests.Evaluation]:
    """The base and fine-tuned explainers of each `hvsb finetune evaluate` summary, under
    the names the table gives them (the models as their logs name them)."""
    from hvsb.finetune.report import label, load_summary

    found = []
    for path in paths:
        summary = load_summary(path)
        logged = {row.get("explainer"): row.get("model") for row in summary["explainers"]}
        found.append(
            tests.Evaluation(
                base=label(logged.get("base") or summary["base_model"], names),
                fine_tuned=label(logged.get("fine-tuned") or summary["fine_tuned_model"], names),
            )
        )
    return found
