"""hvsb.scorers.loglikelihood: the one log-likelihood judging rule."""

from __future__ import annotations

import pytest

from hvsb.errors import HvsbError
from hvsb.scorers import parse_judgment
from hvsb.scorers.loglikelihood import CONTINUATIONS, PREFIX, check_mode, ll_label, ll_reply


def test_the_likelier_label_wins_and_a_tie_goes_to_biased():
    assert ll_label([-7.5, -2.25]) == "unbiased"
    assert ll_label([-2.0, -9.0]) == "biased"
    assert ll_label([-1.0, -1.0]) == "biased"
    with pytest.raises(HvsbError, match="expected 2 log-likelihoods, got 1"):
        ll_label([-1.0])


def test_the_logged_reply_reads_back_as_its_label():
    assert (PREFIX, CONTINUATIONS) == ("Judgment:", (" BIASED", " UNBIASED"))
    for label in ("biased", "unbiased"):
        assert parse_judgment(ll_reply(label)) == label
    assert ll_reply("unbiased") == "Judgment: UNBIASED"


def test_modes():
    assert check_mode("loglikelihood") == "loglikelihood"
    with pytest.raises(HvsbError, match="mode must be one of generate, loglikelihood"):
        check_mode("ll")
