"""The "what this shows" sentences of each report section, written from the numbers.

Every sentence names a measured figure (rate, interval, test result) taken from the
section's table; what a sentence says (higher/lower, significant or not, as in the paper
or not) follows from those numbers, so the text changes when the data do.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import pandas as pd

ALPHA = 0.05  # the sentences say "at the 5 % level"


def pct(value: float) -> str:
    return "n/a" if value is None or math.isnan(value) else f"{100 * value:.1f} %"


def interval(row: pd.Series | dict, prefix: str) -> str:
    """A rate with its interval and count, e.g. "12.0 % [8.1, 17.3] (6/50)"."""
    low, high = row[f"{prefix}_low"], row[f"{prefix}_high"]
    ci = "" if math.isnan(low) else f" [{100 * low:.1f}, {100 * high:.1f}]"
    return f"{pct(row[prefix])}{ci} ({int(row[f'{prefix}_hits'])}/{int(row[f'{prefix}_n'])})"


def pvalue(value: float) -> str:
    if value is None or math.isnan(value):
        return "p n/a"
    return "p < 0.001" if value < 0.001 else f"p = {value:.3f}"


def _overlap(a: pd.Series, b: pd.Series, prefix: str) -> bool:
    return not (
        a[f"{prefix}_high"] < b[f"{prefix}_low"] or b[f"{prefix}_high"] < a[f"{prefix}_low"]
    )


def join(parts: Iterable[str]) -> str:
    parts = [p for p in parts if p]
    return " ".join(parts)


def rates(frame: pd.DataFrame) -> str:
    """Per dataset: the spread of misalignment across models, over-flagging, rejection."""
    if frame.empty:
        return ""
    sentences = []
    for dataset, group in frame.groupby("dataset", observed=True, sort=True):
        group = group.dropna(subset=["misalignment"]).sort_values("misalignment")
        if group.empty:
            continue
        best, worst = group.iloc[0], group.iloc[-1]
        if len(group) == 1:
            sentences.append(
                f"On {dataset}, {best['model']} judged {interval(best, 'misalignment')} of the "
                f"biased scenarios unbiased."
            )
        else:
            separable = (
                "" if _overlap(best, worst, "misalignment") else " — their intervals do not overlap"
            )
            sentences.append(
                f"On {dataset}, misalignment ranges from {interval(best, 'misalignment')} "
                f"({best['model']}) to {interval(worst, 'misalignment')} ({worst['model']}){separable}."
            )
    flagged = frame.dropna(subset=["overflag"]).sort_values("overflag")
    if not flagged.empty:
        top = flagged.iloc[-1]
        sentences.append(
            f"The highest over-flagging of unbiased scenarios is {interval(top, 'overflag')} "
            f"({top['model']} on {top['dataset']})."
        )
    rejected = frame[frame["rejection_biased"] > 0].sort_values("rejection_biased")
    if rejected.empty:
        sentences.append("No reply on a biased scenario was rejected (every one gave a verdict).")
    else:
        top = rejected.iloc[-1]
        sentences.append(
            f"{len(rejected)} of {len(frame)} model × dataset cells have rejected replies on "
            f"biased scenarios; the most is {interval(top, 'rejection_biased')} ({top['model']} "
            f"on {top['dataset']}), and rejected replies count as not misaligned in the rates "
            f"above."
        )
    unbiased = frame.dropna(subset=["rejection_unbiased"]).sort_values("rejection_unbiased")
    if not unbiased.empty:
        top = unbiased.iloc[-1]
        sentences.append(
            f"On unbiased scenarios the highest rejection rate is "
            f"{interval(top, 'rejection_unbiased')} ({top['model']} on {top['dataset']})."
        )
    return join(sentences)


def bbq(frame: pd.DataFrame) -> str:
    """Per model: the BBQ cells with the highest misalignment and over-flagging."""
    if frame.empty:
        return ""
    sentences = []
    for model, group in frame.groupby("model", observed=True, sort=True):
        biased = group.dropna(subset=["misalignment"]).sort_values("misalignment")
        parts = []
        if not biased.empty:
            worst, best = biased.iloc[-1], biased.iloc[0]
            parts.append(
                f"{model}'s highest BBQ misalignment is in {worst['category']} · "
                f"{worst['polarity']} · {worst['answer_type']} ({interval(worst, 'misalignment')}), "
                f"its lowest in {best['category']} · {best['polarity']} · {best['answer_type']} "
                f"({interval(best, 'misalignment')})"
            )
        unknown = group.dropna(subset=["overflag"]).sort_values("overflag")
        if not unknown.empty:
            top = unknown.iloc[-1]
            parts.append(
                f"it over-flags unknown answers most in {top['category']} · {top['polarity']} "
                f"({interval(top, 'overflag')})"
            )
        small = int((group["n"] < 10).sum())
        note = f" ({small} of {len(group)} cells have fewer than 10 scenarios)" if small else ""
        sentences.append("; ".join(parts) + note + ".")
    return join(sentences)


def attacks(frame: pd.DataFrame) -> str:
    """How often attacks raised misalignment, the largest paired change and its test."""
    if frame.empty:
        return ""
    sentences = []
    for attack in ("untargeted", "targeted"):
        group = frame[frame["attack"] == attack].dropna(subset=["difference"])
        if group.empty:
            continue
        up = int((group["difference"] > 0).sum())
        down = int((group["difference"] < 0).sum())
        significant = group[group["p_value"] < ALPHA]
        largest = group.loc[group["difference"].abs().idxmax()]
        sentences.append(
            f"The {attack} attack raised misalignment in {up} and lowered it in {down} of "
            f"{len(group)} model × dataset cells; the largest paired change is "
            f"{100 * largest['difference']:+.1f} points ({largest['model']} on {largest['dataset']}: "
            f"{pct(largest['no_attack'])} → {pct(largest['asr'])} over {largest['pairs']} scenarios, "
            f"{largest['test'] or 'McNemar'} {pvalue(largest['p_value'])}); "
            f"{len(significant)} cell(s) differ at the 5 % level."
        )
        rejecting = group.sort_values("rejection").iloc[-1]
        if rejecting["rejection"] > 0:
            sentences.append(
                f"Under the {attack} attack up to {interval(rejecting, 'rejection')} of replies "
                f"were rejected ({rejecting['model']} on {rejecting['dataset']})."
            )
    return join(sentences)


def contrast(
    frame: pd.DataFrame, first: str, second: str, names: tuple[str, str], finding: str
) -> str:
    """Direction and significance of one paper contrast (columns first, second) across models."""
    frame = frame.dropna(subset=["difference"])
    if frame.empty:
        return ""
    better = frame[frame["difference"] < 0]
    significant = better[better["p_value"] < ALPHA]
    against = frame[(frame["difference"] > 0) & (frame["p_value"] < ALPHA)]
    detail = "; ".join(
        f"{row['model']}: {pct(row[first])} vs {pct(row[second])}, {row['test']} {pvalue(row['p_value'])}"
        for _, row in frame.iterrows()
    )
    verdict = (
        f"as the paper found ({finding})"
        if len(significant) and not len(against)
        else f"the paper's finding ({finding}) is {'contradicted' if len(against) else 'not confirmed at the 5 % level'} here"
    )
    return (
        f"{names[0].capitalize()} had lower misalignment than {names[1]} for {len(better)} of "
        f"{len(frame)} model(s), significantly for {len(significant)}: {verdict}. ({detail}.)"
    )


def consistency(result) -> str:
    """The most and least consistent pairs, Fleiss' kappa, and the family comparison."""
    pairs = result.pairs.dropna(subset=["agreement"])
    if pairs.empty:
        return ""
    ordered = pairs.sort_values(["kappa", "agreement"], na_position="first")
    most, least = ordered.iloc[-1], ordered.iloc[0]
    sentences = [
        f"Over {most['items']} shared scenarios ({result.condition}), the most consistent pair is "
        f"{most['model_a']}–{most['model_b']} (agreement {pct(most['agreement'])}, "
        f"κ = {most['kappa']:.2f})."
    ]
    if len(pairs) > 1:
        sentences.append(
            f"The least consistent is {least['model_a']}–{least['model_b']} "
            f"(agreement {pct(least['agreement'])}, κ = {least['kappa']:.2f})."
        )
    if not math.isnan(result.fleiss_kappa):
        sentences.append(
            f"Fleiss' κ over all {len(result.agreement)} models on the {result.fleiss_items} "
            f"scenarios every model judged is {result.fleiss_kappa:.2f} ({_band(result.fleiss_kappa)} "
            f"agreement beyond chance)."
        )
    families = result.families
    if not families.empty and len(families) == 2:
        by = families.set_index("pairs of models")
        within, between = by.loc["within family"], by.loc["between families"]
        relation = "higher" if within["kappa"] > between["kappa"] else "not higher"
        sentences.append(
            f"Within-family pairs agree {pct(within['agreement'])} (mean κ = {within['kappa']:.2f}, "
            f"{int(within['pairs'])} pair(s)) against {pct(between['agreement'])} "
            f"(κ = {between['kappa']:.2f}, {int(between['pairs'])} pair(s)) between families: "
            f"{relation}, {'as' if relation == 'higher' else 'unlike'} the paper's finding."
        )
    return join(sentences)


def _band(kappa: float) -> str:
    """Landis & Koch's verbal bands for kappa."""
    for limit, name in (
        (0, "poor"),
        (0.2, "slight"),
        (0.4, "fair"),
        (0.6, "moderate"),
        (0.8, "substantial"),
    ):
        if kappa <= limit:
            return name
    return "almost perfect"


def agreeability(cells: pd.DataFrame, preference: pd.DataFrame) -> str:
    """Extremes of the E × T matrix and how many targets prefer their own explanations."""
    cells = cells.dropna(subset=["agreeability"])
    if cells.empty:
        return ""
    ordered = cells.sort_values("agreeability")
    low, high = ordered.iloc[0], ordered.iloc[-1]
    sentences = [
        f"Agreeability ranges from {interval(low, 'agreeability')} ({low['target']} judging "
        f"{low['explainer']}) to {interval(high, 'agreeability')} ({high['target']} judging "
        f"{high['explainer']})."
    ]
    if not preference.empty:
        first = preference[preference["own_rank"] == 1]
        significant = preference[(preference["difference"] > 0) & (preference["p_value"] < ALPHA)]
        detail = "; ".join(
            f"{row['target']}: own {pct(row['own'])} vs others {pct(row['others'])}, rank "
            f"{row['own_rank']} of {row['explainers']}, {pvalue(row['p_value'])}"
            for _, row in preference.iterrows()
        )
        reverse = preference[(preference["difference"] < 0) & (preference["p_value"] < ALPHA)]
        sentences.append(
            f"{len(first)} of {len(preference)} target(s) rank their own explanations first; "
            f"{len(significant)} agree with their own significantly more often than with others' "
            f"and {len(reverse)} significantly less often ({detail})."
        )
    return join(sentences)


def readability(summary: pd.DataFrame, correlation: dict[str, dict[str, float]]) -> str:
    """Which explainer reads easiest and whether readability tracks agreeability."""
    scored = summary.dropna(subset=["fkgl"])
    if scored.empty:
        return ""
    ordered = scored.sort_values("fkgl")
    easy, hard = ordered.iloc[0], ordered.iloc[-1]
    sentences = [
        f"{easy['explainer']} writes the easiest explanations (FKGL {easy['fkgl']:.1f}, GFI "
        f"{easy['gfi']:.1f}, CLI {easy['cli']:.1f}; agreeability {pct(easy['agreeability'])})"
        + (
            f" and {hard['explainer']} the hardest (FKGL {hard['fkgl']:.1f}; agreeability "
            f"{pct(hard['agreeability'])})."
            if len(ordered) > 1
            else "."
        )
    ]
    fkgl = correlation.get("fkgl", {})
    if fkgl and not math.isnan(fkgl.get("rho", math.nan)):
        direction = "harder-to-read" if fkgl["rho"] > 0 else "easier-to-read"
        sentences.append(
            f"Across {fkgl['n']} explainers, Spearman's ρ between FKGL and agreeability is "
            f"{fkgl['rho']:.2f} ({pvalue(fkgl['p_value'])}): {direction} explainers were "
            f"agreed with more often."
        )
    elif len(scored) < 3:
        sentences.append(
            f"With {len(scored)} explainer(s), readability and agreeability cannot be correlated "
            "(Spearman's ρ needs at least 3)."
        )
    return join(sentences)


def parsers(frame: pd.DataFrame) -> str:
    """How many labels the two parsers read differently, and the largest rate change."""
    if frame.empty:
        return ""
    total, differ = int(frame["n"].sum()), int(frame["labels_differ"].sum())
    sentences = [
        f"hvsb's parser and the release's rule label {differ} of {total} judge replies "
        f"differently ({pct(differ / total)}), {int(frame['biased_differ'].sum())} of them on "
        f"biased scenarios."
    ]
    change = (frame["misalignment_release"] - frame["misalignment_hvsb"]).dropna()
    if len(change) and change.abs().max() > 0:
        row = frame.loc[change.abs().idxmax()]
        sentences.append(
            f"The largest change in misalignment is {row['model']} on {row['dataset']} "
            f"({row['attack']}): {interval(row, 'misalignment_hvsb')} with hvsb's parser, "
            f"{interval(row, 'misalignment_release')} with the release's rule."
        )
    elif len(change):
        sentences.append("The misalignment rates are the same under both rules.")
    return join(sentences)
