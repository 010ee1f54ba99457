"""lm-eval glue for the hvsb tasks: scenario records in, hvsb.scorers out.

The YAML files next to this module reference these functions with `!function`. Nothing
here decides anything that shapes a number: the scenarios are `hvsb.scenarios.select`'s,
the attack's delivery is `hvsb.delivery`'s, labels are `hvsb.scorers`' (the
log-likelihood rule included), and the aggregations hand the per-document (gold, label)
pairs or readability scores to `hvsb.scorers`, so a number in an lm-eval results file
equals what `hvsb.scorers` computes on the logged replies, and what the Inspect tasks
report for the same run.

Task options come from lm-eval's `--metadata` JSON (lm-eval hands the metadata, merged
with `--model_args`, to `custom_dataset`):

- `data_dir`: folder with the raw datasets (else `HVSB_DATA_DIR`, else hvsb's cache);
- `sample` (`paper`), `seed` (0), `per_cell`, `max_scenarios`: the selection
  (`hvsb.scenarios.select`; `--limit N` then takes the first N of hvsb's seeded order, a
  mix of cells, not N of one category);
- `scenarios_file`: a scenario JSONL (e.g. `hvsb scenarios build --mode emulated`)
  used instead of building from raw data;
- `dataset_path`: a scenarios dataset from `hvsb scenarios export` (a folder or Hub id)
  read instead of the raw data, with the same selection and ids;
- `system_turn` (`auto`): how attack tasks deliver the attack (`hvsb.delivery`);
- `parser` (`hvsb`): how judge tasks read a reply as a label (`hvsb.scorers.PARSERS`:
  hvsb's parser or the release's rule);
- `explanations`: the explainer output the agree tasks read.

Every document records what the run was — `task`, `attack`, `judge_mode`,
`system_turn`, `parser`, `sample` — so the reader (`hvsb.tasks.lm_eval.samples`) never
parses task names.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Iterable
from typing import Any

import datasets
from lm_eval.api.task import ConfigurableTask
from lm_eval.api.utils import Message

from hvsb import delivery, scorers
from hvsb.data.catalogue import BBQ_CATEGORIES
from hvsb.errors import DataFileError, HvsbError
from hvsb.explanations import load_explanations
from hvsb.prompts import agree_prompt, explain_prompt, judge_prompt
from hvsb.scenarios import select
from hvsb.scenarios.record import FLAT_FIELDS, Scenario, scenario_mode
from hvsb.scenarios.sampling import PAPER_EXPLAIN_LIMIT
from hvsb.scenarios.select import modified_data
from hvsb.scorers import loglikelihood as ll_rule

EXPLANATION_FIELDS = (*FLAT_FIELDS, "explanation", "explainer")

# ---------------------------------------------------------------- documents


def judge_docs(
    *,
    dataset: str,
    attack: str = "none",
    mode: str = "generate",
    system_turn: str = "auto",
    parser: str = scorers.DEFAULT_PARSER,
    **options: Any,
) -> dict[str, datasets.Dataset]:
    """Scenario records of one dataset in seeded order, with the attack's delivery.

    `options` are the selection options and the model arguments lm-eval merges into
    the metadata (for the chat-template probe).
    """
    ll_rule.check_mode(mode)
    scorers.check_parser(parser)
    chosen = _selected(dataset, options)
    how = attack_delivery(attack, system_turn, options)
    modified = _modified(dataset, options)
    condition = {
        "task": "judge",
        "attack": attack,
        "judge_mode": mode,
        "system_turn": how,
        "system_prompt": delivery.system_text(attack, how) or "",
        "data_modified": ",".join(modified),  # raw files used though not upstream (allowed)
        "parser": parser,
        "sample": _sample(options),
    }
    return _as_splits([{**_doc(s), **condition} for s in chosen])


def _modified(dataset: str, options: dict[str, Any]) -> list[str]:
    own_input = options.get("scenarios_file") or options.get("dataset_path")
    return modified_data(dataset, options.get("data_dir"), own_input)


def explain_docs(
    *, dataset: str, max_scenarios: int | None = PAPER_EXPLAIN_LIMIT, **options: Any
) -> dict[str, datasets.Dataset]:
    """Biased scenarios for the explainer: 500 per dataset by default (PROTOCOL §4)."""
    chosen = _selected(dataset, {**options, "max_scenarios": max_scenarios}, "biased")
    modified = _modified(dataset, options)
    sample = _sample(options)
    return _as_splits(
        [
            {**_doc(s), "task": "explain", "sample": sample, "data_modified": ",".join(modified)}
            for s in chosen
        ]
    )


def _selected(dataset: str, options: dict[str, Any], gold_label: str | None = None) -> list:
    """`hvsb.scenarios.select` with the task options of `--metadata` (and their defaults)."""
    return select(
        dataset,
        data_dir=options.get("data_dir"),
        scenarios_file=options.get("scenarios_file"),
        dataset_path=options.get("dataset_path"),
        seed=options.get("seed", 0),
        sample=_sample(options),
        per_cell=options.get("per_cell"),
        limit=options.get("max_scenarios"),
        gold_label=gold_label,
    )


def _sample(options: dict[str, Any]) -> str:
    """The sample kind of `--metadata` (`paper` unless given), which the docs record."""
    return options.get("sample", "paper")


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
        {key: _text_or_none(record.get(key)) for key in EXPLANATION_FIELDS}
        | {"dataset": dataset, "task": "agree"}
        for record in records
    ]
    return _as_splits(docs)


def _doc(scenario: Scenario) -> dict[str, Any]:
    record = scenario.to_dict()
    return {**{key: record[key] for key in FLAT_FIELDS}, "mode": scenario_mode(record)}


def _text_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


def _as_splits(docs: list[dict[str, Any]]) -> dict[str, datasets.Dataset]:
    return {"test": datasets.Dataset.from_list(docs)}


# ---------------------------------------------------------------- system turn


def attack_delivery(attack: str, system_turn: str, model_args: dict[str, Any]) -> str:
    """`none`, `system` or `folded`: `hvsb.delivery.decide` for the model lm-eval runs.

    lm-eval hands the model arguments to the tasks; a local model (a `pretrained` path or
    name) has its tokenizer's chat template probed. API models, and model objects passed
    from Python, cannot be probed here; JudgeTask still checks every prompt it builds.
    """
    pretrained = model_args.get("pretrained")
    name = str(model_args.get("tokenizer") or pretrained)
    trust = str(model_args.get("trust_remote_code")).lower() in ("true", "1", "yes")
    return delivery.decide(
        attack,
        system_turn,
        lambda: keeps_system(name, trust) if isinstance(pretrained, str) else None,
        model=name,
        fix='--metadata \'{"system_turn": "fold"}\'',
    )


@functools.cache
def keeps_system(tokenizer_name: str, trust_remote_code: bool = False) -> bool:
    """The delivery probe for a local model's tokenizer (loaded once per process)."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tokenizer_name, trust_remote_code=trust_remote_code)
    return delivery.template_keeps_system(tokenizer, tokenizer.chat_template)


class JudgeTask(ConfigurableTask):
    """A judge task that refuses to run when the attack's system turn got lost, and whose
    log-likelihood variant takes its prefix, choices and delimiter from the one rule.

    The chat-template probe in `attack_delivery` needs the model's name in the task
    metadata, which lm-eval's CLI provides but a Python caller with its own TaskManager
    or model object may not. Whatever the route, this checks the prompt lm-eval actually
    built: if the attack text is not in it (the model's chat template dropped the system
    turn), the run stops with an error instead of measuring "no attack".

    A `multiple_choice` task (`hvsb_<ds>_ll`) gets `gen_prefix`, `doc_to_choice` and
    `target_delimiter` from `hvsb.scorers.loglikelihood`, so lm-eval scores exactly the
    continuations the Inspect mode and the reader use.
    """

    def __init__(self, config: dict[str, Any] | None = None) -> None:
        config = {k: v for k, v in (config or {}).items() if k != "class"}
        if config.get("output_type") == "multiple_choice":
            config |= {
                "gen_prefix": ll_rule.PREFIX,
                "doc_to_choice": list(ll_rule.CHOICES),
                "target_delimiter": ll_rule.DELIMITER,
            }
        super().__init__(config=config)

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
        return delivery.fold(doc["attack"], prompt)
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
        ("misalignment_rate", "target_type", "target"),
        ("misalignment_rate", "target_type", "nontarget"),
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
    """Per-doc (gold, label) pairs, the label read by the parser the doc records; a
    breakdown cell gets None from docs outside it."""
    parse = scorers.judgment_parser(doc.get("parser") or scorers.DEFAULT_PARSER)
    return _judge_values(doc, parse(results[0]))


def judge_ll_target(doc: dict[str, Any]) -> int:
    """The gold label as an index into the rule's choices (lm-eval's multiple_choice target)."""
    return ll_rule.LABELS.index(doc["gold_label"])


def judge_ll_results(doc: dict[str, Any], results: list[tuple[float, bool]]) -> dict[str, Any]:
    """Per-doc (gold, label) pairs from the choices' (log-likelihood, is_greedy) results.

    lm-eval logs both log-likelihoods in the sample's `resps`, next to the continuations
    in `arguments`, so the reader recomputes the label with the same rule.
    """
    return _judge_values(doc, ll_rule.ll_label([float(loglik) for loglik, _ in results]))


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
