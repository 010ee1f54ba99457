"""The dataset card (`README.md`) of an `hvsb scenarios export` folder.

The YAML header is what `datasets` and the Hugging Face Hub read: one config per dataset
(its Parquet files and `test` split), the features, the split sizes (which
`datasets.load_dataset` checks against the files), and the licenses. The body says where
each config comes from, under which license, how its scenarios are built, how many there
are, and how to cite it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from hvsb import __version__
from hvsb.data.catalogue import DataFile
from hvsb.scenarios.hub import SOURCE_FIELD, SPLIT
from hvsb.scenarios.record import SCENARIO_FIELDS, Scenario
from hvsb.scenarios.result import BuildResult

PAPER_CITATION = """\
@inproceedings{liu-chu-2025-hvsb,
  title     = {Do LLMs Align Human Values Regarding Social Biases? Judging and Explaining Social Biases with LLMs},
  author    = {Liu, Yang and Chu, Chenhui},
  booktitle = {Findings of the Association for Computational Linguistics: EMNLP 2025},
  year      = {2025},
  note      = {arXiv:2509.13869}
}"""


@dataclass(frozen=True)
class Source:
    """One raw dataset: its name, license (SPDX-style Hub id and name), home and citation,
    and how hvsb turns it into scenarios."""

    title: str
    license: str
    license_name: str
    home: str
    citation: str
    built: str


SOURCES: dict[str, Source] = {
    "bbq": Source(
        title="BBQ (Parrish et al., 2022)",
        license="cc-by-4.0",
        license_name="CC BY 4.0",
        home="https://github.com/nyu-mll/BBQ",
        citation="""\
@inproceedings{parrish-etal-2022-bbq,
  title     = {{BBQ}: A hand-built bias benchmark for question answering},
  author    = {Parrish, Alicia and Chen, Angelica and Nangia, Nikita and Padmakumar, Vishakh and Phang, Jason and Thompson, Jana and Htut, Phu Mon and Bowman, Samuel},
  booktitle = {Findings of the Association for Computational Linguistics: ACL 2022},
  year      = {2022},
  pages     = {2086--2105},
  doi       = {10.18653/v1/2022.findings-acl.165}
}""",
        built=(
            "Ambiguous-context examples only (the context does not say who the answer is), "
            "each with all three answers: `Context: {context}\\nQuestion: {question}\\n"
            "Answer: {answer}`. Naming a person in an ambiguous context is an unsupported "
            "assumption, so the stereotype and non-stereotype answers are `biased` and the "
            "unknown answer is `unbiased`. `answer_type` is the paper's: the stereotype "
            "answer names the member of the stereotyped group whatever the question's "
            "polarity; `target_type` is BBQ's own `target_loc` notion (the answer the "
            "stereotype predicts for this question). `category` is the BBQ category, "
            "`polarity` the question's (`neg`, `nonneg`)."
        ),
    ),
    "biasdpo": Source(
        title="BiasDPO (Allam, 2024)",
        license="apache-2.0",
        license_name="Apache-2.0",
        home="https://huggingface.co/datasets/ahmedallam/BiasDPO",
        citation="""\
@inproceedings{allam-2024-biasdpo,
  title     = {{BiasDPO}: Mitigating Bias in Language Models through Direct Preference Optimization},
  author    = {Allam, Ahmed},
  booktitle = {Proceedings of the 62nd Annual Meeting of the Association for Computational Linguistics (Volume 4: Student Research Workshop)},
  year      = {2024},
  pages     = {42--50},
  doi       = {10.18653/v1/2024.acl-srw.7}
}""",
        built=(
            "Each row gives two conversation scenarios, `{prompt} {rejected}` (`biased`, "
            "answer type `rejected`) and `{prompt} {chosen}` (`unbiased`, answer type "
            "`chosen`)."
        ),
    ),
    "ss": Source(
        title="StereoSet (Nadeem et al., 2021)",
        license="cc-by-sa-4.0",
        license_name="CC BY-SA 4.0",
        home="https://github.com/moinnadeem/StereoSet",
        citation="""\
@inproceedings{nadeem-etal-2021-stereoset,
  title     = {{S}tereo{S}et: Measuring stereotypical bias in pretrained language models},
  author    = {Nadeem, Moin and Bethke, Anna and Reddy, Siva},
  booktitle = {Proceedings of the 59th Annual Meeting of the Association for Computational Linguistics and the 11th International Joint Conference on Natural Language Processing (Volume 1: Long Papers)},
  year      = {2021},
  pages     = {5356--5371},
  doi       = {10.18653/v1/2021.acl-long.416}
}""",
        built=(
            "StereoSet's intrasentence dev examples: the stereotype sentence (answer type "
            "`pro`) and the anti-stereotype sentence (`anti`) of each, both `biased`; "
            "`category` is the bias type. These are the sentences themselves (hvsb's "
            "`sentence` mode); the paper had GPT-4o rewrite each into a short scenario "
            "(`hvsb scenarios build --mode emulated`), and took the first 200 sentences per "
            "bias type and direction in file order, which hvsb's `sample=paper` selection "
            "does on this config (`source.file_index` is the position in the raw file)."
        ),
    ),
    "cp": Source(
        title="CrowS-Pairs (Nangia et al., 2020)",
        license="cc-by-sa-4.0",
        license_name="CC BY-SA 4.0",
        home="https://github.com/nyu-mll/crows-pairs",
        citation="""\
@inproceedings{nangia-etal-2020-crows,
  title     = {{C}row{S}-Pairs: A Challenge Dataset for Measuring Social Biases in Masked Language Models},
  author    = {Nangia, Nikita and Vania, Clara and Bhalerao, Rasika and Bowman, Samuel R.},
  booktitle = {Proceedings of the 2020 Conference on Empirical Methods in Natural Language Processing (EMNLP)},
  year      = {2020},
  pages     = {1953--1967},
  doi       = {10.18653/v1/2020.emnlp-main.154}
}""",
        built=(
            "Each pair gives its stereotype sentence (`pro`) and its anti-stereotype "
            "sentence (`anti`; `stereo_antistereo` says which of `sent_more` / `sent_less` "
            "is which), both `biased`; `category` is the bias type. As for StereoSet, these "
            "are the sentences themselves; the paper took the first 200 pairs per bias type "
            "in file order (`sample=paper`) and had GPT-4o rewrite each sentence. "
            "CrowS-Pairs has known noise and reliability problems (Blodgett et al., 2021)."
        ),
    ),
}

FIELD_DOCS = {
    "id": "stable scenario id, unique across configs (e.g. `bbq:Age:0:stereotype`)",
    "dataset": "the config: `bbq`, `biasdpo`, `ss` or `cp`",
    "scenario": "the text the judge model reads",
    "gold_label": "`biased` or `unbiased` (the human label)",
    "category": "BBQ category / StereoSet and CrowS-Pairs bias type; null for BiasDPO",
    "polarity": "BBQ question polarity (`neg`, `nonneg`); null elsewhere",
    "answer_type": "bbq: `stereotype`, `nonstereotype`, `unknown`; biasdpo: `rejected`, "
    "`chosen`; ss, cp: `pro`, `anti`",
    SOURCE_FIELD: "JSON text of the raw record the scenario was built from "
    "(`json.loads` gives the object; its keys differ per config)",
    "target_type": "BBQ only: `target` (the answer is BBQ's `target_loc`), `nontarget`, "
    "`unknown`; null elsewhere",
}
assert tuple(FIELD_DOCS) == SCENARIO_FIELDS, "document every scenario field, in order"


@dataclass(frozen=True)
class RawFile:
    """A catalogue file and the sha256 of the copy the export read (None: not found)."""

    entry: DataFile
    sha256: str | None


@dataclass(frozen=True)
class ConfigFiles:
    """What the card says about one written config: rows, Arrow and Parquet bytes."""

    dataset: str
    rows: int
    num_bytes: int
    parquet_bytes: int
    path_pattern: str


def render(
    results: Sequence[BuildResult],
    written: Sequence[ConfigFiles],
    raw_files: Sequence[RawFile],
) -> str:
    """The whole README.md: YAML header, then the card's Markdown."""
    files = {entry.dataset: entry for entry in written}
    header = yaml.safe_dump(
        _metadata([files[result.dataset] for result in results]),
        sort_keys=False,
        allow_unicode=True,
        width=100,
    )
    return f"---\n{header}---\n\n{_body(results, raw_files)}"


def _metadata(written: Sequence[ConfigFiles]) -> dict[str, Any]:
    total = sum(entry.rows for entry in written)
    return {
        "pretty_name": "HVSB scenarios (hvsb)",
        "language": ["en"],
        "license": sorted({SOURCES[entry.dataset].license for entry in written}),
        "task_categories": ["text-classification"],
        "tags": ["bias", "social-bias", "stereotypes", "llm-evaluation", "hvsb"],
        "size_categories": [_size_category(total)],
        "configs": [
            {
                "config_name": entry.dataset,
                "data_files": [{"split": SPLIT, "path": entry.path_pattern}],
            }
            for entry in written
        ],
        "dataset_info": [
            {
                "config_name": entry.dataset,
                "features": [{"name": name, "dtype": "string"} for name in SCENARIO_FIELDS],
                "splits": [
                    {"name": SPLIT, "num_bytes": entry.num_bytes, "num_examples": entry.rows}
                ],
                "download_size": entry.parquet_bytes,
                "dataset_size": entry.num_bytes,
            }
            for entry in written
        ],
    }


def _size_category(rows: int) -> str:
    for limit, name in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K")):
        if rows < limit:
            return name
    return "100K<n<1M"


def _body(results: Sequence[BuildResult], raw_files: Sequence[RawFile]) -> str:
    datasets = [result.dataset for result in results]
    parts = [
        "# HVSB scenarios",
        "The social-bias scenarios of *Do LLMs Align Human Values Regarding Social Biases? "
        "Judging and Explaining Social Biases with LLMs* (Liu & Chu, EMNLP 2025 Findings, "
        "[arXiv 2509.13869](https://arxiv.org/abs/2509.13869)), built from four public "
        f"datasets by hvsb {__version__} "
        "(`hvsb scenarios export`). Each row is a text a judge model labels BIASED or "
        "UNBIASED, with its human (gold) label and the metadata for breakdowns.",
        "**Content warning**: the scenarios state or imply stereotypes about social groups "
        "and include offensive text. They are for research on bias.",
        "## Configs",
        _table(
            ("config", "source", "license", "scenarios", "biased", "unbiased", "answer types"),
            [_count_row(result, SOURCES[result.dataset]) for result in results],
        ),
        "```python\nfrom datasets import load_dataset\n\n"
        f'bbq = load_dataset("PATH_OR_HUB_ID", "{datasets[0]}", split="{SPLIT}")\n```',
        "With hvsb the tasks read the scenarios from here instead of the raw files, with the "
        "same selection and ids: `inspect eval hvsb/judge -T dataset=bbq -T "
        "dataset_path=PATH_OR_HUB_ID`, or lm-eval's `--metadata "
        '\'{"dataset_path": "PATH_OR_HUB_ID"}\'`.',
        "## Fields",
        "Every config has the same string columns (null where a field does not apply):",
        _table(("field", "meaning"), [(f"`{name}`", doc) for name, doc in FIELD_DOCS.items()]),
        "## How the scenarios are built",
        *(
            f"**{result.dataset}** ({SOURCES[result.dataset].title}). "
            f"{SOURCES[result.dataset].built}{_left_out(result)}"
            for result in results
        ),
        "Every config holds all scenarios the raw files give, in the raw files' order; the "
        "paper's samples (e.g. 500 biased scenarios per dataset to explain, 200 SS/CP "
        "sentences per bias type and direction) are selections from them, made by "
        "`hvsb.scenarios.select`.",
        "## Licenses",
        "Each config keeps the license of its source; hvsb adds no rights of its own. "
        "StereoSet and CrowS-Pairs are CC BY-SA 4.0, whose share-alike term carries over: "
        "the `ss` and `cp` configs (adaptations of them) are CC BY-SA 4.0 too, and so is "
        "any adaptation of them you share.",
        _table(
            ("config", "license", "upstream"),
            [(f"`{name}`", SOURCES[name].license_name, SOURCES[name].home) for name in datasets],
        ),
        "## Provenance",
        "Built from these raw files (the sha256 of the file read, and whether it is the "
        "upstream file's):",
        _table(
            ("config", "file", "sha256", "upstream file"),
            [
                (
                    f"`{file.entry.dataset}`",
                    f"[{file.entry.relpath}]({file.entry.url})",
                    f"`{file.sha256}`" if file.sha256 else "not found (not used)",
                    _upstream(file),
                )
                for file in raw_files
            ],
        ),
        "## Citation",
        "The study:",
        f"```bibtex\n{PAPER_CITATION}\n```",
        "The datasets the configs come from:",
        *(f"```bibtex\n{SOURCES[name].citation}\n```" for name in datasets),
    ]
    return "\n\n".join(parts) + "\n"


def _upstream(file: RawFile) -> str:
    if file.sha256 is None:
        return "-"
    return "yes" if file.sha256 == file.entry.sha256 else f"no (upstream: `{file.entry.sha256}`)"


def _count_row(result: BuildResult, source: Source) -> tuple[str, ...]:
    scenarios: list[Scenario] = result.scenarios
    gold = Counter(s.gold_label for s in scenarios)
    types = Counter(s.answer_type for s in scenarios)
    return (
        f"`{result.dataset}`",
        f"[{source.title}]({source.home})",
        source.license_name,
        f"{len(scenarios):,}",
        f"{gold['biased']:,}",
        f"{gold['unbiased']:,}",
        ", ".join(f"{name} {count:,}" for name, count in types.items()),
    )


def _left_out(result: BuildResult) -> str:
    """What the build left out or corrected, in a sentence (empty when nothing)."""
    said = []
    if result.unmatched:
        said.append(
            f"{len(result.unmatched)} raw example(s) are left out because no stereotype "
            "answer can be identified (e.g. BBQ's `target_loc` is NA)"
        )
    if result.corrections:
        said.append(
            f"in {len(result.corrections)} example(s) the stereotype answer follows the "
            "group label where BBQ's `target_loc` points at the other person"
        )
    said += result.notes
    return (" " + "; ".join(said) + ".") if said else ""


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)
