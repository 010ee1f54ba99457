"""CrowS-Pairs (Nangia et al., 2020) → pro- and anti-stereotype sentences.

`stereo_antistereo` says which of `sent_more` / `sent_less` is the stereotype: for
`stereo` rows sent_more is, for `antistereo` rows sent_less is. Both sentences become
scenarios (pro = the stereotype one), all labelled biased as in the paper.
"""

from __future__ import annotations

import csv
from pathlib import Path

from hvsb.data import locate
from hvsb.errors import DataFileError
from hvsb.scenarios.record import Scenario
from hvsb.scenarios.result import BuildResult
from hvsb.scenarios.validate import require_columns

RELPATH = "crows_pairs/crows_pairs_anonymized.csv"
COLUMNS = ("sent_more", "sent_less", "stereo_antistereo", "bias_type")


def build(data_dir: str | Path | None = None) -> BuildResult:
    """Ids are `cp:<pair index>:<pro|anti>` with the CSV's own row index; the row's position
    among the data rows is `source["file_index"]` (the paper's sample follows file order:
    hvsb.scenarios.paper_sample)."""
    path = locate(RELPATH, data_dir)
    result = BuildResult("cp")
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        require_columns(list(reader.fieldnames or []), COLUMNS, path=path)
        for number, row in enumerate(reader):
            line = reader.line_num
            direction = row["stereo_antistereo"]
            if direction not in ("stereo", "antistereo"):
                raise DataFileError(
                    path,
                    f"stereo_antistereo is {direction!r}",
                    line=line,
                    expected="'stereo' or 'antistereo'",
                )
            for column in COLUMNS:
                if not row.get(column):
                    raise DataFileError(path, f"empty {column}", line=line, expected="a value")
            pair_id = row.get("") or str(number)
            pro, anti = (
                (row["sent_more"], row["sent_less"])
                if direction == "stereo"
                else (row["sent_less"], row["sent_more"])
            )
            for answer_type, text in (("pro", pro), ("anti", anti)):
                result.scenarios.append(
                    Scenario(
                        id=f"cp:{pair_id}:{answer_type}",
                        dataset="cp",
                        scenario=text,
                        gold_label="biased",
                        category=row["bias_type"],
                        polarity=None,
                        answer_type=answer_type,
                        source={
                            "pair_id": pair_id,
                            "file_index": number,
                            "sentence": text,
                            "stereo_antistereo": direction,
                            "sent_more": row["sent_more"],
                            "sent_less": row["sent_less"],
                        },
                    )
                )
    return result
