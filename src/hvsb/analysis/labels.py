"""Labels derived from raw replies with `hvsb.scorers`, never taken from stored scores.

judge → the label under every judgment parser (`judgment_hvsb`, `judgment_release`: the
parsers of `hvsb.scorers.PARSERS`) and `judgment`, the label under the parser the row's
run used (hvsb's when the run does not record one); agree → agreement
(parse_agreement); explain → explanation (extract_explanation) and its FKGL / GFI / CLI
(readability). Each distinct text is scored once, so repeated replies cost nothing.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from hvsb.scorers import DEFAULT_PARSER, PARSERS, extract_explanation, parse_agreement, readability

METRICS = ("fkgl", "gfi", "cli")
# The label of a judge reply under each parser, as a column of its own.
PARSER_COLUMNS = {name: f"judgment_{name}" for name in PARSERS}


def derive(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` (raw rows) with judgment, agreement, explanation and readability columns."""
    frame = frame.copy()
    is_judge = frame["task"].eq("judge")
    is_explain = frame["task"].eq("explain")
    is_agree = frame["task"].eq("agree")
    for name, column in PARSER_COLUMNS.items():
        frame[column] = _each_distinct(frame["reply"], is_judge, PARSERS[name])
    frame["judgment"] = frame[PARSER_COLUMNS[DEFAULT_PARSER]]
    if "parser" in frame:
        for name, column in PARSER_COLUMNS.items():
            frame["judgment"] = frame["judgment"].where(frame["parser"].ne(name), frame[column])
    frame["agreement"] = _each_distinct(frame["reply"], is_agree, parse_agreement)
    explained = _each_distinct(frame["reply"], is_explain, extract_explanation)
    frame["explanation"] = explained.where(is_explain, frame["explanation"])
    scores = _readability(frame["explanation"], is_explain)
    for metric in METRICS:
        frame[metric] = scores[metric]
    return frame


def _each_distinct(texts: pd.Series, mask: pd.Series, function: Any) -> pd.Series:
    """`function` of each distinct text under `mask` (NaN elsewhere), computed once per text."""
    selected = texts[mask]
    mapping = {text: function(text) for text in selected.dropna().unique()}
    return selected.map(mapping).reindex(texts.index)


def _readability(explanations: pd.Series, mask: pd.Series) -> pd.DataFrame:
    selected = explanations[mask].dropna()
    scores = {text: readability(text) for text in selected.unique()}
    if not scores:
        return pd.DataFrame(np.nan, index=explanations.index, columns=list(METRICS))
    frame = pd.DataFrame.from_dict(scores, orient="index", columns=list(METRICS))
    return frame.reindex(explanations.values).set_axis(explanations.index).where(mask)
