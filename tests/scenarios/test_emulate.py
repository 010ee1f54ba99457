"""`emulated` scenario mode for StereoSet / CrowS-Pairs (PROTOCOL §2).

Most tests drive the real Inspect model API with its `mockllm/model` provider and
scripted replies: it stands in for a large emulator model (GPT-4o in the paper) that
cannot run on this CPU-only machine, and lets the tests count calls and choose replies
(valid, fenced, invalid). The last test runs the real embedded model through `hf/`.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from inspect_ai.model import Model, ModelOutput, ModelUsage, get_model
from support.data import need_file

from hvsb.cli import main
from hvsb.errors import DataFileError, HvsbError
from hvsb.jsonl import read_jsonl
from hvsb.prompts import EMULATE_TEMPLATE
from hvsb.scenarios import build
from hvsb.scenarios import emulate as emulate_module
from hvsb.scenarios.emulate import PROMPT_HASH, emulate
from hvsb.scenarios.emulation_cache import default_path
from hvsb.scenarios.emulation_reply import (
    EMPTY_SCENARIO,
    NO_JSON,
    NO_SCENARIO_FIELD,
    SCENARIO_NOT_TEXT,
    parse_emulation,
)

STATEMENT = re.compile(r"\[statement\]: <(.*?)>\.\n", re.DOTALL)


def valid(sentence: str) -> str:
    """A well-formed reply whose scenario is derived from the sentence (checkable)."""
    return json.dumps(
        {
            "Emulator Thought": "1. ...",
            "Emulator Log Summary": "...",
            "SCENARIO": f"At work, everyone agreed: {sentence}",
            "EXPLANATION": f"It implies: {sentence}",
        }
    )


class ScriptedEmulator:
    """mockllm replies chosen by `script(sentence, attempt)`; counts calls per sentence."""

    def __init__(self, script: Callable[[str, int], str], fail_after: int | None = None):
        self.script = script
        self.fail_after = fail_after
        self.calls: Counter[str] = Counter()
        self.configs: list = []

    def __call__(self, messages, _tools, _tool_choice, config) -> ModelOutput:
        if self.fail_after is not None and sum(self.calls.values()) >= self.fail_after:
            raise ConnectionError("emulator backend went away")
        sentence = STATEMENT.search(messages[-1].text).group(1)
        self.calls[sentence] += 1
        self.configs.append(config)
        output = ModelOutput.from_content(
            "mockllm/model", self.script(sentence, self.calls[sentence])
        )
        # mockllm would otherwise count tokens with a tiktoken file it downloads.
        output.usage = ModelUsage(input_tokens=1, output_tokens=1, total_tokens=2)
        return output

    def model(self) -> Model:
        return get_model("mockllm/model", custom_outputs=self)


@pytest.fixture
def cache_home(tmp_path, monkeypatch) -> Path:
    """A private HVSB_CACHE, so the default cache path is under tmp_path."""
    monkeypatch.setenv("HVSB_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.fixture(scope="module")
def ss_sentences(data_dir):
    need_file(data_dir, "stereoset/dev.json")
    return build("ss", data_dir).scenarios[:6]


@pytest.mark.parametrize(
    ("reply", "scenario", "reason"),
    [
        ('{"SCENARIO": "S.", "EXPLANATION": "E."}', "S.", None),
        ('Sure!\n```json\n{"scenario": " S. "}\n```\nDone.', "S.", None),
        ('Here: {"Emulator Thought": "{x}", "Scenario": "S."} ok', "S.", None),
        ('{"Emulation": {"SCENARIO": "S."}}', "S.", None),
        ('{"a": 1} then {"SCENARIO": "S."}', "S.", None),
        ('```json\n{"SCENARIO": "S.", "EXPLANATION": "cut', None, NO_JSON),
        ("I cannot help with that.", None, NO_JSON),
        ("", None, NO_JSON),
        ('{"Emulator Thought": "..."}', None, NO_SCENARIO_FIELD),
        ('{"SCENARIO": ["S."]}', None, SCENARIO_NOT_TEXT),
        ('{"SCENARIO": "  "}', None, EMPTY_SCENARIO),
    ],
)
def test_parse_emulation(reply, scenario, reason):
    parsed = parse_emulation(reply)
    assert (parsed.scenario, parsed.reason) == (scenario, reason)


def test_emulation_replaces_sentences_retries_and_records_failures(ss_sentences, cache_home):
    sentences = [s.scenario for s in ss_sentences[:4]]
    replies = {
        sentences[0]: lambda s, n: valid(s),
        sentences[1]: lambda s, n: f"Here you go:\n```json\n{valid(s)}\n```",
        sentences[2]: lambda s, n: "Emulator Thought: ..." if n == 1 else valid(s),
        sentences[3]: lambda s, n: f"No JSON, attempt {n}",
    }
    emulator = ScriptedEmulator(lambda s, n: replies[s](s, n))

    result = emulate(ss_sentences[:4], emulator.model(), retries=2, progress=False)

    assert [emulator.calls[s] for s in sentences] == [1, 1, 2, 3]
    assert [s.id for s in result.scenarios] == [s.id for s in ss_sentences[:3]]
    for original, made in zip(ss_sentences, result.scenarios, strict=False):
        assert made.scenario == f"At work, everyone agreed: {original.scenario}"
        assert made.source["sentence"] == original.scenario
        assert made.source["emulation"] == {
            "model": "mockllm/model",
            "prompt_hash": PROMPT_HASH,
            "explanation": f"It implies: {original.scenario}",
        }
        assert (made.gold_label, made.category) == (original.gold_label, original.category)
    [failure] = result.failures
    assert failure["id"] == ss_sentences[3].id
    assert (failure["reason"], failure["attempts"], failure["raw"]) == (
        NO_JSON,
        3,
        "No JSON, attempt 3",
    )
    assert [r["raw"] for r in failure["earlier_replies"]] == [
        "No JSON, attempt 1",
        "No JSON, attempt 2",
    ]
    assert (result.generated, result.cached) == (4, 0)
    # PROTOCOL §2 decoding: temperature 0, 2000 tokens, structured JSON output.
    config = emulator.configs[0]
    assert (config.temperature, config.max_tokens) == (0, 2000)
    assert config.response_schema is not None
    assert "SCENARIO" in config.response_schema.json_schema.properties


def test_second_run_reads_the_cache_and_makes_no_calls(ss_sentences, cache_home):
    first = ScriptedEmulator(lambda s, n: valid(s))
    result = emulate(ss_sentences, first.model(), progress=False)
    assert sum(first.calls.values()) == 6

    again = ScriptedEmulator(lambda s, n: valid(s))
    rerun = emulate(ss_sentences, again.model(), progress=False)
    assert sum(again.calls.values()) == 0
    assert (rerun.cached, rerun.generated) == (6, 0)
    assert rerun.scenarios == result.scenarios

    records = [record for _, record in read_jsonl(default_path("ss"))]
    assert sorted(r["id"] for r in records) == sorted(s.id for s in ss_sentences)
    assert {(r["model"], r["prompt_hash"]) for r in records} == {("mockllm/model", PROMPT_HASH)}
    assert hashlib.sha256(EMULATE_TEMPLATE.encode("utf-8")).hexdigest() == PROMPT_HASH

    # The model name is part of the key: another emulator is asked afresh.
    other = ScriptedEmulator(lambda s, n: valid(s))
    emulate(ss_sentences[:2], get_model("mockllm/other", custom_outputs=other), progress=False)
    assert sum(other.calls.values()) == 2


def test_interrupted_run_resumes_without_redoing_finished_sentences(ss_sentences, tmp_path):
    cache = tmp_path / "emulation.jsonl"
    broken = ScriptedEmulator(lambda s, n: valid(s), fail_after=2)
    with pytest.raises(HvsbError, match=r"(?s)ConnectionError.*run the same command again"):
        emulate(ss_sentences, broken.model(), cache=cache, concurrency=1, progress=False)
    finished = [record["id"] for _, record in read_jsonl(cache)]
    assert len(finished) == 2

    resumed = ScriptedEmulator(lambda s, n: valid(s))
    result = emulate(ss_sentences, resumed.model(), cache=cache, concurrency=3, progress=False)
    assert sum(resumed.calls.values()) == 4
    assert not {s for s in resumed.calls} & {s.scenario for s in ss_sentences if s.id in finished}
    assert [s.id for s in result.scenarios] == [s.id for s in ss_sentences]
    assert (result.cached, result.generated) == (2, 4)


def test_requests_run_concurrently_within_the_bound(ss_sentences, tmp_path):
    in_flight = peak = 0

    async def slow(messages, _tools, _tool_choice, _config) -> ModelOutput:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.05)
        in_flight -= 1
        output = ModelOutput.from_content("mockllm/model", valid("x"))
        output.usage = ModelUsage(input_tokens=1, output_tokens=1, total_tokens=2)
        return output

    model = get_model("mockllm/model", custom_outputs=slow)
    result = emulate(ss_sentences, model, cache=tmp_path / "c.jsonl", concurrency=3, progress=False)
    assert len(result.scenarios) == 6
    assert peak == 3


def test_failures_count_as_finished_until_retry_failures(ss_sentences, tmp_path):
    cache = tmp_path / "emulation.jsonl"
    flaky = ScriptedEmulator(lambda s, n: "no json" if s == ss_sentences[1].scenario else valid(s))
    first = emulate(ss_sentences[:3], flaky.model(), cache=cache, retries=0, progress=False)
    assert [f["id"] for f in first.failures] == [ss_sentences[1].id]

    idle = ScriptedEmulator(lambda s, n: valid(s))
    emulate(ss_sentences[:3], idle.model(), cache=cache, progress=False)
    assert sum(idle.calls.values()) == 0  # the recorded failure is a finished result

    fixed = ScriptedEmulator(lambda s, n: valid(s))
    retried = emulate(
        ss_sentences[:3], fixed.model(), cache=cache, retry_failures=True, progress=False
    )
    assert dict(fixed.calls) == {ss_sentences[1].scenario: 1}
    assert (len(retried.scenarios), retried.failures) == (3, [])
    # Append-only: the failure stays in the file, the later success wins.
    assert [r["ok"] for _, r in read_jsonl(cache)].count(False) == 1


def test_torn_last_line_is_dropped_and_redone(ss_sentences, tmp_path):
    cache = tmp_path / "emulation.jsonl"
    emulate(
        ss_sentences[:2],
        ScriptedEmulator(lambda s, n: valid(s)).model(),
        cache=cache,
        progress=False,
    )
    lines = cache.read_text(encoding="utf-8").splitlines(keepends=True)
    cache.write_text(lines[0] + lines[1][:40], encoding="utf-8")  # killed mid-write

    emulator = ScriptedEmulator(lambda s, n: valid(s))
    result = emulate(ss_sentences[:2], emulator.model(), cache=cache, progress=False)
    assert sum(emulator.calls.values()) == 1
    assert any("unfinished last line" in note for note in result.notes)
    assert len(list(read_jsonl(cache))) == 2


def test_malformed_cache_line_names_file_and_line(ss_sentences, tmp_path):
    cache = tmp_path / "emulation.jsonl"
    cache.write_text('{"id": "ss:x:pro"}\n', encoding="utf-8")
    with pytest.raises(DataFileError, match=r"emulation\.jsonl, line 1: field 'model'"):
        emulate(ss_sentences[:1], "mockllm/model", cache=cache, progress=False)


def test_other_datasets_are_refused(data_dir, tmp_path):
    need_file(data_dir, "biasdpo/dataset.jsonl")
    scenario = build("biasdpo", data_dir).scenarios[0]
    with pytest.raises(HvsbError, match="ss and cp"):
        emulate([scenario], "mockllm/model", cache=tmp_path / "c.jsonl")


def _cli_build(data_dir: Path, tmp_path: Path, *options: str) -> list[str]:
    return [
        "scenarios", "build", "--dataset", "cp", "--data-dir", str(data_dir), "--limit", "3",
        "--mode", "emulated", "--emulator-model", "mockllm/model",
        "--emulation-cache", str(tmp_path / "cache.jsonl"), "--out", str(tmp_path / "cp.jsonl"),
        *options,
    ]  # fmt: skip


def test_cli_writes_emulated_scenarios_and_lists_failures(data_dir, tmp_path, monkeypatch, capsys):
    need_file(data_dir, "crows_pairs/crows_pairs_anonymized.csv")
    first_seen: list[str] = []

    def script(sentence: str, _attempt: int) -> str:
        first_seen[:] = first_seen or [sentence]
        return "I will not write that." if sentence == first_seen[0] else valid(sentence)

    emulator = ScriptedEmulator(script)
    monkeypatch.setattr(emulate_module, "get_model", lambda name, **args: emulator.model())

    assert main(_cli_build(data_dir, tmp_path, "--retries", "1")) == 0
    records = {r["id"]: r for _, r in read_jsonl(tmp_path / "cache.jsonl")}
    [failed] = [i for i, r in records.items() if not r["ok"]]
    written = [r for _, r in read_jsonl(tmp_path / "cp.jsonl")]
    assert sorted(r["id"] for r in written) == sorted(i for i in records if i != failed)
    assert all(r["scenario"].startswith("At work") for r in written)
    assert all(r["source"]["emulation"]["model"] == "mockllm/model" for r in written)
    err = capsys.readouterr().err
    assert "1 sentence(s) left out" in err
    assert f"  {failed}: no_json" in err
    assert records[failed]["attempts"] == 2


def test_cli_fails_when_every_emulation_fails(data_dir, tmp_path, monkeypatch, capsys):
    need_file(data_dir, "crows_pairs/crows_pairs_anonymized.csv")
    emulator = ScriptedEmulator(lambda s, n: "I will not write that.")
    monkeypatch.setattr(emulate_module, "get_model", lambda name, **args: emulator.model())

    assert main(_cli_build(data_dir, tmp_path, "--retries", "0")) == 1
    assert not (tmp_path / "cp.jsonl").exists()
    assert "every emulation failed" in capsys.readouterr().err
    assert sum(emulator.calls.values()) == 3


@pytest.mark.model
def test_embedded_model_through_hf_records_raw_replies(data_dir, model_path, tmp_path, capsys):
    """Real backend: SmolLM2-135M via Inspect `hf/`, 2 SS sentences, 24 tokens.

    So few tokens cannot hold the JSON the prompt asks for, so failures are expected;
    the test checks what is recorded, not what the model says.
    """
    need_file(data_dir, "stereoset/dev.json")
    cache = tmp_path / "ss.jsonl"
    out = tmp_path / "ss_emulated.jsonl"
    argv = ["scenarios", "build", "--dataset", "ss", "--data-dir", str(data_dir)]
    argv += ["--limit", "2", "--mode", "emulated", "--emulator-model", f"hf/{model_path}"]
    argv += ["--emulator-max-tokens", "24", "--retries", "1", "--emulation-cache", str(cache)]
    argv += ["--out", str(out)]

    code = main(argv)
    records = [record for _, record in read_jsonl(cache)]
    assert len(records) == 2
    for record in records:
        assert record["model"] == f"hf/{model_path}"
        assert isinstance(record["raw"], str) and record["raw"]
        assert record["settings"] == {"temperature": None, "max_tokens": 24, "json_schema": True}
        assert record["reason"] == parse_emulation(record["raw"]).reason
        if not record["ok"]:
            assert record["attempts"] == 2
            assert len(record["earlier_replies"]) == 1
            # Greedy decoding (do_sample=False) repeats itself on the retry.
            assert record["earlier_replies"][0]["raw"] == record["raw"]
    succeeded = {r["id"] for r in records if r["ok"]}
    assert code == (0 if succeeded else 1)
    assert out.exists() == bool(succeeded)
    err = capsys.readouterr().err
    assert all(r["id"] in err for r in records if not r["ok"])

    # A second run is served from the cache: the model is not even loaded.
    assert main(argv) == code
    assert "0 emulated now, 2 from cache" in capsys.readouterr().err
