"""BiasDPO rows: `{prompt} {rejected}` biased and `{prompt} {chosen}` unbiased, per row."""

from __future__ import annotations

from support.release_rules import biasdpo_rows


def test_every_row_gives_the_releases_two_scenarios(built, data_dir):
    path = data_dir / "biasdpo" / "dataset.jsonl"
    expected = biasdpo_rows(path)
    assert len(expected) == 2 * 1_145
    hvsb = {s.id: (s.scenario, s.gold_label) for s in built["biasdpo"].scenarios}
    assert hvsb == expected
