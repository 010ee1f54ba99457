"""The report's figures, drawn with matplotlib's object API onto Agg canvases as PNG.

No pyplot: figures are plain `matplotlib.figure.Figure` objects, so drawing needs no
display and never touches a user's interactive backend. Each function writes one PNG and
returns its path, or None when there is nothing to draw.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

DPI = 100
_BBQ_CELLS = (
    ("neg", "stereotype", "misalignment"),
    ("neg", "nonstereotype", "misalignment"),
    ("nonneg", "stereotype", "misalignment"),
    ("nonneg", "nonstereotype", "misalignment"),
    ("neg", "unknown", "overflag"),
    ("nonneg", "unknown", "overflag"),
)


def _save(figure: Figure, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=DPI, bbox_inches="tight")
    return path


def _errors(frame: pd.DataFrame, prefix: str) -> np.ndarray:
    """Asymmetric error bar lengths from prefix_low / prefix_high (0 where unknown).

    Clipped at 0: at a rate of 0 or 1 the interval's bound can sit a rounding error on
    the wrong side of the rate, and matplotlib refuses negative lengths.
    """
    value = frame[prefix].to_numpy(dtype=float)
    low = np.nan_to_num(value - frame[f"{prefix}_low"].to_numpy(dtype=float))
    high = np.nan_to_num(frame[f"{prefix}_high"].to_numpy(dtype=float) - value)
    return np.clip(np.vstack([low, high]), 0.0, None)


def _series(frame: pd.DataFrame, groups: pd.Series, prefix: str) -> pd.DataFrame:
    """One bar series: the rate `prefix` and its interval, indexed by bar group."""
    return pd.DataFrame(
        {
            "rate": frame[prefix].to_numpy(dtype=float),
            "rate_low": frame[f"{prefix}_low"].to_numpy(dtype=float),
            "rate_high": frame[f"{prefix}_high"].to_numpy(dtype=float),
        },
        index=groups.astype(str).to_numpy(),
    )


def _grouped_bars(ax, groups: Sequence[str], series: dict[str, pd.DataFrame]) -> None:
    """Bars per group (x) and series (colour), with confidence intervals as error bars."""
    width = 0.8 / max(len(series), 1)
    x = np.arange(len(groups))
    for index, (name, frame) in enumerate(series.items()):
        frame = frame.reindex(groups)
        ax.bar(
            x + (index - (len(series) - 1) / 2) * width,
            frame["rate"].to_numpy(dtype=float),
            width,
            yerr=_errors(frame, "rate"),
            capsize=3,
            label=name,
        )
    ax.set_xticks(x, groups, rotation=30, ha="right")
    ax.set_ylim(0, 1)


def rates(frame: pd.DataFrame, path: Path) -> Path | None:
    """Misalignment and rejection over biased scenarios, over-flagging and rejection over
    unbiased ones, by dataset (x) and model (colour)."""
    if frame.empty:
        return None
    groups = sorted(frame["dataset"].astype(str).unique())
    figure = Figure(figsize=(15, 4), layout="constrained")
    axes = figure.subplots(1, 4, sharey=True)
    for ax, prefix, title in zip(
        axes,
        ("misalignment", "rejection_biased", "overflag", "rejection_unbiased"),
        (
            "Misalignment (biased scenarios)",
            "Rejection (biased scenarios)",
            "Over-flagging (unbiased scenarios)",
            "Rejection (unbiased scenarios)",
        ),
        strict=True,
    ):
        series = {
            str(model): _series(group, group["dataset"], prefix)
            for model, group in frame.groupby("model", observed=True, sort=True)
        }
        _grouped_bars(ax, groups, series)
        ax.set_title(title)
    axes[0].set_ylabel("share of scenarios (95 % CI)")
    axes[-1].legend(title="model", fontsize="small")
    return _save(figure, path)


def bbq(frame: pd.DataFrame, path: Path) -> Path | None:
    """One heatmap: rows model · category, columns polarity × answer type, the error rate
    (misalignment for the stereotype / non-stereotype answers, over-flagging for unknown)."""
    if frame.empty:
        return None
    columns = [f"{polarity}\n{answer}" for polarity, answer, _ in _BBQ_CELLS]
    cells = pd.DataFrame(
        {
            "model": frame["model"].astype(str),
            "row": frame["model"].astype(str) + " · " + frame["category"].astype(str),
            "column": frame["polarity"].astype(str) + "\n" + frame["answer_type"].astype(str),
            "value": frame["misalignment"].where(
                frame["answer_type"] != "unknown", frame["overflag"]
            ),
        }
    )
    grid = cells.pivot_table(index="row", columns="column", values="value", aggfunc="first")
    grid = grid.reindex(columns=columns)
    rows = list(grid.index)
    figure = Figure(figsize=(8, 0.28 * len(rows) + 2), layout="constrained")
    ax = figure.subplots()
    image = ax.imshow(grid.to_numpy(dtype=float), vmin=0, vmax=1, cmap="Reds", aspect="auto")
    ax.set_yticks(range(len(rows)), rows, fontsize="small")
    ax.set_xticks(
        range(len(columns)),
        [f"{c}\n({kind})" for c, (_, _, kind) in zip(columns, _BBQ_CELLS, strict=True)],
        fontsize="x-small",
    )
    models = [row.split(" · ", 1)[0] for row in rows]
    for index in range(1, len(rows)):
        if models[index] != models[index - 1]:
            ax.axhline(index - 0.5, color="black", linewidth=1.5)
    ax.set_title("BBQ error rate by model · category (no attack)")
    _annotate(ax, image, grid.to_numpy(dtype=float))
    figure.colorbar(image, ax=ax, label="misalignment / over-flagging rate")
    return _save(figure, path)


def attacks(frame: pd.DataFrame, path: Path) -> Path | None:
    """No-attack vs attacked misalignment on the same scenarios, per model and dataset."""
    if frame.empty:
        return None
    label = frame["model"].astype(str) + "\n" + frame["dataset"].astype(str)
    groups = sorted(label.unique())
    first = ~label.duplicated()
    series = {"no attack": _series(frame[first], label[first], "no_attack")}
    present = set(frame["attack"].astype(str))
    for attack in [a for a in ("untargeted", "targeted") if a in present]:
        chosen = frame["attack"].astype(str) == attack
        series[attack] = _series(frame[chosen], label[chosen], "asr")
    figure = Figure(figsize=(max(6, 1.2 * len(groups) + 3), 4), layout="constrained")
    ax = figure.subplots()
    _grouped_bars(ax, groups, series)
    ax.set_ylabel("misalignment on biased scenarios (95 % CI)")
    ax.set_title("Attack success rate beside the no-attack rate (paired scenarios)")
    ax.legend(fontsize="small")
    return _save(figure, path)


def contrasts(panels: dict[str, tuple[pd.DataFrame, str, str]], path: Path) -> Path | None:
    """One panel per contrast (title → frame, first level, second level), per model."""
    panels = {title: spec for title, spec in panels.items() if not spec[0].empty}
    if not panels:
        return None
    figure = Figure(figsize=(6 * len(panels), 4), layout="constrained")
    axes = figure.subplots(1, len(panels), squeeze=False)[0]
    for ax, (title, (frame, first, second)) in zip(axes, panels.items(), strict=True):
        models = frame["model"].astype(str)
        series = {level: _series(frame, models, level) for level in (first, second)}
        _grouped_bars(ax, list(models), series)
        ax.set_title(title)
        ax.set_ylabel("misalignment (95 % CI)")
        ax.legend(fontsize="small")
    return _save(figure, path)


def heatmap(
    values: pd.DataFrame,
    path: Path,
    *,
    title: str,
    label: str,
    notes: pd.DataFrame | None = None,
    vmin: float = 0.0,
    xlabel: str = "",
    ylabel: str = "",
    outline_diagonal: bool = False,
) -> Path | None:
    """A labelled heatmap of a square (or rectangular) table, values written in the cells."""
    if values.empty or values.shape[1] == 0:
        return None
    grid = values.to_numpy(dtype=float)
    size = max(4.0, 0.9 * max(grid.shape) + 2.5)
    figure = Figure(figsize=(size + 1, size), layout="constrained")
    ax = figure.subplots()
    image = ax.imshow(grid, vmin=vmin, vmax=1, cmap="viridis")
    ax.set_xticks(range(grid.shape[1]), [str(c) for c in values.columns], rotation=40, ha="right")
    ax.set_yticks(range(grid.shape[0]), [str(i) for i in values.index])
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    extra = None if notes is None else notes.reindex_like(values).to_numpy(dtype=float)
    _annotate(ax, image, grid, extra)
    if outline_diagonal:
        for row, name in enumerate(values.index):
            if name in values.columns:
                column = list(values.columns).index(name)
                ax.add_patch(_box(column, row))
    figure.colorbar(image, ax=ax, label=label)
    return _save(figure, path)


def _box(column: int, row: int):
    from matplotlib.patches import Rectangle

    return Rectangle((column - 0.5, row - 0.5), 1, 1, fill=False, edgecolor="red", linewidth=2)


def _annotate(ax, image, grid: np.ndarray, extra: np.ndarray | None = None) -> None:
    """Write each cell's value (and `extra` as a percentage) in a colour readable on it."""
    for (row, column), value in np.ndenumerate(grid):
        if math.isnan(value):
            continue
        text = f"{value:.2f}"
        if extra is not None and not math.isnan(extra[row, column]):
            text += f"\n({extra[row, column]:.0%})"
        red, green, blue, _ = image.cmap(image.norm(value))
        dark = 0.299 * red + 0.587 * green + 0.114 * blue < 0.5
        ax.text(
            column,
            row,
            text,
            ha="center",
            va="center",
            fontsize="x-small",
            color="white" if dark else "black",
        )


def readability(frame: pd.DataFrame, path: Path) -> Path | None:
    """Each explainer's mean FKGL / GFI / CLI against its agreeability (all targets)."""
    frame = frame.dropna(subset=["agreeability"])
    if frame.empty:
        return None
    figure = Figure(figsize=(13, 4), layout="constrained")
    axes = figure.subplots(1, 3, sharey=True)
    for ax, (metric, name) in zip(
        axes, (("fkgl", "FKGL"), ("gfi", "Gunning fog"), ("cli", "Coleman-Liau")), strict=True
    ):
        ax.errorbar(
            frame[metric],
            frame["agreeability"],
            xerr=_errors(frame, metric),
            yerr=_errors(frame, "agreeability"),
            fmt="o",
            capsize=3,
        )
        for row in frame.itertuples(index=False):
            value = getattr(row, metric)
            if not math.isnan(value):
                ax.annotate(
                    str(row.explainer),
                    (value, row.agreeability),
                    fontsize="small",
                    xytext=(4, 4),
                    textcoords="offset points",
                )
        ax.set_xlabel(f"mean {name} (lower = easier)")
        ax.set_ylim(0, 1)
    axes[0].set_ylabel("agreeability (95 % CI)")
    figure.suptitle("Readability of explanations beside their agreeability, per explainer")
    return _save(figure, path)


def scale(frame: pd.DataFrame, path: Path) -> Path | None:
    """Each rate against model size (log scale): one panel per measure, one series per
    dataset, points labelled with the model (`findings.scale_rates`)."""
    frame = frame.dropna(subset=["rate", "params_b"])
    if frame.empty:
        return None
    measures = list(dict.fromkeys(frame["measure"]))
    figure = Figure(figsize=(4.5 * len(measures) + 1, 4), layout="constrained")
    axes = figure.subplots(1, len(measures), sharey=True, squeeze=False)[0]
    for ax, measure in zip(axes, measures, strict=True):
        shown = frame[frame["measure"] == measure]
        for dataset, group in shown.groupby("dataset", sort=True):
            group = group.sort_values("params_b")
            ax.errorbar(
                group["params_b"],
                group["rate"],
                yerr=_errors(group, "rate"),
                fmt="o-",
                capsize=3,
                label=str(dataset),
            )
            for row in group.itertuples(index=False):
                ax.annotate(
                    str(row.model),
                    (row.params_b, row.rate),
                    fontsize="x-small",
                    xytext=(3, 3),
                    textcoords="offset points",
                )
        ax.set_xscale("log")
        ax.set_xlabel("model size (billions of parameters, log scale)")
        ax.set_title(measure)
        ax.set_ylim(0, 1)
    axes[0].set_ylabel("rate on biased scenarios (95 % CI)")
    axes[-1].legend(title="dataset", fontsize="small")
    figure.suptitle("Misalignment and attack success against model size")
    return _save(figure, path)
