"""Judgment consistency between models: raw agreement, Cohen's and Fleiss' kappa.

Items are biased scenarios (dataset, id, epoch) judged without attack, the paper's pool
(every attack condition, each its own item, when there is no no-attack run); labels are
biased / unbiased / rejected. A pair of models is compared on the items both judged;
Fleiss' kappa on the items every model judged. `Consistency.condition` states the pool.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from hvsb.analysis.judgment import judged
from hvsb.analysis.stats import cohen_kappa, fleiss, raw_agreement
from hvsb.scorers import JUDGMENTS

ITEM = ["dataset", "attack", "id", "epoch"]


@dataclass
class Consistency:
    """Pairwise figures (long and as model × model matrices) and Fleiss' kappa over all."""

    pairs: pd.DataFrame
    agreement: pd.DataFrame
    kappa: pd.DataFrame
    fleiss_kappa: float = math.nan
    fleiss_items: int = 0
    condition: str = "biased scenarios without attack"
    families: pd.DataFrame = field(default_factory=pd.DataFrame)


def ratings(table: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """Items × models matrix of judgments of biased scenarios, and the pool it covers."""
    biased = judged(table)
    biased = biased[biased["gold_label"] == "biased"]
    rows = biased[biased["attack"] == "none"]
    condition = "biased scenarios without attack"
    if rows.empty:
        rows, condition = biased, "biased scenarios, every attack condition (no no-attack run)"
    columns = [*ITEM, "model", "judgment"]
    plain = rows[columns].astype({c: object for c in columns if c != "epoch"})
    return plain.set_index([*ITEM, "model"])["judgment"].unstack("model"), condition


def consistency(table: pd.DataFrame) -> Consistency:
    """Agreement and kappa for every pair of models, Fleiss' kappa, family grouping."""
    matrix, condition = ratings(table)
    models = sorted(matrix.columns)
    # integer codes (-1: not judged) make the pairwise work fast at 100,000 judgments
    codes = {m: pd.Categorical(matrix[m], categories=JUDGMENTS).codes for m in models}
    labels = list(range(len(JUDGMENTS)))
    family = _families(table)
    records = []
    for first, second in itertools.combinations(models, 2):
        a, b = codes[first], codes[second]
        both = (a >= 0) & (b >= 0)
        records.append(
            {
                "model_a": first,
                "model_b": second,
                "items": int(both.sum()),
                "agreement": raw_agreement(a[both], b[both]),
                "kappa": cohen_kappa(a[both], b[both], labels),
                "family_a": family.get(first),
                "family_b": family.get(second),
            }
        )
    pairs = pd.DataFrame.from_records(
        records,
        columns=["model_a", "model_b", "items", "agreement", "kappa", "family_a", "family_b"],
    )
    grid = np.column_stack([codes[m] for m in models]) if models else np.empty((0, 0))
    complete = grid[(grid >= 0).all(axis=1)] if len(models) > 1 else np.empty((0, 0))
    return Consistency(
        pairs=pairs,
        agreement=_square(pairs, models, "agreement", diagonal=1.0),
        kappa=_square(pairs, models, "kappa", diagonal=1.0),
        fleiss_kappa=fleiss(complete, len(JUDGMENTS)),
        fleiss_items=len(complete),
        condition=condition,
        families=_by_family(pairs),
    )


def _families(table: pd.DataFrame) -> dict[str, str]:
    known = table[["model", "family"]].dropna().drop_duplicates()
    return {str(m): str(f) for m, f in zip(known["model"], known["family"], strict=True)}


def _square(pairs: pd.DataFrame, models: list[str], value: str, diagonal: float) -> pd.DataFrame:
    square = pd.DataFrame(math.nan, index=models, columns=models)
    for model in models:
        square.loc[model, model] = diagonal
    for row in pairs.itertuples(index=False):
        square.loc[row.model_a, row.model_b] = getattr(row, value)
        square.loc[row.model_b, row.model_a] = getattr(row, value)
    return square


def _by_family(pairs: pd.DataFrame) -> pd.DataFrame:
    """Mean agreement and kappa of within-family vs between-family pairs (named families)."""
    named = pairs.dropna(subset=["family_a", "family_b"])
    if named.empty:
        return pd.DataFrame()
    grouping = (
        named["family_a"]
        .eq(named["family_b"])
        .map({True: "within family", False: "between families"})
    )
    summary = named.groupby(grouping)[["agreement", "kappa"]].agg(["mean", "count"])
    summary.columns = ["agreement", "pairs", "kappa", "kappa_pairs"]
    return summary.drop(columns="kappa_pairs").rename_axis("pairs of models").reset_index()
