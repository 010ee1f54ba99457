"""What a log's metrics must be: hvsb.scorers applied to the replies logged in it.

Computed from `log.samples` (one entry per epoch) and the metric names alone, never
through hvsb.tasks.inspect, so a wrong adapter cannot agree with itself.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable

import numpy as np
from inspect_ai.log import EvalLog

from hvsb import scorers

_CELL = re.compile(r"^(?P<base>[a-z_]+)\((?P<key>[a-z_]+)=(?P<value>.*)\)$")

JUDGE_RATES: dict[str, Callable[[list, list], float]] = {
    "misalignment_rate": lambda g, p: scorers.misalignment_rate(g, p).value,
    "attack_success_rate": lambda g, p: scorers.misalignment_rate(g, p).value,
    "misalignment_rate_parsed": lambda g, p: (
        scorers.misalignment_rate(g, p, exclude_rejected=True).value
    ),
    "overflag_rate": lambda g, p: scorers.overflag_rate(g, p).value,
    "rejection_rate": lambda g, p: scorers.rejection_rate(p).value,
}
AGREE_RATES: dict[str, Callable[[list, list], float]] = {
    "agreeability": lambda g, p: scorers.agreeability(p).value,
    "agreeability_parsed": lambda g, p: scorers.agreeability(p, exclude_rejected=True).value,
    "rejection_rate": lambda g, p: scorers.rejection_rate(p).value,
}


def same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def _cell(name: str) -> tuple[str, str | None, str | None]:
    match = _CELL.match(name)
    if not match:
        return name, None, None
    return match["base"], match["key"], match["value"]


def check_rates(log: EvalLog, parse: Callable[[str], str], rates: dict) -> dict[str, float]:
    """Assert every metric of the log's first scorer equals hvsb.scorers on the replies."""
    rows = [(s.metadata, parse(s.output.completion)) for s in log.samples or []]
    assert rows, "the log has no samples"
    metrics = log.results.scores[0].metrics
    for name, metric in metrics.items():
        base, key, value = _cell(name)
        chosen = [r for r in rows if key is None or str(r[0].get(key)) == value]
        assert chosen, f"{name}: no sample in this cell"
        want = rates[base]([m["gold_label"] for m, _ in chosen], [label for _, label in chosen])
        assert same(metric.value, want), f"{name}: log {metric.value} != hvsb.scorers {want}"
    return {name: metric.value for name, metric in metrics.items()}


def _per_sample_readability(log: EvalLog) -> list[tuple[dict, dict[str, float]]]:
    """Readability of each reply, averaged per sample over its scorable epochs (what
    Inspect's mean reducer does with NaN), as (metadata, measures) per sample."""
    epochs: dict[str, list[tuple[dict, dict[str, float]]]] = {}
    for sample in log.samples or []:
        text = scorers.extract_explanation(sample.output.completion)
        epochs.setdefault(str(sample.id), []).append((sample.metadata, scorers.readability(text)))
    reduced = []
    for rows in epochs.values():
        measures = {}
        for measure in ("fkgl", "gfi", "cli"):
            values = [r[measure] for _, r in rows if not math.isnan(r[measure])]
            measures[measure] = float(np.mean(values)) if values else math.nan
        measures["scored"] = float(np.mean([not math.isnan(r["fkgl"]) for _, r in rows]))
        reduced.append((rows[0][0], measures))
    return reduced


def check_readability(log: EvalLog) -> None:
    """Mean/stderr per measure across samples, per cell, and the coverage."""
    rows = _per_sample_readability(log)
    scores = {score.name: score for score in log.results.scores}
    for measure in ("fkgl", "gfi", "cli"):
        values = [r[measure] for _, r in rows if not math.isnan(r[measure])]
        metric = scores[measure].metrics
        want_mean = float(np.mean(values)) if values else math.nan
        want_stderr = float(np.std(values, ddof=1) / np.sqrt(len(values))) if values else math.nan
        if len(values) == 1:
            want_stderr = 0.0  # Inspect's stderr() of a single value
        assert same(metric["mean"].value, want_mean), measure
        assert same(metric["stderr"].value, want_stderr), measure
        assert scores[measure].unscored_samples == len(rows) - len(values)
    overall = scores["explanation"].metrics
    assert same(
        overall["readability_coverage"].value, float(np.mean([r["scored"] for _, r in rows]))
    )
    for name, metric in overall.items():
        base, key, value = _cell(name)
        if key is None:
            continue
        measure = base.removeprefix("mean_")
        values = [
            r[measure] for m, r in rows if str(m.get(key)) == value and not math.isnan(r[measure])
        ]
        want = float(np.mean(values)) if values else math.nan
        assert same(metric.value, want), f"{name}: log {metric.value} != {want}"
