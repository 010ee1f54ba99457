"""The README's Evaluation Report section, written from Inspect logs of the hvsb tasks.

Inspect Evals' contributor standard (repository Generality-Labs/inspect-evals-template,
CONTRIBUTING.md, "Evaluation Report Guidelines"; docs/eval.schema.json names the commit)
asks every eval's README for a section titled "Evaluation Report" holding:

- implementation details: deviations from the reference implementation, known limitations;
- results for at least two models, in a table, compared with the paper (or saying
  explicitly that no comparison is possible), with an analysis;
- reproducibility: the samples run out of the total, a timestamp, the exact `inspect eval`
  commands, the model and eval versions, and why each parameter was chosen.

`evaluation_report(paths)` writes that section from the logs alone (`evaluation_runs`):
every number, count, version, date and command in it is one a log holds. Numbers the
paper gives can be set beside the runs' from a CSV (`read_paper`); without one the section
says that no paper number is shown, and why, and compares with the paper's findings.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from hvsb.analysis.evaluation_runs import (
    TASK_ORDER,
    Run,
    command,
    flags,
    folder,
    portable,
    read_runs,
)
from hvsb.errors import DataFileError, HvsbError

HEADING = "## Evaluation Report"
# The overall metrics each task's table shows (breakdowns stay in the logs and `inspect view`).
COLUMNS = {
    "hvsb/judge": (
        "misalignment_rate",
        "misalignment_rate_parsed",
        "attack_success_rate",
        "overflag_rate",
        "rejection_rate",
    ),
    "hvsb/explain": ("fkgl", "gfi", "cli", "readability_coverage"),
    "hvsb/agree": ("agreeability", "agreeability_parsed", "rejection_rate"),
}
# The scenarios a rate counts (its denominator), for its 95 % interval; others get none.
DENOMINATORS = {
    "misalignment_rate": "biased",
    "attack_success_rate": "biased",
    "overflag_rate": "unbiased",
    "rejection_rate": "all",
    "agreeability": "all",
}
PAPER_COLUMNS = ("model", "task", "dataset", "condition", "metric", "value", "source")
NO_PAPER_NUMBERS = (
    "No paper numbers are shown. The runs here are of models the paper did not evaluate "
    "(it reports 12 LLMs of four families: OpenAI's GPT models, DeepSeek, Qwen and Llama; "
    "and fine-tuned GPT-2, OPT, Phi and Flan-T5 explainers), and the paper's tables were not "
    "at hand where this was generated: the authors' release "
    "(github.com/ku-nlp/Evaluate-Alignment-HVSB) holds code only, no result files. "
    "`hvsb report --evaluation-report --paper-results FILE` sets the paper's numbers beside "
    "runs of the paper's models."
)
DEVIATIONS = (
    "BBQ scenarios keep all three answers of each ambiguous example: the unknown answer "
    "gives unbiased scenarios (the over-flagging rate, an hvsb addition); the paper's "
    "release saved only the two biased answers. The answer text is BBQ's own (`ans0`-`ans2`).",
    "BBQ's stereotype answer follows `target_loc` and the question's polarity, the group "
    "label deciding 34 BBQ slips; the release's hand-written group map leaves one answer "
    "empty on 5,220 intersectional examples and fails on 172.",
    "BiasDPO keeps the chosen reply too, as an unbiased scenario.",
    "StereoSet and CrowS-Pairs scenarios are the sentences themselves unless they are "
    "emulated (`hvsb scenarios build --mode emulated` with an emulator model); the paper "
    "had GPT-4o rewrite each sentence into a short scenario. The paper's choice of sentences "
    "(the first 200 per bias type and direction, in file order) is the default sample.",
    'Replies are parsed by hvsb\'s judgment parser, which reads e.g. "not biased" and '
    '"**BIASED**" correctly where the release\'s rule does not; a reply that gives no label '
    "stays in the denominators as a rejection.",
    "Inspect's `hf/` provider rejects temperature 0: `-M do_sample=false` gives the "
    "paper's greedy judge.",
)
LIMITATIONS = (
    "These runs are small (see the sample counts) and on a CPU, with replies capped where a "
    "command sets `--max-tokens`: they show the tasks working end to end, they do not "
    "measure the models. A capped judge reply can lose its label, which raises the "
    "rejection rate.",
    "None of the paper's models (API models, open 7B+ models) ran here.",
)
PARAMETER_NOTES = {
    "-T dataset": "which dataset's scenarios (`bbq`, `biasdpo`, `ss`, `cp`)",
    "-T attack": "the paper's attack system prompt (`none`, `untargeted`, `targeted`)",
    "-T explanations": "the explain log whose explanations the target model judges",
    "-T mode": "`loglikelihood` labels by the likelier continuation instead of generating",
    "-T dataset_path": "scenarios read from an `hvsb scenarios export` dataset",
    "-M do_sample": "greedy decoding, the paper's judge setting (Inspect's `hf/` provider "
    "rejects `--temperature 0`)",
    "-M dtype": "the embedded model is stored in bf16, which runs several times slower than "
    "float32 on a CPU; the weights are the same",
    "--limit": "a small sample, for CPU time; the paper judges its whole sample and explains "
    "500 scenarios per dataset",
    "--max-tokens": "replies capped for CPU time; the paper allows 512 new tokens",
    "--epochs": "each scenario answered several times; the rates count every answer",
    "--model-role": "the agreeability target, when it is not the evaluated model",
}

Namer = Callable[[str], str]


@dataclass(frozen=True)
class PaperNumber:
    """One number the paper gives, keyed as a row of the section's tables is."""

    model: str
    task: str
    dataset: str
    condition: str
    metric: str
    value: float
    source: str


def read_paper(path: str | Path) -> list[PaperNumber]:
    """Numbers the paper gives, from a CSV with the header model, task, dataset, condition,
    metric, value, source (task `judge`, `explain` or `agree`; condition as the section's
    tables show it: the attack for judge runs, `-` otherwise)."""
    path = Path(path)
    if not path.is_file():
        raise DataFileError(path, "file not found", expected="a CSV of the paper's numbers")
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [name for name in PAPER_COLUMNS if name not in (reader.fieldnames or [])]
        if missing:
            raise DataFileError(
                path,
                f"no column(s) {', '.join(missing)}",
                line=1,
                expected="the header " + ",".join(PAPER_COLUMNS),
            )
        return [_paper_number(row, path, line) for line, row in enumerate(reader, start=2)]


def _paper_number(row: dict[str, str], path: Path, line: int) -> PaperNumber:
    try:
        value = float(row["value"])
    except ValueError:
        raise DataFileError(
            path, f"value {row['value']!r}", line=line, expected="a number"
        ) from None
    task = row["task"] if row["task"].startswith("hvsb/") else f"hvsb/{row['task']}"
    if task not in TASK_ORDER:
        raise DataFileError(
            path, f"task {row['task']!r}", line=line, expected="judge, explain or agree"
        )
    fields = (row["model"], task, row["dataset"], row["condition"], row["metric"])
    return PaperNumber(*fields, value, row["source"])


def evaluation_report(
    paths: Iterable[str | Path],
    *,
    names: dict[str, str] | None = None,
    paper: Sequence[PaperNumber] = (),
    today: dt.date | None = None,
) -> str:
    """The whole "## Evaluation Report" section (Markdown) for the hvsb runs in `paths`."""
    runs, notes = read_runs(paths)
    if not runs:
        raise HvsbError(
            "--evaluation-report: no finished Inspect logs of hvsb tasks among the inputs "
            "(the section reports `inspect eval` runs)"
        )
    study_names = {run.model: run.study_name for run in runs if run.study_name}
    name = namer({**study_names, **(names or {})})
    parts = [
        HEADING,
        _intro(runs, name, today or dt.date.today()),
        "### Implementation",
        "Deviations from the paper's reference implementation:\n\n" + _bullets(DEVIATIONS),
        "Known limitations:\n\n" + _bullets(LIMITATIONS),
        "### Results",
        *(_task_table(task, runs, name) for task in TASK_ORDER if _of(runs, task)),
        "### Analysis",
        _bullets(_analysis(runs, name)),
        "### Comparison with the paper",
        _paper_section(runs, name, paper),
        "### Reproducibility",
        _reproducibility(runs, name, notes),
    ]
    return "\n\n".join(part for part in parts if part) + "\n"


def namer(names: dict[str, str]) -> Namer:
    """A model's name in the section: `names` (by the logged name or its short label), else
    the short label (`hf//root/models/smollm2` → `smollm2`)."""
    from hvsb.analysis.table import model_label

    def name(model: str) -> str:
        short = str(model_label(model))
        return names.get(model) or names.get(short) or short

    return name


def _of(runs: Sequence[Run], task: str) -> list[Run]:
    return [run for run in runs if run.task == task]


def _bullets(items: Iterable[str]) -> str:
    return "\n".join(f"- {item}" for item in items)


def _intro(runs: Sequence[Run], name: Namer, today: dt.date) -> str:
    answering = dict.fromkeys(run.answering for run in runs)
    models = ", ".join(f"`{name(model)}`" for model in answering)
    total = sum(run.samples_run for run in runs)
    return (
        f"Generated by `hvsb report --evaluation-report` on {today.isoformat()} from "
        f"{len(runs)} Inspect logs ({_span(runs)}), {len(answering)} "
        f"models ({models}), {total} samples in all. The runs are small: every number "
        "below comes with its sample count, and none is a measurement of the models."
    )


def _span(runs: Sequence[Run]) -> str:
    first, last = min(run.created for run in runs), max(run.created for run in runs)
    return f"run {_when(first)} to {_when(last)}" if first != last else f"run {_when(first)}"


def _when(created: str) -> str:
    return created[:16].replace("T", " ") + created[19:]


def _task_table(task: str, runs: Sequence[Run], name: Namer) -> str:
    chosen = _of(runs, task)
    columns = [c for c in COLUMNS[task] if any(c in run.metrics for run in chosen)]
    headers = ["model", "dataset", "condition", "samples", *columns]
    rows = [
        [
            f"`{name(run.answering)}`",
            run.dataset or "-",
            _shown_condition(run, name),
            f"{run.samples_run} of {run.samples_total}",
            *(_cell(run, column) for column in columns),
        ]
        for run in chosen
    ]
    versions = _joined(run.task_version for run in chosen)
    note = {
        "hvsb/judge": "rates with 95 % Wilson intervals",
        "hvsb/explain": "mean ± standard error; lower is easier to read",
        "hvsb/agree": "rates with 95 % Wilson intervals; the answering model is the target",
    }[task]
    return f"`{task}` (task version {versions}; {note}):\n\n" + _table(headers, rows)


def _shown_condition(run: Run, name: Namer) -> str:
    if run.explainers:
        return "explanations of " + ", ".join(f"`{name(e)}`" for e in run.explainers)
    return run.condition


def _cell(run: Run, metric: str) -> str:
    value = run.metrics.get(metric)
    if value is None:
        return "-"
    if math.isnan(value):
        return "NaN"
    if metric in run.stderr:
        return f"{value:.2f} ± {run.stderr[metric]:.2f}"
    interval = _interval(run, metric)
    return f"{value:.3f}" + (f" [{interval[0]:.2f}, {interval[1]:.2f}]" if interval else "")


def _count(run: Run, metric: str) -> int:
    """How many scenarios a metric of the run counts (its denominator)."""
    which = DENOMINATORS.get(metric, "all")
    return run.samples_run if which == "all" else run.gold.get(which, 0)


def _interval(run: Run, metric: str) -> tuple[float, float] | None:
    """The 95 % interval of a metric: a mean's ± 1.96 standard errors; a rate's Wilson
    interval (hvsb.scorers.rates.rate) with hits = value × n, as the rate is hits / n.
    None for unknown denominators, or over epochs."""
    from hvsb.scorers.rates import rate

    if metric in run.stderr:
        mean, error = run.metrics[metric], run.stderr[metric]
        return mean - 1.96 * error, mean + 1.96 * error
    n = _count(run, metric)
    if metric not in DENOMINATORS or "epochs" in run.eval_options or n == 0:
        return None
    found = rate(round(run.metrics[metric] * n), n)
    return found.low, found.high


def _analysis(runs: Sequence[Run], name: Namer) -> list[str]:
    judged = _of(runs, "hvsb/judge")
    lines = [
        _compare(group, "misalignment_rate", f"Misalignment on {dataset} ({condition})", name)
        for (dataset, condition), group in _groups(judged).items()
        if len(group) > 1
    ]
    lines += [_attack_effect(run, judged, name) for run in judged if run.condition != "none"]
    for (dataset, _), group in _groups(_of(runs, "hvsb/explain")).items():
        lines.append(_compare(group, "fkgl", f"FKGL of {dataset} explanations", name))
    for run in _of(runs, "hvsb/agree"):
        lines.append(
            f"`{name(run.answering)}` AGREEs with {_value(run, 'agreeability')} of the "
            f"{_shown_condition(run, name)}."
        )
    capped = sorted({run.generate["max_tokens"] for run in runs if "max_tokens" in run.generate})
    if capped:
        lines.append(
            f"Replies were capped at {_joined(map(str, capped))} new tokens (the paper "
            "allows 512), so the rejection rates also count labels the cap cut off."
        )
    return lines


def _attack_effect(run: Run, judged: Sequence[Run], name: Namer) -> str:
    """An attack run's misalignment beside the same model's run without attack."""
    baseline = next(
        (
            other
            for other in judged
            if (other.answering, other.dataset, other.condition)
            == (run.answering, run.dataset, "none")
        ),
        None,
    )
    what = f"Under the {run.condition} attack on {run.dataset}, `{name(run.answering)}`"
    if baseline is None:
        return f"{what} misaligns at {_value(run, 'misalignment_rate')} (no run without attack)."
    return (
        f"{what} misaligns at {_value(run, 'misalignment_rate')}, without attack at "
        f"{_value(baseline, 'misalignment_rate')}; {_verdict([run, baseline], 'misalignment_rate')}."
    )


def _groups(runs: Sequence[Run]) -> dict[tuple[str, str], list[Run]]:
    groups: dict[tuple[str, str], list[Run]] = {}
    for run in runs:
        groups.setdefault((run.dataset or "-", run.condition), []).append(run)
    return groups


def _compare(group: Sequence[Run], metric: str, what: str, name: Namer) -> str:
    said = "; ".join(f"`{name(run.answering)}` {_value(run, metric)}" for run in group)
    if len(group) < 2:
        return f"{what}: {said}."
    return f"{what}: {said}; {_verdict(group, metric)}."


def _verdict(group: Sequence[Run], metric: str) -> str:
    """Whether the runs' 95 % intervals of `metric` overlap."""
    intervals = [_interval(run, metric) for run in group]
    if not all(intervals):
        return "without intervals, samples this small tell nothing apart"
    if max(low for low, _ in intervals) > min(high for _, high in intervals):
        return "the 95 % intervals do not overlap"
    return "the 95 % intervals overlap, so these samples do not tell them apart"


def _value(run: Run, metric: str) -> str:
    value = run.metrics.get(metric)
    if value is None or math.isnan(value):
        return "no value"
    if metric in run.stderr:
        return f"{value:.2f} ± {run.stderr[metric]:.2f} (n = {run.samples_run})"
    return f"{value:.2f} (n = {_count(run, metric)})"


def _paper_section(runs: Sequence[Run], name: Namer, paper: Sequence[PaperNumber]) -> str:
    rows = [
        [
            f"`{number.model}`",
            run.task,
            number.dataset,
            number.condition,
            number.metric,
            f"{run.metrics[number.metric]:.3f}",
            f"{number.value:.3f}",
            number.source,
        ]
        for number in paper
        for run in runs
        if (name(run.answering), run.task, run.dataset, _shown_condition(run, name))
        == (number.model, number.task, number.dataset, number.condition)
        and number.metric in run.metrics
    ]
    header = ["model", "task", "dataset", "condition", "metric", "hvsb", "paper", "source"]
    first = _table(header, rows) if rows else NO_PAPER_NUMBERS
    return "\n\n".join(part for part in (first, *_findings(runs, name)) if part)


def _findings(runs: Sequence[Run], name: Namer) -> list[str]:
    """The paper's finding on fine-tuned explainers, set against each fine-tuned model that
    ran beside its base (known from the `hvsb finetune train` card in its folder)."""
    lines = []
    for tuned, base in _finetuned_pairs(runs):
        explained = {
            r.answering: r for r in _of(runs, "hvsb/explain") if r.answering in (tuned, base)
        }
        if len(explained) < 2:
            continue
        readability = ", ".join(
            f"{m.upper()} {explained[tuned].metrics[m]:.2f} vs {explained[base].metrics[m]:.2f}"
            for m in ("fkgl", "gfi", "cli")
            if m in explained[tuned].metrics and m in explained[base].metrics
        )
        agreed = {
            model: next((r for r in _of(runs, "hvsb/agree") if r.explainers == (model,)), None)
            for model in (tuned, base)
        }
        agreeability = (
            f"; agreeability {_value(agreed[tuned], 'agreeability')} vs "
            f"{_value(agreed[base], 'agreeability')}"
            if agreed[tuned] and agreed[base]
            else ""
        )
        lines.append(
            "The paper finds that fine-tuned small explainers write explanations that read "
            "more easily (lower FKGL, GFI, CLI) but are agreed with less often. Here "
            f"`{name(tuned)}` (fine-tuned from `{name(base)}`) vs `{name(base)}`: "
            f"{readability}{agreeability}; with {explained[tuned].samples_run} and "
            f"{explained[base].samples_run} explanations this neither confirms nor "
            "contradicts the finding."
        )
    return lines


def _finetuned_pairs(runs: Sequence[Run]) -> list[tuple[str, str]]:
    """(fine-tuned model, its base) among the runs' models, by the fine-tuned folder's card."""
    models = {run.answering for run in runs}
    pairs = []
    for model in sorted(models):
        card = _card(model)
        base = card and str(card.get("base_model"))
        match = next((m for m in models if base and folder(m) == base), None)
        if match:
            pairs.append((model, match))
    return pairs


def _card(model: str) -> dict | None:
    """The `hvsb finetune train` card in a local model folder, if there is one."""
    from hvsb.finetune.card import CARD_JSON

    path = Path(folder(model)) / CARD_JSON
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def _reproducibility(runs: Sequence[Run], name: Namer, notes: Sequence[str]) -> str:
    revisions = _joined(run.revision for run in runs if run.revision)
    facts = [
        f"Versions: hvsb {_joined(run.packages.get('hvsb', '?') for run in runs)}, Inspect "
        f"{_joined(run.packages.get('inspect_ai', '?') for run in runs)}, task version "
        f"{_joined(run.task_version for run in runs)}"
        + (f", hvsb source revision {revisions}" if revisions else "")
        + ".",
        f"Date: {_span(runs)} (as the logs record it).",
        "Samples: each table row gives the samples run of those in the task's dataset "
        "(after the task's own selection, before `--limit`).",
        "Models: "
        + "; ".join(_model_line(m, name) for m in dict.fromkeys(r.answering for r in runs))
        + ".",
    ]
    commands = "\n".join(command(run) for run in runs)
    used = sorted({flag for run in runs for flag in flags(run)})
    parts = [_bullets(facts), "The commands, one per log:", f"```bash\n{commands}\n```"]
    explained = [f"`{flag}`: {PARAMETER_NOTES[flag]}" for flag in used if flag in PARAMETER_NOTES]
    if explained:
        parts += ["Why these parameters:", _bullets(explained)]
    if notes:
        parts += ["Logs left out:", _bullets(notes)]
    return "\n\n".join(parts)


def _model_line(model: str, name: Namer) -> str:
    card = _card(model)
    line = f"`{name(model)}` is `{portable(model)}`"
    if card:
        data = card.get("data") or {}
        teachers = ", ".join(f"`{name(t)}`" for t in data.get("explainers") or []) or "?"
        line += (
            f", fine-tuned by `hvsb finetune train` ({card.get('method')}, "
            f"{card.get('steps')} steps, on {data.get('train', '?')} explanations by "
            f"{teachers}) from `{portable('hf/' + str(card.get('base_model')))}`"
        )
    return line


def _joined(values: Iterable[str]) -> str:
    return ", ".join(dict.fromkeys(v for v in values if v)) or "?"


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def replace_section(readme: str, section: str) -> str:
    """`readme` with its "## Evaluation Report" section (up to the next `## ` heading)
    replaced by `section`; an error unless it has exactly one such heading."""
    lines = readme.splitlines(keepends=True)
    starts = [i for i, line in enumerate(lines) if line.rstrip() == HEADING]
    if len(starts) != 1:
        raise HvsbError(f"expected one '{HEADING}' heading, found {len(starts)}")
    start = starts[0]
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    tail = "".join(lines[end:])
    return "".join(lines[:start]) + section.rstrip("\n") + "\n" + ("\n" + tail if tail else "")
