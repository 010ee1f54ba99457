"""`hvsb run` with an `emulate:` step: SS is judged on LLM-written scenarios, as the paper
did (PROTOCOL §2), and what cannot be emulated is reported, never judged as something else.

Two emulators, both OpenAI-compatible servers on 127.0.0.1: the embedded SmolLM2 through
`transformers serve` — too small to write the JSON the prompt asks for (see
tests/scenarios/test_emulate.py), so every sentence fails and is kept with its raw reply —
and a scripted server answering the emulation prompt with well-formed JSON, a stand-in for
the paper's GPT-4o (tests/support/fault_server.py), through which the judged samples are
shown to be exactly the emulated scenarios. The judge is the embedded model in both.
"""

from __future__ import annotations

import json
from pathlib import Path

from support.cli import run_cli
from support.fault_server import fault_server

from hvsb.jsonl import read_jsonl
from hvsb.tasks.inspect.logs import read_log

STUDY = """\
name: emulated
output_dir: {out}
data_dir: {data}
datasets: [ss, biasdpo]
attacks: [none]
emulate: {{model: "openai-api/emu/{name}", base_url: "{url}", max_tokens: 48, retries: 0}}
judge: {{limit: 2, max_tokens: 8}}
explain: {{enabled: false}}
agree: {{enabled: false}}
"""


def _study(tmp_path: Path, data_dir: Path, url: str, name: str) -> tuple[Path, Path]:
    out = tmp_path / "out"
    path = tmp_path / "study.yaml"
    path.write_text(STUDY.format(out=out, data=data_dir, url=url, name=name), encoding="utf-8")
    return path, out


def test_the_embedded_model_cannot_emulate_and_ss_is_not_judged_raw(
    tmp_path, data_dir, model_path, served_model, monkeypatch
):
    monkeypatch.setenv("EMU_API_KEY", "unused")
    # the server is pinned to the model folder and wants its path as the model name
    study, out = _study(tmp_path, data_dir, served_model, str(model_path))
    code, _, err = run_cli(["run", str(study), "--no-report"])
    assert code == 1
    assert "FAILED emulate[ss]: every sentence failed; not judged" in err
    records = [record for _, record in read_jsonl(out / "emulation" / "ss.jsonl")]
    assert len(records) == 2 and not any(r["ok"] for r in records)
    assert all(isinstance(r["raw"], str) and r["raw"] for r in records)  # kept, not dropped
    judged = {row["dataset"] for log in (out / "logs").rglob("*.eval") for row in read_log(log)}
    assert judged == {"biasdpo"}  # SS was not judged as raw sentences instead


def test_judged_ss_samples_are_the_emulated_scenarios(tmp_path, data_dir, model_path, monkeypatch):
    monkeypatch.setenv("EMU_API_KEY", "unused")
    with fault_server() as (url, script):
        study, out = _study(tmp_path, data_dir, url, "gpt-4o-stand-in")
        code, _, err = run_cli(["run", str(study), "--dry-run"])
        assert code == 0 and "emulate[openai-api/emu/gpt-4o-stand-in] dataset=ss" in err
        code, _, err = run_cli(["run", str(study)])
    assert code == 0, err
    assert len(script.served) == 2  # one emulation per judged sentence
    emulated = {
        record["id"]: json.loads(record["raw"])["SCENARIO"]
        for _, record in read_jsonl(out / "emulation" / "ss.jsonl")
    }
    rows = [
        row
        for log in (out / "logs" / "judge").rglob("*.eval")
        for row in read_log(log)
        if row["dataset"] == "ss"
    ]
    assert {row["id"]: row["scenario"] for row in rows} == emulated
    assert {row["scenario_mode"] for row in rows} == {"emulated"}
    assert "LLM-emulated" in (out / "report" / "report.md").read_text(encoding="utf-8")
