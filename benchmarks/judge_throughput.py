"""Judge throughput of hvsb's paths on one model, side by side (issue 8).

Every model row judges the same N BBQ scenarios (`select("bbq", limit=N, seed=0)`,
handed to the tasks as `scenarios_file`) with the same prompts; generation rows decode
greedily to the same max new tokens. Each row runs in its own subprocess, twice: with N
scenarios and with 1, so the table shows end-to-end wall time (imports, model load, server
start included) and the steady rate `(N - 1) / (wall_N - wall_1)` that a long run sees.

Rows:
  a     the original release's loop: one prompt per `model.generate` call (float32, the
        faster dtype for that loop on this CPU);
  b     hvsb_bbq through lm-eval `--model hf` (batch size 32);
  c     hvsb/judge through Inspect `hf/` (32 connections = its batch size);
  d     hvsb prompts through `transformers serve --continuous-batching`, 32 concurrent
        requests;
  c16   as c with `--max-tokens 16` (hvsb's documented short-judgment option);
  ll-b  hvsb_bbq_ll (log-likelihood mode) through lm-eval, batch size 32, in `--ll-dtype`
        (default bfloat16);
  ll-c  hvsb/judge -T mode=loglikelihood through Inspect, in `--ll-dtype`;
  build, report  scale rows: `hvsb scenarios build` of all BBQ files, `hvsb report` over
        100,000 judged samples.

Columns: scenarios/s and generated tokens/s (steady), the ratio to (a), the share of labels
equal to (a)'s, model-FLOPs utilisation (2 x parameters x processed tokens / steady time,
over this machine's dense matmul rate in the row's dtype, measured here with torch), and
the peak RSS of the row's process tree.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

BIN = Path(sys.executable).parent
REPO = Path(__file__).resolve().parent.parent
ENV = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "HVSB_NO_DOWNLOAD": "1"}
Replies = dict[str, str]  # scenario id -> reply text


@dataclass(frozen=True)
class RowSpec:
    label: str
    dtype: str  # the dtype the model runs in ("" for scale rows)
    mode: str  # generate, ll-inspect, ll-lm-eval or scale


def ll_rows(dtype: str) -> dict[str, RowSpec]:
    """The log-likelihood rows in `dtype` (`--ll-dtype`): bfloat16 is their fast path on a
    CPU with bf16 matrix units, float32 where bf16 has no fast kernel (AVX2 only)."""
    return {
        "ll-b": RowSpec(f"(ll) lm-eval hvsb_bbq_ll, {dtype}, batch 32", dtype, "ll-lm-eval"),
        "ll-c": RowSpec(f"(ll) Inspect -T mode=loglikelihood, {dtype}", dtype, "ll-inspect"),
    }


ROWS = {
    "a": RowSpec("(a) original loop, one prompt per generate", "float32", "generate"),
    "b": RowSpec("(b) lm-eval --model hf, batch 32", "float32", "generate"),
    "c": RowSpec("(c) Inspect hf/, 32 connections", "float32", "generate"),
    "d": RowSpec("(d) transformers serve, continuous batching", "float32", "generate"),
    "c16": RowSpec("(c) Inspect hf/, --max-tokens 16", "float32", "generate"),
    **ll_rows("bfloat16"),
    "build": RowSpec("scale: hvsb scenarios build, all BBQ", "", "scale"),
    "report": RowSpec("scale: hvsb report, 100,000 samples", "", "scale"),
}


def scenarios(args: argparse.Namespace, n: int) -> list:
    from hvsb.scenarios import select

    return select("bbq", data_dir=args.data_dir, limit=n, seed=0)


def row_a(args: argparse.Namespace, work: Path, n: int) -> Replies:
    """One prompt per generate call, greedy, float32."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from hvsb.prompts import judge_prompt

    tok = AutoTokenizer.from_pretrained(args.model)
    model = AutoModelForCausalLM.from_pretrained(args.model, dtype=torch.float32)
    replies = {}
    for scenario in scenarios(args, n):
        chat = [{"role": "user", "content": judge_prompt("bbq", scenario.scenario)}]
        ids = tok.apply_chat_template(
            chat, add_generation_prompt=True, return_tensors="pt", return_dict=True
        )
        with torch.no_grad():
            out = model.generate(**ids, max_new_tokens=args.max_tokens, do_sample=False)
        reply = tok.decode(out[0, ids["input_ids"].shape[1] :], skip_special_tokens=True)
        replies[scenario.id] = reply
    return replies


def lm_eval_judge(
    args: argparse.Namespace,
    work: Path,
    n: int,
    task: str,
    model: str,
    model_args: str,
    env: dict,
    extra: list[str],
) -> Replies:
    """`hvsb lm-eval --tasks TASK` on the benchmark's scenarios (greedy for hvsb_bbq)."""
    from hvsb.tasks.lm_eval.samples import read_samples

    out = Path(tempfile.mkdtemp(prefix=f"lm-{model}-{task}-{n}-", dir=work))
    meta = json.dumps({"data_dir": args.data_dir, "scenarios_file": str(work / "scen.jsonl")})
    cmd = [str(BIN / "hvsb"), "lm-eval", "--model", model, "--model_args", model_args]
    cmd += ["--tasks", task, "--metadata", meta, "--apply_chat_template"]
    cmd += ["--limit", str(n), "--output_path", str(out), "--log_samples", *extra]
    if task == "hvsb_bbq":
        cmd += ["--gen_kwargs", f"max_gen_toks={args.max_tokens},do_sample=False"]
    subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL)
    (samples,) = out.rglob(f"samples_{task}_*.jsonl")
    return {r["id"]: r["reply"] for r in read_samples(samples)}


def _lm_eval(args: argparse.Namespace, work: Path, n: int, task: str, dtype: str) -> Replies:
    """lm-eval's hf model, 32 documents per batch."""
    model_args = f"pretrained={args.model},dtype={dtype}"
    return lm_eval_judge(args, work, n, task, "hf", model_args, ENV, ["--batch_size", "32"])


def inspect_judge(
    args: argparse.Namespace, work: Path, n: int, model: str, env: dict, extra: list[str]
) -> Replies:
    """`inspect eval hvsb/judge` on the benchmark's scenarios, logged in Inspect's default
    format (`.eval`, what `hvsb run` writes; the JSON format rewrites its whole file at
    every flush, a cost that grows with N)."""
    from hvsb.tasks.inspect.logs import read_log

    out = Path(tempfile.mkdtemp(prefix=f"ins-{model.split('/')[0]}-{n}-", dir=work))
    cmd = [str(BIN / "inspect"), "eval", "hvsb/judge", "-T", "dataset=bbq"]
    cmd += ["-T", f"scenarios_file={work / 'scen.jsonl'}", "--model", model]
    cmd += ["--limit", str(n), "--log-dir", str(out), "--display", "none", *extra]
    subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL)
    (log,) = out.glob("*.eval")
    return {r["id"]: r["reply"] for r in read_log(log)}


def _inspect(args: argparse.Namespace, work: Path, n: int, extra: list[str]) -> Replies:
    """hvsb/judge through Inspect's hf/ provider, greedy, 32 connections."""
    extra = ["-M", "do_sample=false", "--max-connections", "32", *extra]
    return inspect_judge(args, work, n, f"hf/{args.model}", ENV, extra)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_healthy(server: subprocess.Popen, url: str, limit_s: float = 300) -> None:
    """Poll the server's health endpoint (short timeouts: a request sent while the server
    starts can hang for good) until it answers 200."""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline and server.poll() is None:
        try:
            with urllib.request.urlopen(url, timeout=2) as reply:
                if reply.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise RuntimeError("transformers serve did not become ready")


def row_d(args: argparse.Namespace, work: Path, n: int) -> Replies:
    """`transformers serve --continuous-batching` and 32 concurrent chat requests."""
    from openai import OpenAI

    from hvsb.prompts import judge_prompt

    port = free_port()
    cmd = [str(BIN / "transformers"), "serve", args.model, "--continuous-batching"]
    cmd += ["--port", str(port), "--host", "127.0.0.1", "--dtype", "float32", "--device", "cpu"]
    server = subprocess.Popen(cmd, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until_healthy(server, f"http://127.0.0.1:{port}/health")
        client = OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key="x", max_retries=0)

        def ask(scenario) -> tuple[str, str]:
            reply = client.chat.completions.create(
                model=args.model,
                messages=[{"role": "user", "content": judge_prompt("bbq", scenario.scenario)}],
                max_tokens=args.max_tokens,
                temperature=0,
            )
            return scenario.id, reply.choices[0].message.content or ""

        with ThreadPoolExecutor(32) as pool:
            return dict(pool.map(ask, scenarios(args, n)))
    finally:
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def row_build(args: argparse.Namespace, work: Path, n: int) -> Replies:
    cmd = [str(BIN / "hvsb"), "scenarios", "build", "--dataset", "bbq"]
    cmd += ["--data-dir", args.data_dir, "--out", str(work / "bbq.jsonl")]
    subprocess.run(cmd, check=True, env=ENV, stdout=subprocess.DEVNULL)
    return {}


def write_samples(args: argparse.Namespace, folder: Path) -> None:
    """100,000 judged samples in lm-eval's samples format (real BBQ records, cycled)."""
    records = [s.to_dict() for s in scenarios(args, None)]
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "samples_hvsb_bbq_2026-01-01T00-00-00.jsonl", "w") as out:
        for i in range(args.report_rows):
            reply = ("Biased." if i % 3 else "Unbiased.") + " The scenario relies on a stereotype."
            doc = records[i % len(records)] | {"id": f"{records[i % len(records)]['id']}#{i}"}
            out.write(json.dumps({"doc_id": i, "doc": doc, "resps": [[reply]]}) + "\n")


def row_report(args: argparse.Namespace, work: Path, n: int) -> Replies:
    cmd = [str(BIN / "hvsb"), "report", str(work / "samples"), "--out", str(work / "rep")]
    subprocess.run(cmd, check=True, env=ENV, stdout=subprocess.DEVNULL)
    return {}


RUNNERS: dict[str, Callable[[argparse.Namespace, Path, int], Replies]] = {
    "a": row_a,
    "b": lambda a, w, n: _lm_eval(a, w, n, "hvsb_bbq", "float32"),
    "c": lambda a, w, n: _inspect(a, w, n, ["--max-tokens", str(a.max_tokens)]),
    "d": row_d,
    "c16": lambda a, w, n: _inspect(a, w, n, ["--max-tokens", "16"]),
    "ll-b": lambda a, w, n: _lm_eval(a, w, n, "hvsb_bbq_ll", a.ll_dtype),
    "ll-c": lambda a, w, n: _inspect(
        a, w, n, ["-T", "mode=loglikelihood", "-M", f"dtype={a.ll_dtype}"]
    ),
    "build": row_build,
    "report": row_report,
}


def measure(
    row: str, args: argparse.Namespace, work: Path, n: int, script: str = __file__, extra=()
) -> dict:
    """Wall time, peak RSS of the child tree (wait4) and replies of one row run of `script`
    (this file, or another benchmark that takes the same child options, plus `extra`)."""
    out = work / f"{row}-{n}.json"
    cmd = [sys.executable, script, "--child", row, "--child-n", str(n), "--work", str(work)]
    cmd += ["--child-out", str(out), "--model", args.model, "--data-dir", args.data_dir]
    cmd += ["--max-tokens", str(args.max_tokens), "--report-rows", str(args.report_rows), *extra]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=ENV, start_new_session=True)
    timer = threading.Timer(args.row_timeout, os.killpg, (proc.pid, signal.SIGKILL))
    timer.start()
    _, status, usage = os.wait4(proc.pid, 0)
    timer.cancel()
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        code = os.waitstatus_to_exitcode(status)
        why = f"killed after {args.row_timeout} s" if code == -signal.SIGKILL else f"exit {code}"
        return {"error": why, "wall": wall}
    return {"wall": wall, "rss_mib": usage.ru_maxrss / 1024, "replies": json.loads(out.read_text())}


def matmul_rate(dtype_name: str, budget_s: float = 5.0) -> float:
    """Best dense matmul FLOP/s of this machine in a dtype (torch, square matrices up to 2048).

    Time-bounded: where a dtype has no fast kernel (bf16 on an AVX2-only CPU runs at about
    1 GFLOP/s) a 2048 product takes a minute, so the measure stops at the size it reached.
    """
    import torch

    dtype, best = getattr(torch, dtype_name), 0.0
    for size in (512, 2048):
        a, b = torch.randn(size, size, dtype=dtype), torch.randn(size, size, dtype=dtype)
        torch.matmul(a, b)
        began = time.perf_counter()
        for _ in range(10):
            start = time.perf_counter()
            torch.matmul(a, b)
            best = max(best, 2 * size**3 / (time.perf_counter() - start))
            if time.perf_counter() - began > budget_s:
                break
        if 2 * 2048**3 / best > budget_s:
            break
    return best


class Counter:
    """Token counts of the benchmark's prompts and replies with the model's tokenizer."""

    def __init__(self, args: argparse.Namespace) -> None:
        from transformers import AutoTokenizer

        from hvsb.prompts import judge_prompt

        self.tok = AutoTokenizer.from_pretrained(args.model)
        chats = {
            s.id: [{"role": "user", "content": judge_prompt("bbq", s.scenario)}]
            for s in scenarios(args, args.n)
        }
        self.prompt = {
            i: len(
                self.tok.apply_chat_template(c, add_generation_prompt=True, return_dict=True)[
                    "input_ids"
                ]
            )
            for i, c in chats.items()
        }
        self.prefix = len(self.tok.encode("Judgment:", add_special_tokens=False))
        self.choices = [len(self.tok.encode(c, add_special_tokens=False)) for c in LL_CHOICES]

    def generated(self, replies: Replies) -> int:
        return sum(len(self.tok.encode(r, add_special_tokens=False)) for r in replies.values())

    def processed(self, mode: str, replies: Replies) -> int:
        """Tokens the model's forward passes process for these replies."""
        prompts = sum(self.prompt[i] for i in replies)
        if mode == "generate":
            return prompts + self.generated(replies)
        contexts = prompts + self.prefix * len(replies)
        if mode == "ll-inspect":  # the prompt once, then both continuations from its cache
            return contexts + sum(self.choices) * len(replies)
        return 2 * contexts + sum(self.choices) * len(replies)  # one request per choice


LL_CHOICES = (" BIASED", " UNBIASED")


def table(args: argparse.Namespace, results: dict[str, dict], counter: Counter) -> list[str]:
    from hvsb.scorers import parse_judgment

    rates = {d: matmul_rate(d) for d in ("float32", "bfloat16")}
    specs = ROWS | ll_rows(args.ll_dtype)
    base = results.get("a", {}).get("full", {})
    base_rate = _steady(results["a"]) if "replies" in base else None
    base_labels = {i: parse_judgment(r) for i, r in base.get("replies", {}).items()}
    lines = [
        "| row | wall s (N) | wall s (1) | scenarios/s | gen tok/s | vs (a) | labels = (a) "
        "| MFU | peak RSS MiB |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row, result in results.items():
        spec, full, one = specs[row], result["full"], result.get("one", {})
        if "error" in full or "error" in one:
            lines.append(f"| {spec.label} | failed: {full.get('error') or one.get('error')} |")
            continue
        if spec.mode == "scale":
            lines.append(f"| {spec.label} | {full['wall']:.1f} | | | | | | | "
                         f"{full['rss_mib']:.0f} |")  # fmt: skip
            continue
        replies, rate = full["replies"], _steady(result)
        if rate <= 0:
            lines.append(f"| {spec.label} | {full['wall']:.1f} | {one['wall']:.1f} | too few "
                         "scenarios to separate start-up from judging |")  # fmt: skip
            continue
        seconds = (len(replies) - 1) / rate
        gen = counter.generated(replies) if spec.mode == "generate" else 0
        flops = 2 * args.params * counter.processed(spec.mode, replies) / seconds
        same = [parse_judgment(r) == base_labels[i] for i, r in replies.items() if i in base_labels]
        lines.append(
            f"| {spec.label} | {full['wall']:.1f} | {one['wall']:.1f} | {rate:.2f} "
            f"| {gen / seconds:.1f} | {rate / base_rate:.1f}x "
            f"| {100 * sum(same) / max(len(same), 1):.0f} % "
            f"| {100 * flops / rates[spec.dtype]:.0f} % ({spec.dtype}) | {full['rss_mib']:.0f} |"
        )
    lines += [
        "",
        f"Dense matmul rate measured here: float32 {rates['float32'] / 1e9:.0f} GFLOP/s, "
        f"bfloat16 {rates['bfloat16'] / 1e9:.0f} GFLOP/s.",
    ]
    return lines


def _steady(result: dict) -> float:
    """Scenarios per second once started: (N - 1) / (work_N - work_1), where a run's work
    is its wall time less the engine start it recorded, if any (study_throughput's vLLM
    rows), so that model load and engine start are excluded."""
    n = len(result["full"]["replies"])
    spent = _work(result["full"]) - _work(result["one"])
    return (n - 1) / spent if spent > 0 else 0.0


def _work(run: dict) -> float:
    return run["wall"] - run.get("engine", 0.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=str(Path.home() / ".cache/hvsb/models/smollm2"))
    parser.add_argument("--data-dir", default=str(REPO.parent / "shared" / "data"))
    parser.add_argument("--n", type=int, default=128, help="judge prompts (default 128)")
    parser.add_argument("--max-tokens", type=int, default=512, help="max new tokens (paper: 512)")
    parser.add_argument("--rows", default=",".join(ROWS), help=f"from {', '.join(ROWS)}")
    parser.add_argument("--ll-dtype", default="bfloat16", help="dtype of the ll rows")
    parser.add_argument("--report-rows", type=int, default=100_000)
    parser.add_argument("--row-timeout", type=int, default=1200, help="seconds per row run")
    parser.add_argument("--results", default=str(Path(__file__).with_name("RESULTS.md")))
    for hidden in ("--child", "--child-out", "--work"):
        parser.add_argument(hidden, help=argparse.SUPPRESS)
    parser.add_argument("--child-n", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        replies = RUNNERS[args.child](args, Path(args.work), args.child_n)
        Path(args.child_out).write_text(json.dumps(replies))
        return
    rows = args.rows.split(",")
    unknown = sorted(set(rows) - set(ROWS))
    if unknown:
        parser.error(f"unknown rows {unknown}; expected some of {', '.join(ROWS)}")
    if "a" not in rows:
        parser.error("row a (the baseline) is required")

    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    from hvsb.jsonl import write_jsonl

    config = AutoConfig.from_pretrained(args.model)
    args.params = sum(p.numel() for p in AutoModelForCausalLM.from_config(config).parameters())
    counter = Counter(args)
    load = os.getloadavg()
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        write_jsonl(work / "scen.jsonl", [s.to_dict() for s in scenarios(args, args.n)])
        if "report" in rows:
            write_samples(args, work / "samples" / "synthetic")
        for row in rows:
            print(f"row {row} ...", file=sys.stderr, flush=True)
            results[row] = {"full": measure(row, args, work, args.n)}
            if ROWS[row].mode != "scale":
                results[row]["one"] = measure(row, args, work, 1)
    head = [
        f"Machine: {platform.machine()} {_cpu_name()}, {os.cpu_count()} CPUs, torch "
        f"{torch.__version__}; load average at start {load[0]:.2f}.",
        f"Model: {args.model} ({args.params / 1e6:.1f} M parameters); N = {args.n} BBQ judge "
        f"prompts ({sum(counter.prompt.values())} prompt tokens with the chat template); "
        f"generation rows greedy, max new tokens {args.max_tokens} unless the row says otherwise.",
        "Command: `python benchmarks/judge_throughput.py "
        + " ".join(a for a in sys.argv[1:])
        + "`",
        "",
    ]
    text = "\n".join(head + table(args, results, counter)) + "\n"
    print(text)
    Path(args.results).write_text("# Judge throughput results\n\n" + text)


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


if __name__ == "__main__":
    main()
