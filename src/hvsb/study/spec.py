"""The study file: which models, datasets, attack conditions and sample sizes.

A study is plain YAML. With no file, hvsb runs DEFAULT_STUDY, a small sample on the
embedded model; in a file, every key left out takes the paper's setting (PROTOCOL §3-5:
512 new tokens, all scenarios, 500 explanations per dataset). Unknown keys and wrong types are errors that name
the file and the key, because a typo in a study silently changing the experiment is worse
than a crash.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import yaml

from hvsb.errors import DataFileError
from hvsb.prompts import ATTACKS
from hvsb.scenarios.record import DATASETS
from hvsb.scenarios.select import SAMPLES
from hvsb.scorers import DEFAULT_PARSER, PARSERS

EMBEDDED_PREFIX = "embedded/"


@dataclass(frozen=True)
class ModelSpec:
    """One model: `name` labels it in tables; `model` is an Inspect model name
    (hf/PATH, vllm/NAME, openai-api/SERVICE/NAME, ...) or embedded/smollm2."""

    name: str
    model: str
    family: str | None = None
    base_url: str | None = None
    args: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class StepSpec:
    """Sample sizes and decoding limits of one step."""

    limit: int | None = None
    per_cell: int | None = None
    max_tokens: int = 512
    enabled: bool = True


@dataclass(frozen=True)
class Study:
    name: str = "default"
    output_dir: str = "hvsb-out/default"
    sample: str = "paper"
    parser: str = DEFAULT_PARSER  # how judge replies are read (hvsb.scorers.PARSERS)
    seed: int = 0
    data_dir: str | None = None
    models: tuple[ModelSpec, ...] = (
        ModelSpec(name="smollm2", model="embedded/smollm2", family="smollm2"),
    )
    datasets: tuple[str, ...] = DATASETS
    attacks: tuple[str, ...] = ATTACKS
    judge: StepSpec = StepSpec()
    explain: StepSpec = StepSpec(limit=500)
    agree: StepSpec = StepSpec()


# With no study file: a small sample on the embedded model that finishes in minutes on a
# 2-core CPU. Short replies are an explicit trade-off of this demo study (a verdict after
# 48 tokens counts as rejected); a study file's steps default to the paper's settings.
DEFAULT_STUDY = Study(
    judge=StepSpec(limit=4, max_tokens=48),
    explain=StepSpec(limit=2, max_tokens=96),
    agree=StepSpec(max_tokens=128),
)


def _check_keys(raw: dict[str, Any], allowed: set[str], where: str, path: Path) -> None:
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise DataFileError(
            path,
            f"unknown key(s) {', '.join(unknown)} in {where}",
            expected=", ".join(sorted(allowed)),
        )


def _typed(value: Any, kind: type | tuple[type, ...], key: str, path: Path) -> Any:
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is int):
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise DataFileError(path, f"{key} is {value!r}", expected=names)
    return value


def _step(raw: Any, default: StepSpec, key: str, path: Path) -> StepSpec:
    if raw is None:
        return default
    _typed(raw, dict, key, path)
    _check_keys(raw, {f.name for f in fields(StepSpec)}, key, path)
    values = {f.name: getattr(default, f.name) for f in fields(StepSpec)}
    for name, value in raw.items():
        kind = bool if name == "enabled" else (int, type(None))
        values[name] = _typed(value, kind, f"{key}.{name}", path)
    return StepSpec(**values)


def _models(raw: Any, path: Path) -> tuple[ModelSpec, ...]:
    _typed(raw, list, "models", path)
    if not raw:
        raise DataFileError(path, "models is empty", expected="at least one model")
    specs = []
    for index, item in enumerate(raw):
        key = f"models[{index}]"
        _typed(item, dict, key, path)
        _check_keys(item, {f.name for f in fields(ModelSpec)}, key, path)
        if "model" not in item:
            raise DataFileError(path, f"{key} has no 'model'", expected="an Inspect model name")
        model = _typed(item["model"], str, f"{key}.model", path)
        specs.append(
            ModelSpec(
                name=_typed(item.get("name", model.split("/")[-1]), str, f"{key}.name", path),
                model=model,
                family=item.get("family"),
                base_url=item.get("base_url"),
                args=_typed(item.get("args", {}), dict, f"{key}.args", path),
            )
        )
    names = [spec.name for spec in specs]
    if len(set(names)) != len(names):
        raise DataFileError(path, f"model names repeat: {names}", expected="unique names")
    return tuple(specs)


def _choices(raw: Any, allowed: tuple[str, ...], key: str, path: Path) -> tuple[str, ...]:
    _typed(raw, list, key, path)
    bad = [item for item in raw if item not in allowed]
    if bad or not raw:
        raise DataFileError(path, f"{key} has {bad or 'nothing'}", expected=f"some of {allowed}")
    return tuple(raw)


def _choice(raw: Any, allowed: tuple[str, ...], key: str, path: Path) -> str:
    if raw not in allowed:
        raise DataFileError(path, f"{key} is {raw!r}", expected=f"one of {', '.join(allowed)}")
    return raw


def load_study(path: str | Path | None) -> Study:
    """The study in `path`, or the default study when `path` is None."""
    if path is None:
        return DEFAULT_STUDY
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise DataFileError(path, "study file not found") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        raise DataFileError(
            path, f"invalid YAML ({error})", line=mark.line + 1 if mark else None
        ) from None
    _typed(raw, dict, "the study", path)
    _check_keys(raw, {f.name for f in fields(Study)}, "the study", path)
    default = Study()
    return Study(
        name=_typed(raw.get("name", default.name), str, "name", path),
        output_dir=_typed(
            raw.get("output_dir", f"hvsb-out/{raw.get('name', 'study')}"), str, "output_dir", path
        ),
        sample=_choice(raw.get("sample", default.sample), SAMPLES, "sample", path),
        parser=_choice(raw.get("parser", default.parser), tuple(PARSERS), "parser", path),
        seed=_typed(raw.get("seed", default.seed), int, "seed", path),
        data_dir=_typed(raw.get("data_dir"), (str, type(None)), "data_dir", path),
        models=_models(raw["models"], path) if "models" in raw else default.models,
        datasets=_choices(raw["datasets"], DATASETS, "datasets", path)
        if "datasets" in raw
        else default.datasets,
        attacks=_choices(raw["attacks"], ATTACKS, "attacks", path)
        if "attacks" in raw
        else default.attacks,
        judge=_step(raw.get("judge"), default.judge, "judge", path),
        explain=_step(raw.get("explain"), default.explain, "explain", path),
        agree=_step(raw.get("agree"), default.agree, "agree", path),
    )
