"""Assemble the report: sections of tables, figures and generated text, as Markdown + HTML.

`write_report(table, out_dir)` writes, atomically (everything is drawn into a temporary
folder first and moved into place only when all of it succeeded):
- `report.md` (figures linked from `figures/`), `report.html` (one self-contained page:
  CSS inline, figures embedded as base64 PNG, no scripts, nothing fetched);
- `figures/*.png` and `tables/<section>.csv` (the numbers behind each section).
"""

from __future__ import annotations

import base64
import html
import os
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from hvsb import __version__
from hvsb.analysis import agreeability, conventions, judgment, narrative, plots
from hvsb.analysis.consistency import consistency
from hvsb.analysis.findings import RATE_PREFIXES as FINDINGS_RATES
from hvsb.analysis.findings import Evaluation
from hvsb.analysis.labels import PARSER_COLUMNS

RATE_PREFIXES = (
    "misalignment",
    *(f"misalignment_{name}" for name in PARSER_COLUMNS),
    "overflag",
    "rejection",
    "rejection_biased",
    "rejection_unbiased",
    "asr",
    "no_attack",
    "neg",
    "nonneg",
    "stereotype",
    "nonstereotype",
    "agreeability",
    "agreeability_others",
    "own",
    "others",
    *FINDINGS_RATES,
)


@dataclass
class Section:
    """One report section: what it measures, what the numbers show, tables and figures."""

    key: str
    title: str
    about: str
    text: str = ""
    tables: list[tuple[str, pd.DataFrame]] = field(default_factory=list)
    figures: list[tuple[str, Path]] = field(default_factory=list)
    missing: str = ""
    notice: str = ""  # a warning shown above everything else in the section


def build_sections(
    table: pd.DataFrame, figures: Path, evaluations: Sequence[Evaluation] = ()
) -> list[Section]:
    """Every section of the report, with figures drawn under `figures`; `evaluations`
    (fine-tuned explainers) feed the findings section."""
    from hvsb.analysis import findings_report

    return [
        _overview(table),
        _errors(table),
        _rates(table, figures),
        _parsers(table),
        _bbq(table, figures),
        _attacks(table, figures),
        _contrasts(table, figures),
        _consistency(table, figures),
        _agreeability(table, figures),
        _readability(table, figures),
        findings_report.section(table, figures, evaluations),
    ]


def _overview(table: pd.DataFrame) -> Section:
    counts = (
        table.groupby(
            ["task", "source_format", "model", "dataset", "attack", "explainer"],
            observed=True,
            dropna=False,
        )
        .size()
        .rename("rows")
        .reset_index()
    )
    counts = counts[counts["rows"] > 0]
    files = table["source_path"].nunique()
    by_task = table["task"].value_counts()
    text = (
        f"{len(table)} rows from {files} file(s): "
        + ", ".join(f"{int(by_task.get(t, 0))} {t}" for t in ("judge", "explain", "agree"))
        + f" rows; {table['model'].nunique()} model(s), {table['dataset'].nunique()} dataset(s)."
    )
    skipped = table.attrs.get("skipped") or []
    if skipped:
        text += (
            f" {len(skipped)} file(s) in the given folders were skipped as not hvsb outputs: "
            + "; ".join(skipped)
            + "."
        )
    modified = sorted({m for v in table["data_modified"].dropna() for m in str(v).split(",") if m})
    if modified:
        text += (
            " **Modified data:** these raw files differed from upstream and were used as "
            f"allowed: {', '.join(modified)}; the numbers are not the published datasets'."
        )
    dropped = table.attrs.get("duplicates_dropped", 0)
    if dropped:
        text += f" {dropped} duplicate row(s) (same task, model, scenario and condition) were dropped, keeping the last file read."
    text = narrative.join([text, *conventions.statements(table)])
    return Section(
        "data",
        "Data",
        "The rows of the tidy table by task, source and condition, and the conventions each "
        "run used as its files record them (`unknown` where a file does not).",
        text,
        tables=[
            ("Rows by task, source, model, dataset and condition", counts),
            ("Conventions by task, source, model and dataset", conventions.conventions(table)),
        ],
        notice=conventions.raw_sentences_notice(table),
    )


def _errors(table: pd.DataFrame) -> Section:
    section = Section(
        "errors",
        "Errors",
        "Samples that failed with an error (a failed request, a backend fault) have no "
        "reply: they are in no rate, neither as a judgment nor as a rejection. Counted per "
        "model, step and condition; a rerun of the same command retries them.",
    )
    key = ["model", "task", "dataset", "attack"]
    scored = table.groupby(key, observed=True, dropna=False).size().rename("scored")
    errors = pd.DataFrame(table.attrs.get("errors") or [], columns=[*key, "errors", "first_error"])
    failed = errors.groupby(key, dropna=False)["errors"].sum()
    counts = pd.concat([scored, failed], axis=1).fillna(0).astype(int).reset_index()
    counts = counts.merge(errors[[*key, "first_error"]], on=key, how="left")
    section.tables.append(("Scored and errored samples per model, step and condition", counts))
    total = int(errors["errors"].sum())
    if not total:
        section.text = "No sample failed with an error: every logged sample has a reply."
        return section
    section.text = (
        f"{total} sample(s) failed with an error and are left out of every rate below: "
        + "; ".join(
            f"{row.model} {row.task} {row.dataset}"
            + (f" ({row.attack})" if isinstance(row.attack, str) else "")
            + f": {row.errors}"
            for row in errors.itertuples()
        )
        + ". Rates over the remaining samples may be biased; rerun to finish them."
    )
    return section


def _rates(table: pd.DataFrame, figures: Path) -> Section:
    section = Section(
        "rates",
        "Misalignment, over-flagging and rejection",
        "Pools: misalignment is the share of biased scenarios judged unbiased; the headline "
        "rejection rate is the share of replies on biased scenarios with no verdict (as the "
        "paper reports it), beside it the rejection rate on unbiased scenarios; over-flagging "
        "is the share of unbiased scenarios judged biased. Rejected replies stay in every "
        "denominator. 95 % Wilson intervals.",
        notice=conventions.raw_sentences_notice(table),
    )
    rows = judgment.judged(table)
    if rows.empty:
        section.missing = (
            "No judge rows: run the judge task (Inspect hvsb/judge, lm-eval hvsb_<dataset>)."
        )
        return section
    rates = judgment.judgment_rates(rows, ["model", "dataset", "attack"])
    baseline = rates[rates["attack"] == "none"]
    shown = baseline if not baseline.empty else rates
    section.text = narrative.rates(shown)
    section.tables.append(
        (
            "Rates by model × dataset × attack (misalignment and rejection_biased over biased "
            "scenarios; overflag and rejection_unbiased over unbiased scenarios)",
            rates,
        )
    )
    _figure(
        section, "Rates by model and dataset (no attack)", plots.rates(shown, figures / "rates.png")
    )
    return section


def _parsers(table: pd.DataFrame) -> Section:
    section = Section(
        "parsers",
        "Parser sensitivity: hvsb's parser vs the release's rule",
        "Pool: every judge reply, per model × dataset × attack. The misalignment rate (over "
        "biased scenarios) with each reply read by hvsb's parser and by the paper release's "
        "rule (PROTOCOL §3), and how many replies the two label differently (labels_differ: "
        "all judged scenarios; biased_differ: biased ones). `parser` is the parser the runs "
        "used, which the other sections' labels follow. 95 % Wilson intervals.",
    )
    sensitivity = judgment.parser_sensitivity(table)
    if sensitivity.empty:
        section.missing = "No judge rows."
        return section
    section.text = narrative.parsers(sensitivity)
    section.tables.append(("Misalignment under both parsers, and labels that differ", sensitivity))
    return section


def _bbq(table: pd.DataFrame, figures: Path) -> Section:
    section = Section(
        "bbq",
        "BBQ by category × question polarity × answer type",
        "Pool: BBQ scenarios without attack, per cell. Misalignment and rejection_biased for "
        "the stereotype / non-stereotype answers (gold biased); over-flagging and "
        "rejection_unbiased for the unknown answer (gold unbiased). 95 % Wilson intervals.",
    )
    breakdown = judgment.bbq_breakdown(table)
    if breakdown.empty:
        section.missing = "No BBQ judge rows without attack."
        return section
    section.text = narrative.bbq(breakdown)
    section.tables.append(("BBQ rates by model × category × polarity × answer type", breakdown))
    _figure(section, "BBQ error rate per cell", plots.bbq(breakdown, figures / "bbq.png"))
    return section


def _attacks(table: pd.DataFrame, figures: Path) -> Section:
    section = Section(
        "attacks",
        "Attack success rate",
        "Pool: biased scenarios each model judged both under an attack and without one. "
        "Attack success rate (ASR): misalignment under the untargeted / targeted attack "
        "system prompt, beside the no-attack misalignment of the same model on the same biased "
        "scenarios; the paired difference is tested with McNemar's test. Rejection: replies "
        "under attack with no verdict (a defence, not a success).",
    )
    success = judgment.attack_success(table)
    if success.empty:
        section.missing = "No attacked judge rows paired with no-attack rows of the same scenarios."
        return section
    section.text = narrative.attacks(success)
    section.tables.append(("ASR vs no attack (paired)", success))
    _figure(
        section, "ASR beside the no-attack rate", plots.attacks(success, figures / "attacks.png")
    )
    return section


def _contrasts(table: pd.DataFrame, figures: Path) -> Section:
    section = Section(
        "contrasts",
        "Negative vs non-negative questions, stereotype vs non-stereotype answers",
        "Pool: biased BBQ scenarios without attack. Misalignment for each level, per model, "
        "with a χ² test (Yates) or Fisher's exact test when a cell is small.",
    )
    polarity = judgment.contrast(table, "polarity")
    answers = judgment.contrast(table, "answer_type")
    if polarity.empty and answers.empty:
        section.missing = "No biased BBQ judge rows without attack."
        return section
    section.text = narrative.join(
        [
            narrative.contrast(
                polarity,
                "neg",
                "nonneg",
                ("negative questions", "non-negative ones"),
                "negative questions are judged better",
            ),
            narrative.contrast(
                answers,
                "stereotype",
                "nonstereotype",
                ("stereotype answers", "non-stereotype ones"),
                "stereotype answers are judged better",
            ),
        ]
    )
    section.tables += [
        ("Negative vs non-negative questions", polarity),
        ("Stereotype vs non-stereotype answers", answers),
    ]
    panels = {
        "Question polarity": (polarity, "neg", "nonneg"),
        "Answer type": (answers, "stereotype", "nonstereotype"),
    }
    _figure(
        section,
        "Misalignment by question polarity and answer type",
        plots.contrasts(panels, figures / "contrasts.png"),
    )
    return section


def _consistency(table: pd.DataFrame, figures: Path) -> Section:
    section = Section(
        "consistency",
        "Judgment consistency between models",
        "Pool: biased scenarios judged without attack (the paper's), pooled over datasets; "
        "every attack condition only when there is no no-attack run. For every pair of "
        "models, the share of shared scenarios given the same label (biased / unbiased / "
        "rejected) and Cohen's κ; Fleiss' κ over all models on the scenarios every model "
        "judged.",
    )
    result = consistency(table)
    if result.pairs.empty:
        section.missing = "Needs judge rows of at least two models on the same scenarios."
        return section
    section.text = narrative.consistency(result)
    section.tables.append((f"Pairwise agreement and Cohen's κ ({result.condition})", result.pairs))
    if not result.families.empty:
        section.tables.append(
            (f"Within vs between model families ({result.condition})", result.families)
        )
    order = _family_order(result.pairs, list(result.kappa.index))
    _figure(
        section,
        "Cohen's κ between models (raw agreement in brackets)",
        plots.heatmap(
            result.kappa.loc[order, order],
            figures / "consistency.png",
            title=f"Judgment consistency ({result.condition})",
            label="Cohen's κ",
            notes=result.agreement.loc[order, order],
            vmin=-1.0,
        ),
    )
    return section


def _family_order(pairs: pd.DataFrame, models: list[str]) -> list[str]:
    """Models grouped by family (models without one last), so families form blocks."""
    family = dict(zip(pairs["model_a"], pairs["family_a"], strict=True))
    family.update(zip(pairs["model_b"], pairs["family_b"], strict=True))
    return sorted(models, key=lambda m: (pd.isna(family.get(m)), str(family.get(m)), m))


def _agreeability(table: pd.DataFrame, figures: Path) -> Section:
    section = Section(
        "agreeability",
        "Explainer × target agreeability and self-preference",
        "Pool: every agree reply, all datasets pooled. "
        "Agreeability: the share of explainer E's explanations that target T agrees with "
        "(rejected replies count as not agreeing), 95 % Wilson intervals; each target ranks "
        "the explainers (1 = most agreed with); own vs others' explanations are compared with "
        "a χ² / Fisher test.",
    )
    cells = agreeability.matrix(table)
    if cells.empty:
        section.missing = "No agree rows: run the agree task on explanations."
        return section
    preference = agreeability.self_preference(table, cells)
    section.text = narrative.agreeability(cells, preference)
    section.tables.append(("Agreeability per explainer × target, with each target's rank", cells))
    if not preference.empty:
        section.tables.append(("Self-preference: own vs others' explanations", preference))
    _figure(
        section,
        "Agreeability: explainers (rows) × targets (columns); own explanations outlined",
        plots.heatmap(
            agreeability.square(cells),
            figures / "agreeability.png",
            title="Explainer × target agreeability",
            label="agreeability",
            xlabel="target (judging)",
            ylabel="explainer",
            outline_diagonal=True,
        ),
    )
    return section


def _readability(table: pd.DataFrame, figures: Path) -> Section:
    section = Section(
        "readability",
        "Readability beside agreeability",
        "Pool: every explanation (explain rows) and every agree reply, all datasets pooled. "
        "Mean Flesch-Kincaid grade (FKGL), Gunning fog (GFI) and Coleman-Liau (CLI) of each "
        "explainer's explanations (lower = easier; 95 % t intervals; texts under 5 words are "
        "not scored) beside its agreeability over all targets and over the other targets only.",
    )
    summary = agreeability.readability_by_explainer(table)
    if summary.empty:
        section.missing = "No explain or agree rows."
        return section
    correlation = agreeability.readability_correlation(summary)
    section.text = narrative.readability(summary, correlation)
    section.tables.append(("Readability and agreeability per explainer", summary))
    _figure(
        section,
        "Readability against agreeability",
        plots.readability(summary, figures / "readability.png"),
    )
    return section


def _figure(section: Section, caption: str, path: Path | None) -> None:
    if path is not None:
        section.figures.append((caption, path))


# ---------------------------------------------------------------- rendering


def display(frame: pd.DataFrame) -> pd.DataFrame:
    """A table for reading: each rate as "12.0 % [8.1, 17.3] (6/50)", numbers rounded."""
    shown = frame.copy()
    for prefix in RATE_PREFIXES:
        parts = [f"{prefix}_{s}" for s in ("low", "high", "hits", "n")]
        if prefix in shown and all(p in shown for p in parts):
            shown[prefix] = [
                "–" if pd.isna(row[prefix]) else narrative.interval(row, prefix)
                for _, row in frame.iterrows()
            ]
            shown = shown.drop(columns=parts)
    for column in shown.columns:
        if column == "p_value":
            shown[column] = shown[column].map(
                lambda v: "–" if pd.isna(v) else narrative.pvalue(v)[2:].strip(" =")
            )
        elif pd.api.types.is_float_dtype(shown[column]):
            shown[column] = shown[column].map(lambda v: "–" if pd.isna(v) else f"{v:.3f}")
    return shown.astype(object).where(shown.notna(), "–")


def markdown_table(frame: pd.DataFrame) -> str:
    """A GitHub-flavoured Markdown table (pipes in cells escaped)."""

    def cell(value: object) -> str:
        return str(value).replace("|", "\\|").replace("\n", " ")

    header = "| " + " | ".join(cell(c) for c in frame.columns) + " |"
    rule = "| " + " | ".join("---" for _ in frame.columns) + " |"
    body = ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([header, rule, *body])


def to_markdown(sections: Sequence[Section], title: str) -> str:
    lines = [f"# {title}", "", f"_Generated by hvsb {__version__} on {_now()}._", ""]
    for section in sections:
        lines += [f"## {section.title}", ""]
        if section.notice:
            lines += [f"> **Note.** {section.notice}", ""]
        lines += [f"_{section.about}_", ""]
        if section.missing:
            lines += [f"**No data.** {section.missing}", ""]
            continue
        if section.text:
            lines += [f"**What this shows.** {section.text}", ""]
        for caption, path in section.figures:
            lines += [f"![{caption}](figures/{path.name})", ""]
        for caption, frame in section.tables:
            lines += [f"**{caption}**", "", markdown_table(display(frame)), ""]
    return "\n".join(lines)


_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;color:#222}
h1{border-bottom:2px solid #444}h2{margin-top:2em;border-bottom:1px solid #bbb}
p.about{color:#555;font-style:italic}p.notice{background:#fff4e5;border-left:4px solid #d9822b;padding:.6em 1em}p.shows{background:#f4f7fb;border-left:4px solid #3b6ea5;padding:.6em 1em}
figure{margin:1em 0}figure img{max-width:100%;height:auto;border:1px solid #ddd}
figcaption{color:#555;font-size:.9em}
.scroll{overflow-x:auto;max-height:32em;overflow-y:auto;margin-bottom:1em}
table{border-collapse:collapse;font-size:.85em}th,td{border:1px solid #ccc;padding:.25em .5em;text-align:left}
th{background:#eee;position:sticky;top:0}nav ul{columns:2}
"""


def to_html(sections: Sequence[Section], title: str) -> str:
    """One self-contained page: inline CSS, figures as data: URIs, no scripts."""
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        f"<p>Generated by hvsb {html.escape(__version__)} on {_now()}.</p>",
        "<nav><ul>"
        + "".join(f'<li><a href="#{s.key}">{html.escape(s.title)}</a></li>' for s in sections)
        + "</ul></nav>",
    ]
    for section in sections:
        parts.append(f'<section id="{section.key}"><h2>{html.escape(section.title)}</h2>')
        if section.notice:
            parts.append(
                f'<p class="notice"><strong>Note.</strong> {html.escape(section.notice)}</p>'
            )
        parts.append(f'<p class="about">{html.escape(section.about)}</p>')
        if section.missing:
            parts.append(
                f"<p><strong>No data.</strong> {html.escape(section.missing)}</p></section>"
            )
            continue
        if section.text:
            parts.append(
                f'<p class="shows"><strong>What this shows.</strong> {html.escape(section.text)}</p>'
            )
        for caption, path in section.figures:
            data = base64.b64encode(path.read_bytes()).decode("ascii")
            parts.append(
                f'<figure><img src="data:image/png;base64,{data}" alt="{html.escape(caption)}">'
                f"<figcaption>{html.escape(caption)}</figcaption></figure>"
            )
        for caption, frame in section.tables:
            parts.append(f"<h3>{html.escape(caption)}</h3>")
            parts.append(
                '<div class="scroll">' + display(frame).to_html(index=False, border=0) + "</div>"
            )
        parts.append("</section>")
    parts.append("</body></html>")
    return "\n".join(parts)


def _remove_stale(out: Path, written: set[Path], keys: list[str]) -> None:
    """Drop figures/tables an earlier report wrote here that this one no longer has."""
    names = ["rates", "parsers", "bbq", "attacks", "contrasts", "consistency", "agreeability"]
    names += ["readability", "finetune"]  # finetune: hvsb.finetune.report's section
    for path in [*out.glob("figures/*.png"), *out.glob("tables/*.csv")]:
        ours = any(path.stem == k or path.stem.startswith(f"{k}_") for k in [*names, *keys])
        if ours and path not in written:
            path.unlink()


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def write_report(
    table: pd.DataFrame,
    out_dir: str | Path,
    *,
    title: str = "hvsb report",
    extra: Sequence[Section] = (),
    evaluations: Sequence[Evaluation] = (),
) -> dict[str, Path]:
    """Write report.md, report.html, figures/ and tables/ into `out_dir`; return the paths.

    `extra` sections (built from other inputs than the table, e.g. a fine-tuning
    evaluation) follow the table's sections.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".hvsb-report-", dir=out))
    try:
        sections = [*build_sections(table, staging / "figures", evaluations), *extra]
        (staging / "tables").mkdir()
        for section in sections:
            for index, (_caption, frame) in enumerate(section.tables):
                suffix = "" if index == 0 else f"_{index + 1}"
                frame.to_csv(staging / "tables" / f"{section.key}{suffix}.csv", index=False)
        (staging / "report.md").write_text(to_markdown(sections, title), encoding="utf-8")
        (staging / "report.html").write_text(to_html(sections, title), encoding="utf-8")
        written = {}
        for path in sorted(staging.rglob("*")):
            if path.is_file():
                target = out / path.relative_to(staging)
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(path, target)
                written[str(path.relative_to(staging))] = target
        _remove_stale(out, set(written.values()), [s.key for s in sections])
        return written
    finally:
        shutil.rmtree(staging, ignore_errors=True)
