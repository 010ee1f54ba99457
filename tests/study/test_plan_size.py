"""`hvsb run --dry-run` states the number of samples each task then logs: the plan sizes a
step with the same selection its task makes, for every dataset and sample option."""

from __future__ import annotations

from dataclasses import replace

import pytest

from hvsb.scenarios import DATASETS
from hvsb.study.plan import first_phase
from hvsb.study.runner import build_task
from hvsb.study.spec import StepSpec, Study


@pytest.mark.parametrize("dataset", DATASETS)
@pytest.mark.parametrize(("limit", "per_cell"), [(None, None), (7, None), (None, 3), (9, 2)])
def test_planned_size_is_the_tasks_sample_count(data_dir, dataset, limit, per_cell):
    study = Study(
        data_dir=str(data_dir),
        datasets=(dataset,),
        attacks=("none",),
        judge=StepSpec(limit=limit, per_cell=per_cell),
        explain=StepSpec(limit=limit, per_cell=per_cell),
    )
    planned = first_phase(study, [dataset])
    assert [e.phase for e in planned] == ["judge", "explain"]
    for evaluation in planned:
        task = build_task(evaluation, max_tokens=8)
        assert len(task.dataset) == evaluation.samples, (evaluation.label, limit, per_cell)
    if limit is not None:
        assert all(0 < e.samples <= limit for e in planned)
        assert per_cell is not None or all(e.samples == limit for e in planned)


def test_the_paper_cap_is_in_the_plan_of_ss_and_cp(data_dir):
    study = Study(data_dir=str(data_dir), datasets=("ss",), attacks=("none",))
    [judge, explain] = first_phase(study, ["ss"])
    uncapped = first_phase(replace(study, judge=StepSpec(per_cell=10_000)), ["ss"])[0]
    assert judge.samples < uncapped.samples  # 200 per bias type and direction by default
    assert explain.samples == 500  # the paper's explanations per dataset
