"""Which conventions the analysed runs used, for the report's Data section.

A number is only comparable with the paper's when it was measured the paper's way, so the
report states, from what each file records (`hvsb.rows`): the task versions read, the
sample kind (`paper` / `seeded`), the judgment parser, the judge mode, and whether SS/CP
scenarios were LLM-emulated (PROTOCOL §2) or raw sentences. A convention a file does not
record is `unknown`, never a guessed default. SS/CP judged or explained as raw sentences
get a notice of their own: the paper judged LLM-written scenarios.
"""

from __future__ import annotations

import pandas as pd

from hvsb.scorers import DEFAULT_PARSER

UNKNOWN = "unknown"
NOT_APPLICABLE = "n/a"
SENTENCE_DATASETS = ("ss", "cp")
SCENARIO_NAMES = {"emulated": "LLM-emulated", "sentence": "raw sentences"}
SOURCE_NAMES = {"inspect": "Inspect logs", "lm-eval": "lm-eval samples"}
_GROUP = ["task", "source_format", "model", "dataset"]


def values(series: pd.Series, names: dict[str, str] | None = None) -> str:
    """The distinct values of `series` (named by `names`), `unknown` for a missing one;
    with their row counts when there are several."""
    named = series.astype(object).map(lambda v: (names or {}).get(v, v) if pd.notna(v) else v)
    named = named.astype(object)
    counts = named.fillna(UNKNOWN).astype(str).value_counts(sort=False).sort_index()
    if len(counts) == 1:
        return str(counts.index[0])
    return ", ".join(f"{value} ({_rows(count)})" for value, count in counts.items())


def _rows(count: int) -> str:
    return f"{count} row" if count == 1 else f"{count} rows"


def _judged_or_explained(rows: pd.DataFrame) -> pd.Series:
    return rows["task"].isin(["judge", "explain"])


def _sentence_rows(table: pd.DataFrame) -> pd.DataFrame:
    """SS/CP judge and explain rows: those whose scenarios are emulated or raw sentences."""
    return table[_judged_or_explained(table) & table["dataset"].isin(SENTENCE_DATASETS)]


def conventions(table: pd.DataFrame) -> pd.DataFrame:
    """Per task × source × model × dataset: rows, task version, sample kind, parser, judge
    mode and SS/CP scenarios (`n/a` where a convention does not apply to the task)."""
    records = []
    for keys, group in table.groupby(_GROUP, observed=True, sort=True):
        task, _, _, dataset = keys
        judge = task == "judge"
        sentences = task in ("judge", "explain") and dataset in SENTENCE_DATASETS
        records.append(
            {
                **dict(zip(_GROUP, keys, strict=True)),
                "rows": len(group),
                "task_version": values(group["task_version"]),
                "sample": NOT_APPLICABLE if task == "agree" else values(group["sample"]),
                "parser": values(group["parser"]) if judge else NOT_APPLICABLE,
                "judge_mode": values(group["judge_mode"]) if judge else NOT_APPLICABLE,
                "scenarios": values(group["scenario_mode"], SCENARIO_NAMES)
                if sentences
                else NOT_APPLICABLE,
            }
        )
    columns = [*_GROUP, "rows", "task_version", "sample", "parser", "judge_mode", "scenarios"]
    return pd.DataFrame.from_records(records, columns=columns)


def statements(table: pd.DataFrame) -> list[str]:
    """One sentence per convention, over every file read."""
    versions = "; ".join(
        f"{SOURCE_NAMES.get(source, source)}: {values(group['task_version'])}"
        for source, group in table.groupby("source_format", observed=True, sort=True)
    )
    sentences = [f"Task versions read — {versions}."]
    sampled = table[_judged_or_explained(table)]
    if len(sampled):
        sentences.append(f"Sample kind (judge and explain runs): {values(sampled['sample'])}.")
    judge = table[table["task"] == "judge"]
    if len(judge):
        sentences.append(_parser_statement(judge))
        sentences.append(f"Judge mode: {values(judge['judge_mode'])}.")
    sentence_rows = _sentence_rows(table)
    if len(sentence_rows):
        per_dataset = "; ".join(
            f"{dataset}: {values(group['scenario_mode'], SCENARIO_NAMES)}"
            for dataset, group in sentence_rows.groupby("dataset", observed=True, sort=True)
        )
        sentences.append(
            f"SS/CP scenarios (LLM-emulated as in the paper, PROTOCOL §2, or raw sentences): "
            f"{per_dataset}."
        )
    return sentences


def _parser_statement(judge: pd.DataFrame) -> str:
    text = (
        f"Judgment parser: {values(judge['parser'])}. The `judgment` column uses each run's "
        f"parser; `judgment_hvsb` and `judgment_release` hold the labels under both rules"
    )
    unknown = int(judge["parser"].isna().sum())
    if unknown:
        text += (
            f"; {unknown} judge row(s) come from files that do not record their parser and "
            f"are labelled with {DEFAULT_PARSER}'s"
        )
    return text + "."


def raw_sentences_notice(table: pd.DataFrame) -> str:
    """A warning when SS/CP scenarios were judged or explained as raw sentences, else ''."""
    rows = _sentence_rows(table)
    raw = rows[rows["scenario_mode"].astype(object) == "sentence"]
    if raw.empty:
        return ""
    cells = ", ".join(
        f"{dataset} {task} ({_rows(len(group))})"
        for (dataset, task), group in raw.groupby(["dataset", "task"], observed=True, sort=True)
    )
    verbs = {"judge": "judged", "explain": "explained"}
    done = " and ".join(verbs[task] for task in verbs if (raw["task"] == task).any())
    return (
        f"SS/CP were {done} as raw sentences, not as the LLM-emulated scenarios of the "
        f"paper (PROTOCOL §2): {cells}. These numbers are not the paper's measurement; add an "
        f"`emulate:` step to the study file (or build emulated scenarios with `hvsb scenarios "
        f"build --mode emulated` and pass them as `scenarios_file`)."
    )
