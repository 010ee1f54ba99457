"""Judge-task analyses: rates per cell, BBQ breakdown, attack success, paper contrasts,
and the labels' sensitivity to the judgment parser.

Every rate is `hvsb.scorers`' definition applied to a group of the tidy table; rejected
replies stay in the denominators (the scorers' default, as in the paper). Pools: the
misalignment rate is over biased scenarios, the over-flagging rate over unbiased ones;
the rejection rate is given over biased scenarios (`rejection_biased`, the paper's) and
over unbiased ones (`rejection_unbiased`) side by side.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from hvsb.analysis.labels import PARSER_COLUMNS
from hvsb.analysis.stats import mcnemar_test, proportion_test, rate_columns, rate_fields
from hvsb.scorers import misalignment_rate, overflag_rate, rejection_rate

BREAKDOWN = ("model", "category", "polarity", "answer_type")
# The paper's contrasts (PROTOCOL §4): which BBQ cells are judged better.
CONTRASTS = {
    "polarity": ("neg", "nonneg"),
    "answer_type": ("stereotype", "nonstereotype"),
}


def judged(table: pd.DataFrame, *, attack: str | None = None) -> pd.DataFrame:
    """The judge rows (of one attack condition when given)."""
    rows = table[table["task"] == "judge"]
    if attack is not None:
        rows = rows[rows["attack"] == attack]
    return rows


RATES = ("misalignment", "overflag", "rejection_biased", "rejection_unbiased")


def judgment_rates(rows: pd.DataFrame, by: Sequence[str]) -> pd.DataFrame:
    """Misalignment and rejection over biased scenarios, over-flagging and rejection over
    unbiased ones (with Wilson CIs), per group; `n` counts every judged scenario."""
    records = []
    for keys, group in rows.groupby(list(by), observed=True, sort=True):
        gold, predicted = group["gold_label"].tolist(), group["judgment"].tolist()
        biased = group["gold_label"].eq("biased")
        records.append(
            {
                **dict(zip(by, keys, strict=True)),
                "n": len(group),
                **rate_fields("misalignment", misalignment_rate(gold, predicted)),
                **rate_fields("overflag", overflag_rate(gold, predicted)),
                **rate_fields("rejection_biased", rejection_rate(group["judgment"][biased])),
                **rate_fields("rejection_unbiased", rejection_rate(group["judgment"][~biased])),
            }
        )
    return pd.DataFrame.from_records(records, columns=_rate_columns(by, RATES))


def _rate_columns(by: Sequence[str], prefixes: Sequence[str]) -> list[str]:
    names = [*by, "n"]
    for prefix in prefixes:
        names += rate_columns(prefix)
    return names


def bbq_breakdown(table: pd.DataFrame) -> pd.DataFrame:
    """BBQ rates by model × category × polarity × answer type, no attack."""
    rows = judged(table, attack="none")
    return judgment_rates(rows[rows["dataset"] == "bbq"], BREAKDOWN)


def attack_success(table: pd.DataFrame) -> pd.DataFrame:
    """Attack success rate beside the no-attack rate on the same biased scenarios.

    Each attacked judgment is paired with the same model's no-attack judgment of the same
    scenario (and epoch); the paired difference is tested with McNemar's test on the 2×2
    table of misaligned (judged unbiased) yes/no under both conditions.
    """
    biased = judged(table)
    biased = biased[biased["gold_label"] == "biased"]
    keys = ["model", "dataset", "id", "epoch"]
    base = biased[biased["attack"] == "none"][[*keys, "gold_label", "judgment"]]
    attacked = biased[biased["attack"] != "none"][[*keys, "attack", "judgment"]]
    paired = attacked.merge(base, on=keys, suffixes=("", "_none"))
    records = []
    for (model, dataset, attack), group in paired.groupby(
        ["model", "dataset", "attack"], observed=True, sort=True
    ):
        gold = group["gold_label"].tolist()
        under, without = group["judgment"], group["judgment_none"]
        asr = misalignment_rate(gold, under.tolist())
        none = misalignment_rate(gold, without.tolist())
        yes_under, yes_none = under.eq("unbiased"), without.eq("unbiased")
        counts = [
            [int((yes_none & yes_under).sum()), int((yes_none & ~yes_under).sum())],
            [int((~yes_none & yes_under).sum()), int((~yes_none & ~yes_under).sum())],
        ]
        records.append(
            {
                "model": model,
                "dataset": dataset,
                "attack": attack,
                "pairs": len(group),
                **rate_fields("asr", asr),
                **rate_fields("no_attack", none),
                "difference": asr.value - none.value,
                "only_none": counts[0][1],
                "only_attack": counts[1][0],
                **mcnemar_test(counts),
                **rate_fields("rejection", rejection_rate(under.tolist())),
            }
        )
    return pd.DataFrame.from_records(records)


def contrast(table: pd.DataFrame, column: str) -> pd.DataFrame:
    """Misalignment of the two levels of `column` on biased BBQ scenarios, per model, tested.

    The paper's finding is that negative questions (polarity) and stereotype answers
    (answer_type) are judged better, i.e. have the lower misalignment.
    """
    first, second = CONTRASTS[column]
    rows = judged(table, attack="none")
    rows = rows[(rows["dataset"] == "bbq") & (rows["gold_label"] == "biased")]
    records = []
    for model, group in rows.groupby("model", observed=True, sort=True):
        level = group[column]
        a = misalignment_rate(
            group["gold_label"][level == first], group["judgment"][level == first]
        )
        b = misalignment_rate(
            group["gold_label"][level == second], group["judgment"][level == second]
        )
        records.append(
            {
                "model": model,
                **rate_fields(first, a),
                **rate_fields(second, b),
                "difference": a.value - b.value,
                **proportion_test(a.hits, a.n, b.hits, b.n),
            }
        )
    return pd.DataFrame.from_records(records)


def parser_sensitivity(table: pd.DataFrame) -> pd.DataFrame:
    """Per model × dataset × attack: the misalignment rate (over biased scenarios) under
    each judgment parser, and how many replies the parsers label differently (over every
    judged scenario, biased and unbiased). `parser` names the parser(s) the runs used
    (`unknown` where a file does not record one)."""
    rows = judged(table)
    columns = list(PARSER_COLUMNS.values())
    by = ["model", "dataset", "attack"]
    records = []
    for keys, group in rows.groupby(by, observed=True, sort=True):
        gold = group["gold_label"].tolist()
        labels = group[columns].astype(object)
        differ = labels.nunique(axis=1, dropna=False).gt(1)
        biased = group["gold_label"].eq("biased")
        record = {
            **dict(zip(by, keys, strict=True)),
            "parser": ", ".join(sorted(group["parser"].astype(object).fillna("unknown").unique())),
            "n": len(group),
        }
        for name, column in PARSER_COLUMNS.items():
            record |= rate_fields(
                f"misalignment_{name}", misalignment_rate(gold, group[column].tolist())
            )
        record |= {
            "labels_differ": int(differ.sum()),
            "biased_differ": int((differ & biased).sum()),
        }
        records.append(record)
    prefixes = [f"misalignment_{name}" for name in PARSER_COLUMNS]
    names = [*_rate_columns([*by, "parser"], prefixes), "labels_differ", "biased_differ"]
    return pd.DataFrame.from_records(records, columns=names)
