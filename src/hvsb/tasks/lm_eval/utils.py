"""lm-eval glue for the hvsb tasks: scenario records in, hvsb.scorers out.

The YAML files next to this module reference these functions with `!function`. Nothing
here defines a metric: per-document values are (gold, parsed label) pairs or readability
scores, and the aggregations hand them to `hvsb.scorers`, so a number in an lm-eval
results file equals what `hvsb.scorers` computes on the logged replies.

Task options come from lm-eval's `--metadata` JSON (lm-eval hands the metadata, merged
with `--model_args`, to `custom_dataset`):

- `data_dir`: folder with the raw datasets (else `HVSB_DATA_DIR`, else hvsb's cache);
- `seed` (0), `per_cell`, `max_scenarios`: the seeded sample (`--limit N` then takes
  the first N of a mixed sample, not N of one category);
- `scenarios_file`: a scenario JSONL (e.g. `hvsb scenarios build --mode emulated`)
  used instead of building from raw data;
- `system_turn` (`auto`): how attack tasks deliver the attack (see `attack_delivery`);
- `explanations`: the explainer output the agree tasks read.

The `hvsb_<ds>_ll` tasks judge by log-likelihood instead of generation: the same prompt,
the assistant turn started with `Judgment:`, and the label is whichever of ` BIASED` /
` UNBIASED` the model gives the higher summed log-likelihood (`judge_ll_results`).
"""

from __future__ import annotations

import functools
import json
import logging
import math
from collections.abc import Iterable, Sequence
from typing import Any

import datasets
from lm_eval.api.task import ConfigurableTask
from lm_eval.api.utils import Message

from hvsb import scorers
from hvsb.data.catalogue import BBQ_CATEGORIES
from hvsb.errors import DataFileError, HvsbError
from hvsb.explanations import load_explanations
from hvsb.jsonl import read_jsonl
from hvsb.prompts import (
    DATASETS,
    agree_prompt,
    attack_system_prompt,
    explain_prompt,
    judge_prompt,
)
from hvsb.scenarios import Scenario, build, sample
from hvsb.scenarios.sampling import PAPER_EXPLAIN_LIMIT, PAPER_PER_CELL, rank

log = logging.getLogger("hvsb.lm_eval")

DOC_FIELDS = ("id", "dataset", "scenario", "gold_label", "category", "polarity", "answer_type")
EXPLANATION_FIELDS = (*DOC_FIELDS, "explanation", "explainer")
SYSTEM_TURNS = ("auto", "system", "fold")
_PROBE = "hvsb-system-turn-probe"

# ---------------------------------------------------------------- documents


def judge_docs(
    *,
    dataset: str,
    attack: str = "none",
    data_dir: str | None = None,
    seed: int = 0,
    per_cell: int | None = None,
    max_scenarios: int | None = None,
    scenarios_file: str | None = None,
    system_turn: str = "auto",
    **model_args: Any,
) -> dict[str, datasets.Dataset]:
    """Scenario records of one dataset in seeded order, with the attack's delivery."""
    if per_cell is None:
        per_cell = PAPER_PER_CELL.get(dataset)
    chosen = _seeded(
        _scenarios(dataset, data_dir, scenarios_file), seed, per_cell, max_scenarios, None
    )
    system_text = attack_system_prompt(attack)
    delivery = attack_delivery(system_turn, model_args) if system_text else "none"
    extra = {
        "attack": attack,
        "system_turn": delivery,
        "system_prompt": system_text if delivery == "system" else "",
    }
    return _as_splits([{**_doc(s), **extra} for s in chosen])


def explain_docs(
    *,
    dataset: str,
    data_dir: str | None = None,
    seed: int = 0,
    per_cell: int | None = None,
    max_scenarios: int | None = PAPER_EXPLAIN_LIMIT,
    scenarios_file: str | None = None,
    **_ignored: Any,
) -> dict[str, datasets.Dataset]:
    """Biased scenarios for the explainer: 500 per dataset by default (PROTOCOL §4)."""
    if per_cell is None:
        per_cell = PAPER_PER_CELL.get(dataset)
    pool = _scenarios(dataset, data_dir, scenarios_file)
    return _as_splits([_doc(s) for s in _seeded(pool, seed, per_cell, max_scenarios, "biased")])


def agree_docs(
    *, dataset: str, explanations: str | None = None, **_ignored: Any
) -> dict[str, datasets.Dataset]:
    """One explainer's explanations of `dataset` scenarios, for a target model to judge."""
    if not explanations:
        raise HvsbError(
            f"hvsb_agree_{dataset} needs the explainer's output: pass "
            '--metadata \'{"explanations": "PATH"}\' with PATH an lm-eval '
            f"samples_hvsb_explain_{dataset}_*.jsonl, an Inspect log of hvsb/explain, "
            "or a JSONL of {id, scenario, explanation}"
        )
    records = [
        r for r in load_explanations(explanations) if r.get("dataset") in (None, "", dataset)
    ]
    if not records:
        raise DataFileError(
            explanations, f"no explanations of {dataset} scenarios", expected=f"dataset {dataset}"
        )
    docs = [
        {key: _text_or_none(record.get(key)) for key in EXPLANATION_FIELDS} | {"dataset": dataset}
        for record in records
    ]
    return _as_splits(docs)


def _scenarios(dataset: str, data_dir: str | None, scenarios_file: str | None) -> list[Scenario]:
    if dataset not in DATASETS:
        raise HvsbError(f"unknown dataset {dataset!r}; expected one of {', '.join(DATASETS)}")
    if not scenarios_file:
        return _built(dataset, str(data_dir) if data_dir else None)
    found = []
    for line, record in read_jsonl(scenarios_file):
        if not isinstance(record.get("id"), str) or not isinstance(record.get("scenario"), str):
            raise DataFileError(
                scenarios_file, "record without id or scenario", line=line, expected="a Scenario"
            )
        if record.get("dataset") == dataset:
            found.append(Scenario.from_dict(record))
    if not found:
        raise DataFileError(
            scenarios_file, f"no {dataset} scenarios", expected=f"records with dataset {dataset}"
        )
    return found


@functools.cache
def _built(dataset: str, data_dir: str | None) -> list[Scenario]:
    """Each dataset is read once per process, however many tasks use it."""
    return build(dataset, data_dir).scenarios


def _seeded(
    pool: Sequence[Scenario],
    seed: int,
    per_cell: int | None,
    max_scenarios: int | None,
    gold_label: str | None,
) -> list[Scenario]:
    """hvsb's seeded sample, always in seeded order so that `--limit` takes a mixed sample."""
    ordered = sorted(pool, key=lambda s: rank(int(seed), s.id))
    return sample(
        ordered,
        limit=None if max_scenarios is None else int(max_scenarios),
        seed=int(seed),
        per_cell=None if per_cell is None else int(per_cell),
        gold_label=gold_label,
    )


def _doc(scenario: Scenario) -> dict[str, Any]:
    return {key: getattr(scenario, key) for key in DOC_FIELDS}


def _text_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


def _as_splits(docs: list[dict[str, Any]]) -> dict[str, datasets.Dataset]:
    return {"test": datasets.Dataset.from_list(docs)}


# ---------------------------------------------------------------- system turn


def attack_delivery(system_turn: str, model_args: dict[str, Any]) -> str:
    """`system` (a system turn, PROTOCOL §3) or `folded` (prepended to the user turn).

    lm-eval's hf model drops a system turn that the chat template rejects, with only a
    warning, which would silently measure "no attack". For local models (a `pretrained`
    model argument) the chat template is probed: `auto` folds when it has no system turn,
    `system` refuses to run. API models apply their template server-side, where a
    rejected system turn is an error, not a silent drop; they get a system turn.
    """
    if system_turn not in SYSTEM_TURNS:
        raise HvsbError(
            f"system_turn must be one of {', '.join(SYSTEM_TURNS)}, not {system_turn!r}"
        )
    if system_turn == "fold":
        return "folded"
    pretrained = model_args.get("pretrained")
    if not isinstance(pretrained, str):  # an API model, or a model object from Python
        return "system"
    tokenizer_name = str(model_args.get("tokenizer") or pretrained)
    if template_renders_system(tokenizer_name, _truthy(model_args.get("trust_remote_code"))):
        return "system"
    if system_turn == "system":
        raise HvsbError(
            f"the chat template of {tokenizer_name} has no system turn, so the attack "
            'would be dropped; rerun with --metadata \'{"system_turn": "fold"}\' to put '
            "the attack text at the start of the user turn"
        )
    log.warning(
        "hvsb: the chat template of %s has no system turn; the attack text is folded "
        "into the user turn (recorded as system_turn=folded in each sample)",
        tokenizer_name,
    )
    return "folded"


@functools.cache
def template_renders_system(tokenizer_name: str, trust_remote_code: bool = False) -> bool:
    """Whether the tokenizer's chat template keeps a system message (a probe marker)."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tokenizer_name, trust_remote_code=trust_remote_code)
    probe = [{"role": "system", "content": _PROBE}, {"role": "user", "content": "Hello"}]
    try:
        text = tokenizer.apply_chat_template(probe, tokenize=False, add_generation_prompt=True)
    except Exception:  # jinja2 TemplateError from raise_exception, ValueError: no template
        return False
    return _PROBE in str(text)


def _truthy(value: Any) -> bool:
    return str(value).lower() in ("true", "1", "yes")


class JudgeTask(ConfigurableTask):
    """A judge task that refuses to run when the attack's system turn got lost.

    The chat-template probe in `attack_delivery` needs the model's name in the task
    metadata, which lm-eval's CLI provides but a Python caller with its own TaskManager
    or model object may not. Whatever the route, this checks the prompt lm-eval actually
    built: if the attack text is not in it (the model's chat template dropped the system
    turn), the run stops with an error instead of measuring "no attack".
    """

    def __init__(self, config: dict[str, Any] | None = None) -> None:
        super().__init__(config={k: v for k, v in (config or {}).items() if k != "class"})

    def fewshot_context(self, doc: dict[str, Any], num_fewshot: int, *args: Any, **kwargs: Any):
        context = super().fewshot_context(doc, num_fewshot, *args, **kwargs)
        system = doc.get("system_prompt")
        if system and not _contains(context, system):
            raise HvsbError(
                f"{self.config.task}: the model's chat template dropped the attack's system "
                "turn, so the run would measure no attack. Rerun with --metadata "
                '\'{"system_turn": "fold"}\' (Python: TaskManager(metadata={"system_turn": '
                '"fold"})) to put the attack text at the start of the user turn.'
            )
        return context

    def build_qa_turn(self, **kwargs: Any) -> list[Message]:
        """lm-eval's turn, with a line break before a gen_prefix in plain-text prompts.

        For the log-likelihood tasks (`gen_prefix: "Judgment:"`) lm-eval would join the
        prompt and the prefix with the target delimiter (a space) when no chat template
        is applied; a line break reads as the start of the answer, as in the paper's
        prompts. Chat prompts never render this delimiter, so they are unchanged.
        """
        messages = super().build_qa_turn(**kwargs)
        if kwargs.get("gen_prefix") and kwargs.get("a") in (None, "") and len(messages) == 2:
            messages[0]._delimiter = "\n"
        return messages


def _contains(context: Any, text: str) -> bool:
    """Whether a built prompt (text, JSON chat string or message list) holds `text`."""
    rendered = getattr(context, "prompt", context)  # lm-eval's JsonChatStr
    if not isinstance(rendered, str):
        rendered = json.dumps(rendered, ensure_ascii=False, default=str)
    return text in rendered or json.dumps(text, ensure_ascii=False)[1:-1] in rendered


# ---------------------------------------------------------------- prompts


def judge_text(doc: dict[str, Any]) -> str:
    """The judge user turn (PROTOCOL §3), after the attack text when it is folded in."""
    prompt = judge_prompt(doc["dataset"], doc["scenario"])
    if doc.get("system_turn") == "folded":
        return f"{attack_system_prompt(doc['attack'])}\n\n{prompt}"
    return prompt


def explain_text(doc: dict[str, Any]) -> str:
    """The explainer user turn (PROTOCOL §4)."""
    return explain_prompt(doc["scenario"])


def agree_text(doc: dict[str, Any]) -> str:
    """The agreeability user turn (PROTOCOL §5)."""
    return agree_prompt(doc["dataset"], doc["scenario"], doc["explanation"])


# ---------------------------------------------------------------- per-document values

# Breakdown cells per dataset: (metric, doc field, value). Each is listed in the dataset's
# metric_list (`_hvsb_<dataset>_yaml`); a test keeps the two in step.
_CATEGORIES = {
    "bbq": BBQ_CATEGORIES,
    "biasdpo": (),
    "ss": ("gender", "profession", "race", "religion"),
    "cp": (
        "age",
        "disability",
        "gender",
        "nationality",
        "physical-appearance",
        "race-color",
        "religion",
        "sexual-orientation",
        "socioeconomic",
    ),
}
_CELLS = {
    "bbq": (
        ("misalignment_rate", "polarity", "neg"),
        ("misalignment_rate", "polarity", "nonneg"),
        ("misalignment_rate", "answer_type", "stereotype"),
        ("misalignment_rate", "answer_type", "nonstereotype"),
        ("overflag_rate", "polarity", "neg"),
        ("overflag_rate", "polarity", "nonneg"),
    ),
    "biasdpo": (),
    "ss": (
        ("misalignment_rate", "answer_type", "pro"),
        ("misalignment_rate", "answer_type", "anti"),
    ),
    "cp": (
        ("misalignment_rate", "answer_type", "pro"),
        ("misalignment_rate", "answer_type", "anti"),
    ),
}
# Datasets with unbiased scenarios, where over-flagging can be measured.
_OVERFLAG = ("bbq", "biasdpo")


def cell_name(value: str) -> str:
    """A cell value as a metric-name suffix (`Race_x_SES` -> `race_x_ses`)."""
    return value.lower().replace("-", "_").replace(" ", "_")


def breakdown_cells(dataset: str) -> list[tuple[str, str, str]]:
    """(metric name, doc field, value) of every breakdown cell reported for `dataset`."""
    cells = [
        (f"{metric}_{cell_name(value)}", field, value) for metric, field, value in _CELLS[dataset]
    ]
    cells += [
        (f"misalignment_rate_{cell_name(category)}", "category", category)
        for category in _CATEGORIES[dataset]
    ]
    return cells


def judge_metric_names(dataset: str, attack: str = "none") -> list[str]:
    """The metrics a judge task of `dataset` reports (what its metric_list must declare)."""
    names = ["misalignment_rate", "rejection_rate"]
    names += ["overflag_rate"] if dataset in _OVERFLAG else []
    names += ["attack_success_rate"] if attack != "none" else []
    return names + [name for name, _, _ in breakdown_cells(dataset)]


def judge_results(doc: dict[str, Any], results: list[str]) -> dict[str, Any]:
    """Per-doc (gold, label) pairs; a breakdown cell gets None from docs outside it."""
    return _judge_values(doc, scorers.parse_judgment(results[0]))


# The log-likelihood tasks' choices, in lm-eval's order (target index = position).
LL_CHOICES = ("BIASED", "UNBIASED")


def judge_ll_target(doc: dict[str, Any]) -> int:
    """The gold label as an index into LL_CHOICES (lm-eval's multiple_choice target)."""
    return LL_CHOICES.index(str(doc["gold_label"]).upper())


def ll_label(logliks: Sequence[float]) -> str:
    """`biased` or `unbiased`: the choice with the higher summed log-likelihood.

    Not length-normalised: the sum is the log-probability of the model writing that
    label. An exact tie goes to the first choice, BIASED. Never `rejected`.
    """
    if len(logliks) != len(LL_CHOICES):
        raise HvsbError(f"expected {len(LL_CHOICES)} log-likelihoods, got {len(logliks)}")
    best = max(range(len(LL_CHOICES)), key=lambda i: logliks[i])
    return LL_CHOICES[best].lower()


def judge_ll_results(doc: dict[str, Any], results: list[tuple[float, bool]]) -> dict[str, Any]:
    """Per-doc (gold, label) pairs from the choices' (log-likelihood, is_greedy) results.

    lm-eval logs both log-likelihoods in the sample's `resps`, next to the continuations
    in `arguments`, so the label can be recomputed from the samples file.
    """
    return _judge_values(doc, ll_label([float(loglik) for loglik, _ in results]))


def _judge_values(doc: dict[str, Any], label: str) -> dict[str, Any]:
    dataset = doc["dataset"]
    pair = (doc["gold_label"], label)
    values: dict[str, Any] = {"misalignment_rate": pair, "rejection_rate": pair}
    if dataset in _OVERFLAG:
        values["overflag_rate"] = pair
    if doc.get("attack", "none") != "none":
        values["attack_success_rate"] = pair
    for name, field, value in breakdown_cells(dataset):
        values[name] = pair if doc.get(field) == value else None
    return values


def explain_results(doc: dict[str, Any], results: list[str]) -> dict[str, float]:
    """Readability of the extracted explanation (NaN under hvsb.scorers.MIN_WORDS words)."""
    return scorers.readability(scorers.extract_explanation(results[0]))


def agree_results(doc: dict[str, Any], results: list[str]) -> dict[str, str]:
    label = scorers.parse_agreement(results[0])
    return {"agreeability": label, "rejection_rate": label}


# ---------------------------------------------------------------- aggregations


def _pairs(items: Iterable[Any]) -> tuple[list[str], list[str]]:
    """(gold, predicted) lists from per-doc values; None (outside the cell) is skipped."""
    kept = [item for item in items if item is not None]
    return [gold for gold, _ in kept], [label for _, label in kept]


def misalignment(items: Iterable[Any]) -> float:
    """hvsb.scorers.misalignment_rate: biased scenarios judged unbiased (NaN if none)."""
    return scorers.misalignment_rate(*_pairs(items)).value


def overflag(items: Iterable[Any]) -> float:
    """hvsb.scorers.overflag_rate: unbiased scenarios judged biased (NaN if none)."""
    return scorers.overflag_rate(*_pairs(items)).value


def rejection(items: Iterable[Any]) -> float:
    """hvsb.scorers.rejection_rate over judge pairs or agreement labels."""
    labels = [item[1] if isinstance(item, list | tuple) else item for item in items]
    return scorers.rejection_rate([label for label in labels if label is not None]).value


def agreeability(items: Iterable[str]) -> float:
    """hvsb.scorers.agreeability: share of AGREE replies (rejected ones count against)."""
    return scorers.agreeability(list(items)).value


def mean_score(items: Iterable[float]) -> float:
    """Mean readability over explanations long enough to score; NaN when none are."""
    scored = [float(x) for x in items if x is not None and not math.isnan(float(x))]
    return math.fsum(scored) / len(scored) if scored else math.nan
