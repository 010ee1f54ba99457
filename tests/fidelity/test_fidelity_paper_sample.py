"""The paper's SS/CP sample: hvsb's paper_sample on built scenarios against the release's
choice read independently from the raw files."""

from __future__ import annotations

import pytest
from support.release_rules import cp_release_sample, ss_release_sample

from hvsb.scenarios.paper_sample import paper_sample


@pytest.mark.parametrize(
    ("dataset", "relpath", "release_sample", "size"),
    [
        ("ss", "stereoset/dev.json", ss_release_sample, 2 * 679),
        ("cp", "crows_pairs/crows_pairs_anonymized.csv", cp_release_sample, 2 * 1_130),
    ],
)
def test_paper_sample_is_the_releases_choice(
    built, data_dir, dataset, relpath, release_sample, size
):
    expected = release_sample(data_dir / relpath)
    chosen = paper_sample(built[dataset].scenarios)
    assert len(chosen) == len(expected) == size
    assert {s.id: s.scenario for s in chosen} == expected
    assert all(s.gold_label == "biased" for s in chosen)
