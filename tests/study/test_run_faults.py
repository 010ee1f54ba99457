"""`hvsb run` against a faulty OpenAI-compatible server on 127.0.0.1 (tests/support/fault_server):
an errored sample is an error — never a judgment — the step fails with a FAILED line that
names the model, the step and the count, the exit status is 1, and a rerun against the
healthy server finishes exactly the unfinished samples, giving a clean run's metrics."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.cli import run_cli
from support.fault_server import fault_server
from support.serve import free_port

from hvsb.analysis import build_table

LIMIT = 6
STUDY = """\
name: faults
output_dir: {out}
data_dir: {data}
datasets: [bbq]
attacks: [none]
models:
  - name: fake
    model: openai-api/fault/judge
    base_url: {url}
judge: {{limit: {limit}, max_tokens: 16}}
explain: {{enabled: false}}
agree: {{enabled: false}}
retry: {{max_retries: 2, attempt_timeout: 2, sample_attempts: 0, step_attempts: 0}}
"""
FAILED = "FAILED judge[fake] dataset=bbq,attack=none"


@pytest.fixture(scope="module", autouse=True)
def _api_key():
    """openai-api/fault/... reads FAULT_API_KEY (the server ignores it)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FAULT_API_KEY", "sk-fault-test-key")
        yield


def _run(tmp_path: Path, data_dir: Path, url: str, name: str) -> tuple[int, str, Path]:
    out = tmp_path / name
    study = tmp_path / f"{name}.yaml"
    if not study.exists():
        study.write_text(STUDY.format(out=out, data=data_dir, url=url, limit=LIMIT))
    code, _, err = run_cli(["run", str(study)])
    return code, err, out


def _judgments(out: Path) -> dict[str, str]:
    table = build_table([out / "logs"])
    assert not table.attrs["errors"]
    assert table["id"].is_unique and len(table) == LIMIT  # every sample exactly once
    return dict(zip(table["id"], table["judgment"].astype(str), strict=True))


@pytest.fixture(scope="module")
def clean(tmp_path_factory, data_dir) -> dict[str, str]:
    """The judgments of a run against a server that never fails."""
    tmp_path = tmp_path_factory.mktemp("clean")
    with fault_server() as (url, _script):
        code, err, out = _run(tmp_path, data_dir, url, "clean")
    assert code == 0, err
    return _judgments(out)


@pytest.mark.parametrize(
    ("faults", "then", "fails"),
    [
        ([], "truncated", True),  # every request gets a broken reply: all samples error
        (["500"] * 3 + ["hang"] * 2 + ["truncated"] * 2, "ok", True),  # some, then healthy
        (["hang"] * 2, "ok", False),  # a hang is retried after attempt_timeout
    ],
    ids=["all-errored", "some-errored", "hang"],
)
def test_faults_then_a_rerun_against_the_healthy_server(
    tmp_path, data_dir, clean, faults, then, fails
):
    with fault_server(hang_s=4) as (url, script):
        script.set(faults, then=then)
        code, err, out = _run(tmp_path, data_dir, url, "study")
        errored = sum(row["errors"] for row in build_table([out / "logs"]).attrs["errors"])
        if fails:
            assert code == 1, err
            assert f"{FAILED}: {errored} of {LIMIT} samples failed with an error" in err, err
            assert errored == LIMIT if then == "truncated" else 1 <= errored < LIMIT
        else:
            assert code == 0 and errored == 0, err
            assert "hvsb run: waiting for fault/judge" in err  # progress while retrying
            assert "attempt 1 failed (AttemptTimeoutError)" in err
        served_before = len(script.served)
        script.set([], then="ok")
        code, err, _ = _run(tmp_path, data_dir, url, "study")
        assert code == 0, err
        assert "FAILED" not in err
        assert len(script.served) - served_before == errored  # exactly the errored again
    assert _judgments(out) == clean  # the same metrics as a clean run, sample by sample


def test_a_dead_port_fails_with_the_reason_then_a_rerun_finishes(tmp_path, data_dir, clean):
    port = free_port()  # nothing listens there
    code, err, out = _run(tmp_path, data_dir, f"http://127.0.0.1:{port}/v1", "study")
    assert code == 1, err
    assert FAILED in err and f"{LIMIT} of {LIMIT} samples failed with an error" in err
    assert "Connection" in err  # the reason, not just a count
    assert "waiting for fault/judge" in err  # the retries were not silent
    assert "Traceback" not in err
    with fault_server(port=port) as (_url, script):
        code, err, _ = _run(tmp_path, data_dir, f"http://127.0.0.1:{port}/v1", "study")
        assert code == 0, err
        assert script.served == ["ok"] * LIMIT
    assert _judgments(out) == clean
