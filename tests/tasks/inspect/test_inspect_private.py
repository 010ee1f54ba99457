"""The private Inspect APIs hvsb uses, checked where they are quarantined: if Inspect moves,
renames or changes one of them, this fails with its name instead of a run failing later."""

from __future__ import annotations

import inspect
from pathlib import Path

from inspect_ai.model import GenerateConfig, ModelUsage

import hvsb
from hvsb.tasks.inspect import _inspect_private as private


def test_only_the_quarantine_module_imports_private_inspect_modules() -> None:
    package = Path(hvsb.__file__).parent
    importers = sorted(
        str(path.relative_to(package))
        for path in package.rglob("*.py")
        if "inspect_ai.model._" in path.read_text(encoding="utf-8")
        or "from inspect_ai._" in path.read_text(encoding="utf-8")
    )
    assert importers == ["tasks/inspect/_inspect_private.py"]


def test_active_generate_config_is_the_config_in_force() -> None:
    from inspect_ai.model._generate_config import set_active_generate_config

    assert isinstance(private.active_generate_config(), GenerateConfig)
    set_active_generate_config(GenerateConfig(max_tokens=7, system_message="s"))
    config = private.active_generate_config()
    assert (config.max_tokens, config.system_message) == (7, "s")


def test_usage_bookkeeping_takes_model_usage_and_role() -> None:
    """Called as the log-likelihood mode calls it (its effect on a log's usage totals is
    checked by test_inspect_loglikelihood.py on a real run)."""
    from inspect_ai.model import get_model

    parameters = inspect.signature(private.record_and_check_model_usage).parameters
    assert list(parameters)[:2] == ["model", "usage"] and "role" in parameters
    model = get_model("mockllm/model")
    usage = ModelUsage(input_tokens=3, output_tokens=0, total_tokens=3)
    private.record_and_check_model_usage(model, usage, role=model.role)
