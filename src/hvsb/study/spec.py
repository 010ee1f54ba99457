"""The study file: which models, datasets, attack conditions and sample sizes.

A study is plain YAML. With no file, hvsb runs DEFAULT_STUDY, a small sample on the
embedded model; in a file, every key left out takes the paper's setting (PROTOCOL §3-5:
512 new tokens, all scenarios, 500 explanations per dataset). Every value is checked
before anything runs — unknown or repeated keys, wrong types, counts below 1, model names
that are not safe folder names — with the file, the line where known and the key in the
message, because a typo in a study silently changing the experiment is worse than a crash.
"""

from __future__ import annotations

import re
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
# A model name becomes a folder of the study's logs: one safe path component.
_SAFE_NAME = re.compile(r"^(?!\.{1,2}$)[A-Za-z0-9][A-Za-z0-9._-]*$")


@dataclass(frozen=True)
class ModelSpec:
    """One model: `name` labels it in tables; `model` is an Inspect model name
    (hf/PATH, vllm/NAME, openai-api/SERVICE/NAME, ...) or embedded/smollm2; `family` and
    `params_b` (size in billions of parameters) feed the report's family and scale
    findings."""

    name: str
    model: str
    family: str | None = None
    params_b: float | None = None
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
class RetrySpec:
    """What a failing model request or sample gets before the study reports it failed.

    `max_retries`, `timeout` and `attempt_timeout` govern one request (Inspect's
    GenerateConfig: retries with backoff, seconds in all, seconds per attempt);
    `sample_attempts` re-runs an errored sample at once (Inspect's retry_on_error);
    `step_attempts` re-runs a step whose samples errored, keeping finished samples
    (eval_set's retry_attempts). A rerun of `hvsb run` does the same again.
    """

    max_retries: int = 5
    timeout: int | None = None
    attempt_timeout: int | None = None
    sample_attempts: int = 1
    step_attempts: int = 1


@dataclass(frozen=True)
class EmulateSpec:
    """The paper's SS/CP scenario emulation (PROTOCOL §2), run before judging: `model`
    (an Inspect model name) writes a scenario for each sentence of the paper's sample."""

    model: str | None = None
    base_url: str | None = None
    args: dict[str, Any] = field(default_factory=dict)
    max_tokens: int = 2000
    retries: int = 2
    concurrency: int = 8
    json_schema: bool = True

    @property
    def enabled(self) -> bool:
        return self.model is not None


@dataclass(frozen=True)
class Study:
    name: str = "default"
    output_dir: str = "hvsb-out/default"
    sample: str = "paper"
    parser: str = DEFAULT_PARSER  # how judge replies are read (hvsb.scorers.PARSERS)
    seed: int = 0
    data_dir: str | None = None
    allow_modified_data: bool = False
    allow_partial_data: bool = False
    models: tuple[ModelSpec, ...] = (
        ModelSpec(name="smollm2", model="embedded/smollm2", family="smollm2", params_b=0.135),
    )
    datasets: tuple[str, ...] = DATASETS
    attacks: tuple[str, ...] = ATTACKS
    emulate: EmulateSpec = EmulateSpec()
    judge: StepSpec = StepSpec()
    explain: StepSpec = StepSpec(limit=500)
    agree: StepSpec = StepSpec()
    retry: RetrySpec = RetrySpec()


# With no study file: a small sample on the embedded model that finishes in minutes on a
# 2-core CPU. Short replies are an explicit trade-off of this demo study (a verdict after
# 48 tokens counts as rejected); a study file's steps default to the paper's settings.
DEFAULT_STUDY = Study(
    judge=StepSpec(limit=4, max_tokens=48),
    explain=StepSpec(limit=2, max_tokens=96),
    agree=StepSpec(max_tokens=128),
)


class _Loader(yaml.SafeLoader):
    """YAML that refuses a key given twice in one mapping (PyYAML keeps the last)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            line = key_node.start_mark.line + 1
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"key {key!r} repeats the one on line {seen[key]}",
                    key_node.start_mark,
                )
            seen[key] = line
        return super().construct_mapping(node, deep=deep)


class _Checker:
    """Checks the values of one study file; each error names the file and the key."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, key: str, value: Any, expected: str) -> DataFileError:
        return DataFileError(self.path, f"{key} is {value!r:.80}", expected=expected)

    def keys(self, raw: dict[str, Any], allowed: set[str], where: str) -> None:
        unknown = sorted(set(raw) - allowed)
        if unknown:
            raise DataFileError(
                self.path,
                f"unknown key(s) {', '.join(map(str, unknown))} in {where}",
                expected=", ".join(sorted(allowed)),
            )

    def typed(self, value: Any, kind: type | tuple[type, ...], key: str) -> Any:
        kinds = kind if isinstance(kind, tuple) else (kind,)
        if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
            names = " or ".join("null" if k is type(None) else k.__name__ for k in kinds)
            raise self.fail(key, value, names)
        return value

    def count(self, value: Any, key: str, *, optional: bool = False, least: int = 1) -> Any:
        """A whole number of at least `least` (or null when `optional`)."""
        if value is None and optional:
            return None
        self.typed(value, int, key)
        if value < least:
            raise self.fail(key, value, f"a whole number of at least {least}")
        return value

    def text(self, value: Any, key: str, *, optional: bool = True) -> str | None:
        if value is None and optional:
            return None
        if not isinstance(value, str) or not value.strip():
            raise self.fail(key, value, "a non-empty string" + (" or null" if optional else ""))
        return value

    def size(self, value: Any, key: str) -> float | None:
        """A model size in billions of parameters: a positive number, or null."""
        if value is None:
            return None
        self.typed(value, (int, float), key)
        if not 0 < value < float("inf"):
            raise self.fail(key, value, "a positive number (billions of parameters)")
        return float(value)

    def choice(self, value: Any, allowed: tuple[str, ...], key: str) -> str:
        if value not in allowed:
            raise self.fail(key, value, f"one of {', '.join(allowed)}")
        return value

    def choices(self, value: Any, allowed: tuple[str, ...], key: str) -> tuple[str, ...]:
        self.typed(value, list, key)
        bad = [item for item in value if item not in allowed]
        if bad or not value:
            raise DataFileError(
                self.path, f"{key} has {bad or 'nothing'}", expected=f"some of {allowed}"
            )
        return tuple(value)

    def step(self, raw: Any, default: StepSpec, key: str) -> StepSpec:
        if raw is None:
            return default
        self.typed(raw, dict, key)
        self.keys(raw, {f.name for f in fields(StepSpec)}, key)
        values = {f.name: getattr(default, f.name) for f in fields(StepSpec)}
        for name, value in raw.items():
            where = f"{key}.{name}"
            if name == "enabled":
                values[name] = self.typed(value, bool, where)
            else:
                values[name] = self.count(value, where, optional=name != "max_tokens")
        return StepSpec(**values)

    def retry(self, raw: Any) -> RetrySpec:
        default = RetrySpec()
        if raw is None:
            return default
        self.typed(raw, dict, "retry")
        self.keys(raw, {f.name for f in fields(RetrySpec)}, "retry")
        values = {f.name: getattr(default, f.name) for f in fields(RetrySpec)}
        for name, value in raw.items():
            where = f"retry.{name}"
            if name in ("timeout", "attempt_timeout"):
                values[name] = self.count(value, where, optional=True)
            else:  # counts of further attempts: 0 means none
                values[name] = self.count(value, where, least=0)
        return RetrySpec(**values)

    def emulate(self, raw: Any) -> EmulateSpec:
        if raw is None:
            return EmulateSpec()
        self.typed(raw, dict, "emulate")
        self.keys(raw, {f.name for f in fields(EmulateSpec)}, "emulate")
        default = EmulateSpec()
        return EmulateSpec(
            model=self.text(raw.get("model"), "emulate.model", optional=False),
            base_url=self.text(raw.get("base_url"), "emulate.base_url"),
            args=self.typed(raw.get("args", {}), dict, "emulate.args"),
            max_tokens=self.count(raw.get("max_tokens", default.max_tokens), "emulate.max_tokens"),
            retries=self.count(raw.get("retries", default.retries), "emulate.retries", least=0),
            concurrency=self.count(
                raw.get("concurrency", default.concurrency), "emulate.concurrency"
            ),
            json_schema=self.typed(
                raw.get("json_schema", default.json_schema), bool, "emulate.json_schema"
            ),
        )

    def models(self, raw: Any) -> tuple[ModelSpec, ...]:
        self.typed(raw, list, "models")
        if not raw:
            raise DataFileError(self.path, "models is empty", expected="at least one model")
        specs = []
        for index, item in enumerate(raw):
            key = f"models[{index}]"
            self.typed(item, dict, key)
            self.keys(item, {f.name for f in fields(ModelSpec)}, key)
            if "model" not in item:
                raise DataFileError(
                    self.path, f"{key} has no 'model'", expected="an Inspect model name"
                )
            model = self.text(item["model"], f"{key}.model", optional=False)
            name = self.text(item.get("name", model.rstrip("/").split("/")[-1]), f"{key}.name")
            if not _SAFE_NAME.match(name or ""):
                raise self.fail(
                    f"{key}.name",
                    name,
                    "a name usable as one folder: letters, digits, '.', '_', '-', "
                    "starting with a letter or digit (logs go to <output_dir>/logs/<step>/<name>)",
                )
            specs.append(
                ModelSpec(
                    name=name,
                    model=model,
                    family=self.text(item.get("family"), f"{key}.family"),
                    params_b=self.size(item.get("params_b"), f"{key}.params_b"),
                    base_url=self.text(item.get("base_url"), f"{key}.base_url"),
                    args=self.typed(item.get("args", {}), dict, f"{key}.args"),
                )
            )
        names = [spec.name for spec in specs]
        if len(set(names)) != len(names):
            raise DataFileError(self.path, f"model names repeat: {names}", expected="unique names")
        return tuple(specs)


def _read(path: Path) -> dict[str, Any]:
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader) or {}
    except FileNotFoundError:
        raise DataFileError(path, "study file not found") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        problem = getattr(error, "problem", None) or error
        raise DataFileError(
            path, f"invalid YAML ({problem})", line=mark.line + 1 if mark else None
        ) from None
    if not isinstance(raw, dict):
        raise DataFileError(path, f"the study is a {type(raw).__name__}", expected="a mapping")
    return raw


def load_study(path: str | Path | None) -> Study:
    """The study in `path`, or the default study when `path` is None."""
    if path is None:
        return DEFAULT_STUDY
    path = Path(path)
    raw = _read(path)
    check = _Checker(path)
    check.keys(raw, {f.name for f in fields(Study)}, "the study")
    default = Study()
    name = check.text(raw.get("name", default.name), "name", optional=False)
    return Study(
        name=name,
        output_dir=check.text(raw.get("output_dir", f"hvsb-out/{name}"), "output_dir"),
        sample=check.choice(raw.get("sample", default.sample), SAMPLES, "sample"),
        seed=check.typed(raw.get("seed", default.seed), int, "seed"),
        data_dir=check.text(raw.get("data_dir"), "data_dir"),
        allow_modified_data=check.typed(
            raw.get("allow_modified_data", default.allow_modified_data), bool, "allow_modified_data"
        ),
        allow_partial_data=check.typed(
            raw.get("allow_partial_data", default.allow_partial_data), bool, "allow_partial_data"
        ),
        parser=check.choice(raw.get("parser", default.parser), tuple(PARSERS), "parser"),
        models=check.models(raw["models"]) if "models" in raw else default.models,
        datasets=check.choices(raw["datasets"], DATASETS, "datasets")
        if "datasets" in raw
        else default.datasets,
        attacks=check.choices(raw["attacks"], ATTACKS, "attacks")
        if "attacks" in raw
        else default.attacks,
        emulate=check.emulate(raw.get("emulate")),
        judge=check.step(raw.get("judge"), default.judge, "judge"),
        explain=check.step(raw.get("explain"), default.explain, "explain"),
        agree=check.step(raw.get("agree"), default.agree, "agree"),
        retry=check.retry(raw.get("retry")),
    )
