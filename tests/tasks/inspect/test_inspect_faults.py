"""hvsb/judge through Inspect against a faulty OpenAI-compatible server on 127.0.0.1: a
failed request stops the sample with an error (never a judgment or a rejection), the log
says why, and `eval_retry` against the healthy server finishes it with a clean run's
metrics, every sample once."""

from __future__ import annotations

from pathlib import Path

import pytest
from inspect_ai import eval as inspect_eval
from inspect_ai import eval_retry
from support.fault_server import fault_server
from support.serve import free_port

from hvsb.tasks.inspect.logs import read_log

LIMIT = 4
RETRIES = {"max_retries": 2, "attempt_timeout": 2}


@pytest.fixture(scope="module", autouse=True)
def _api_key():
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FAULT_API_KEY", "sk-fault-test-key")
        yield


def _judge(url: str, data_dir: Path, log_dir: Path):
    [log] = inspect_eval(
        "hvsb/judge",
        task_args={"dataset": "bbq", "data_dir": str(data_dir)},
        model="openai-api/fault/judge",
        model_base_url=url,
        log_dir=str(log_dir),
        display="none",
        limit=LIMIT,
        max_tokens=16,
        **RETRIES,
    )
    return log


def _rows(log) -> list[dict]:
    return list(read_log(Path(log.location)))


def _metrics(log) -> dict[str, float]:
    return {k: v.value for k, v in log.results.scores[0].metrics.items()}


@pytest.fixture(scope="module")
def clean(tmp_path_factory, data_dir):
    with fault_server() as (url, _script):
        log = _judge(url, data_dir, tmp_path_factory.mktemp("clean"))
    assert log.status == "success"
    return log


@pytest.mark.parametrize(
    ("faults", "then", "fails"),
    [
        ([], "truncated", True),
        (["500"] * 2 + ["hang"] + ["truncated"] * 2, "ok", True),
        (["hang"] * 2, "ok", False),
    ],
    ids=["all-errored", "some-errored", "hang"],
)
def test_faults_then_eval_retry(tmp_path, data_dir, clean, faults, then, fails):
    with fault_server(hang_s=4) as (url, script):
        script.set(faults, then=then)
        log = _judge(url, data_dir, tmp_path)
        rows = _rows(log)
        if fails:
            assert log.status == "error"
            assert "JSONDecodeError" in log.error.message  # the reason, in the log
            # an errored sample is an error row, never a reply that parses as a rejection
            assert any(row["error"] for row in rows)
            assert all(row["reply"] == "" for row in rows if row["error"])
            script.set([], then="ok")
            [log] = eval_retry(log, log_dir=str(tmp_path), display="none", **RETRIES)
        assert log.status == "success"
    rows = _rows(log)
    assert sorted(row["id"] for row in rows) == sorted(s.id for s in clean.samples)
    assert not any(row["error"] for row in rows)
    assert _metrics(log) == pytest.approx(_metrics(clean), nan_ok=True)


def test_a_dead_port_fails_then_eval_retry_finishes(tmp_path, data_dir, clean):
    port = free_port()
    log = _judge(f"http://127.0.0.1:{port}/v1", data_dir, tmp_path)
    assert log.status == "error" and "Connection" in log.error.message
    with fault_server(port=port) as (_url, _script):
        [log] = eval_retry(log, log_dir=str(tmp_path), display="none", **RETRIES)
    assert log.status == "success"
    assert _metrics(log) == pytest.approx(_metrics(clean), nan_ok=True)
