"""The study as Inspect tasks: `hvsb/judge`, `hvsb/explain`, `hvsb/agree`.

    inspect eval hvsb/judge -T dataset=bbq -T attack=targeted --model hf/PATH
    inspect eval hvsb/judge -T mode=loglikelihood --model hf/PATH
    inspect eval hvsb/explain -T dataset=ss --model openai-api/local/NAME
    inspect eval hvsb/agree -T explanations=logs/EXPLAIN.eval --model hf/PATH

This module is imported by the `inspect_ai` entry point at every `inspect eval`, so it
imports nothing heavy at module level: data, prompts and scorers load when a task is
built.
"""

from __future__ import annotations

from inspect_ai import Task, task
from inspect_ai.dataset import Dataset
from inspect_ai.model import GenerateConfig

# PROTOCOL §3-5: the judge decodes greedily, explainer and target sample; 512 new tokens.
JUDGE_CONFIG = GenerateConfig(temperature=0.0, max_tokens=512)
SAMPLING_CONFIG = GenerateConfig(temperature=1.0, top_p=0.95, max_tokens=512)
VERSION = "2-A"  # see the changelog in README.md here
GRADER_ROLE = "grader"  # hvsb/agree's target model, when bound with --model-role grader=...


@task
def judge(
    dataset: str = "bbq",
    attack: str = "none",
    sample: str = "paper",
    seed: int = 0,
    per_cell: int | None = None,
    max_scenarios: int | None = None,
    scenarios_file: str | None = None,
    data_dir: str | None = None,
    system_turn: str = "auto",
    mode: str = "generate",
    parser: str = "hvsb",
    dataset_path: str | None = None,
) -> Task:
    """Judge scenarios BIASED or UNBIASED (task 1), optionally under an attack system prompt.

    Args:
        dataset: bbq, biasdpo, ss or cp.
        attack: none, untargeted or targeted (the attack system prompt's id).
        sample: paper (the paper's choice: for ss/cp the release's first 200 sentences
            per bias type and direction, in file order; all of bbq/biasdpo) or seeded
            (every scenario, capped by per_cell).
        seed: seed of the scenarios' order (and of the per_cell caps).
        per_cell: at most this many scenarios per category x answer type (for ss/cp
            under sample=paper: per bias type and direction, in file order).
        max_scenarios: at most this many scenarios in all (a seeded sample).
        scenarios_file: a scenario JSONL from `hvsb scenarios build` used instead of the
            raw data, e.g. SS/CP scenarios in `emulated` mode.
        data_dir: folder with the raw datasets (else HVSB_DATA_DIR, else hvsb's cache).
        system_turn: auto, system or fold: how the attack reaches models whose chat
            template has no system turn (auto probes local hf/ templates).
        mode: generate (the model writes a reply, parsed for its label) or
            loglikelihood (local hf/ models only: the likelier of " BIASED" and
            " UNBIASED" after "Judgment:", one forward pass, never a rejection).
        parser: hvsb (hvsb's judgment parser) or release (the paper release's rule,
            PROTOCOL §3): how a reply is read as a label (hvsb.scorers.PARSERS).
        dataset_path: a scenarios dataset from `hvsb scenarios export` (a folder or Hub
            id) read instead of the raw data, with the same selection and ids.
    """
    from hvsb import delivery
    from hvsb.prompts import attack_system_prompt
    from hvsb.scenarios.select import modified_data
    from hvsb.scorers import check_parser
    from hvsb.scorers.loglikelihood import MODE, check_mode
    from hvsb.tasks.inspect import dataset as data
    from hvsb.tasks.inspect.scorers import judge_metrics, judgment
    from hvsb.tasks.inspect.solvers import attack_turn, study_generate

    attack_system_prompt(attack)  # validates the id before any data is read
    delivery.check_system_turn(system_turn)
    check_parser(parser)
    if check_mode(mode) == MODE:
        # A model other than hf/ fails each sample before any model call. Not checked
        # here: Inspect's active model at task creation can be one eval_set left behind.
        from hvsb.tasks.inspect.loglikelihood import loglikelihood_judge

        answer = loglikelihood_judge()
    else:
        answer = study_generate()
    chosen = data.chosen(
        dataset,
        sample,
        seed,
        per_cell,
        max_scenarios,
        scenarios_file,
        data_dir,
        dataset_path=dataset_path,
    )
    samples = data.judge_samples(chosen, attack, mode, parser)
    has_unbiased = any(s.gold_label == "unbiased" for s in chosen)
    return Task(
        dataset=samples,
        solver=[attack_turn(attack, system_turn), answer],
        scorer=judgment(parser),
        metrics=judge_metrics(attack, data.group_keys(samples), has_unbiased),
        config=JUDGE_CONFIG,
        version=VERSION,
        metadata=_run_metadata(
            samples,
            "judge",
            dataset=dataset,
            attack=attack,
            sample=sample,
            seed=seed,
            judge_mode=mode,
            data_modified=modified_data(dataset, data_dir, scenarios_file or dataset_path),
            parser=parser,
        ),
    )


@task
def explain(
    dataset: str = "bbq",
    sample: str = "paper",
    seed: int = 0,
    per_cell: int | None = None,
    max_scenarios: int | None = 500,
    scenarios_file: str | None = None,
    data_dir: str | None = None,
    dataset_path: str | None = None,
) -> Task:
    """Explain why biased scenarios are biased (task 2), scored by readability.

    Args:
        dataset: bbq, biasdpo, ss or cp.
        sample: paper (the paper's choice of ss/cp sentences) or seeded, as for judge.
        seed: seed of the scenarios' order (and of the per_cell caps).
        per_cell: at most this many scenarios per category x answer type.
        max_scenarios: biased scenarios to explain (the paper's 500 by default).
        scenarios_file: a scenario JSONL from `hvsb scenarios build` used instead of the
            raw data.
        data_dir: folder with the raw datasets (else HVSB_DATA_DIR, else hvsb's cache).
        dataset_path: a scenarios dataset from `hvsb scenarios export` (a folder or Hub
            id) read instead of the raw data, with the same selection and ids.
    """
    from hvsb.scenarios.select import modified_data
    from hvsb.tasks.inspect import dataset as data
    from hvsb.tasks.inspect.scorers import explain_metrics, explanation
    from hvsb.tasks.inspect.solvers import study_generate

    chosen = data.chosen(
        dataset,
        sample,
        seed,
        per_cell,
        max_scenarios,
        scenarios_file,
        data_dir,
        "biased",
        dataset_path=dataset_path,
    )
    samples = data.explain_samples(chosen)
    return Task(
        dataset=samples,
        solver=study_generate(),
        scorer=explanation(),
        metrics=explain_metrics(data.group_keys(samples)),
        config=SAMPLING_CONFIG,
        version=VERSION,
        metadata=_run_metadata(
            samples,
            "explain",
            dataset=dataset,
            sample=sample,
            seed=seed,
            data_modified=modified_data(dataset, data_dir, scenarios_file or dataset_path),
        ),
    )


@task
def agree(explanations: str | None = None, dataset: str | None = None) -> Task:
    """A target model says AGREE or DISAGREE to each explanation (PROTOCOL §5).

    The target is the evaluated model, or the `grader` role's model when one is bound
    (`--model-role grader=...`), so one explainer's log can be judged by many targets.

    Args:
        explanations: an Inspect log of hvsb/explain (.eval or .json), an lm-eval
            samples_hvsb_explain_*.jsonl, or a JSONL of {id, scenario, explanation,
            dataset, explainer}.
        dataset: keep only this dataset's explanations (and the dataset of records
            that do not name one).
    """
    from hvsb.errors import HvsbError
    from hvsb.scenarios import check_dataset
    from hvsb.tasks.inspect import dataset as data
    from hvsb.tasks.inspect.scorers import agree_metrics, agreement
    from hvsb.tasks.inspect.solvers import study_generate

    if not explanations:
        raise HvsbError(
            "hvsb/agree needs -T explanations=PATH: an Inspect log of hvsb/explain, an "
            "lm-eval samples_hvsb_explain_*.jsonl, or a JSONL of {id, scenario, explanation}"
        )
    if dataset is not None:
        dataset = check_dataset(dataset)
    samples = data.agree_samples(explanations, dataset)
    groups = data.group_keys(samples, ("explainer", *data.GROUP_KEYS))
    return Task(
        dataset=samples,
        solver=study_generate(),
        scorer=agreement(),
        metrics=agree_metrics(groups),
        config=SAMPLING_CONFIG,
        version=VERSION,
        metadata=_run_metadata(samples, "agree", explanations=str(explanations)),
    )


def _run_metadata(samples: Dataset, study_task: str, **values: object) -> dict[str, object]:
    """What the run measured, for logs and `evals_df` (the sample metadata has the rest)."""
    modes = sorted({(s.metadata or {}).get("mode") for s in samples} - {None})
    return {"hvsb_task": study_task, "scenario_mode": ",".join(modes), **values}
