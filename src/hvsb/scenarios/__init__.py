"""Raw dataset files → Scenario records (one shape for BBQ, BiasDPO, StereoSet, CrowS-Pairs),
and the one selection of them every run uses (`select`)."""

from __future__ import annotations

from pathlib import Path

from hvsb.data import verify
from hvsb.errors import HvsbError
from hvsb.scenarios import bbq, biasdpo, crows_pairs, stereoset
from hvsb.scenarios.record import DATASETS, Scenario
from hvsb.scenarios.result import BuildResult
from hvsb.scenarios.sampling import sample
from hvsb.scenarios.select import check_dataset, read_scenarios_file, select

BUILDERS = {
    "bbq": bbq.build,
    "biasdpo": biasdpo.build,
    "ss": stereoset.build,
    "cp": crows_pairs.build,
}
assert tuple(BUILDERS) == DATASETS, "one builder per dataset, in DATASETS order"


def build(dataset: str, data_dir: str | Path | None = None) -> BuildResult:
    """All scenarios of one dataset in `sentence` mode (no model needed)."""
    result = BUILDERS[check_dataset(dataset)](data_dir)
    result.modified = verify.modified(dataset, data_dir)
    if result.modified:
        result.notes.append(
            f"built from data that differs from upstream ({', '.join(result.modified)}), as allowed"
        )
    seen: set[str] = set()
    for scenario in result.scenarios:
        if scenario.id in seen:
            raise HvsbError(
                f"two {dataset} records give the scenario id {scenario.id!r}; "
                "ids must be unique (is a record duplicated in the raw file?)"
            )
        seen.add(scenario.id)
    return result


__all__ = [
    "BUILDERS",
    "DATASETS",
    "BuildResult",
    "Scenario",
    "build",
    "check_dataset",
    "read_scenarios_file",
    "sample",
    "select",
]
