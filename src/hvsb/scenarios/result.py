"""What a dataset reader returns: scenarios plus what it could not use, and why."""

from __future__ import annotations

from dataclasses import dataclass, field

from hvsb.scenarios.record import Scenario


@dataclass
class BuildResult:
    """Scenarios of one dataset; `unmatched` lists records left out (with a reason),
    `corrections` records kept but built against a raw field judged wrong (with the
    reason), `notes` says what was missing or fell back, one line each, for the user;
    `modified` lists the raw files used although they differ from upstream (allowed)."""

    dataset: str
    scenarios: list[Scenario] = field(default_factory=list)
    unmatched: list[dict[str, str]] = field(default_factory=list)
    corrections: list[dict[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    modified: list[str] = field(default_factory=list)
