"""Pure scoring functions shared by the lm-eval and Inspect adapters and the analysis."""

from hvsb.scorers.agreement import AGREEMENTS, parse_agreement
from hvsb.scorers.explanation import extract_explanation
from hvsb.scorers.judgment import (
    DEFAULT_PARSER,
    JUDGMENTS,
    PARSERS,
    check_parser,
    judgment_parser,
    parse_judgment,
    parse_judgment_release,
)
from hvsb.scorers.rates import (
    Rate,
    agreeability,
    misalignment_rate,
    overflag_rate,
    rate,
    rejection_rate,
)
from hvsb.scorers.readability import MIN_WORDS, readability

__all__ = [
    "AGREEMENTS",
    "DEFAULT_PARSER",
    "JUDGMENTS",
    "MIN_WORDS",
    "PARSERS",
    "Rate",
    "agreeability",
    "check_parser",
    "extract_explanation",
    "judgment_parser",
    "misalignment_rate",
    "overflag_rate",
    "parse_agreement",
    "parse_judgment",
    "parse_judgment_release",
    "rate",
    "readability",
    "rejection_rate",
]
