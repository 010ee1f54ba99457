"""Batched continuation scoring with a local transformers model: summed log-probabilities.

`score_batch` runs the prompts once (prefill) with a KV cache; the cache is repeated for
the continuations and their tokens are scored from it, so neither the prompt nor any
generation is repeated. Log-softmax is taken in float32 whatever the model's dtype.
`LoglikelihoodBatcher` gathers the requests of concurrent asyncio tasks (e.g. Inspect
samples) into shared left-padded forward passes, run in a worker thread.
Knows nothing of Inspect or lm-eval: the Inspect judge's log-likelihood mode calls it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import anyio
import torch

# A batch is flushed after this long without a new request: 5% of the last forward
# pass, between 10 ms (fast GPUs) and 1 s (CPUs, where a pass takes seconds and samples
# start at a slower pace), so stragglers join at a small, bounded cost.
IDLE_MIN_S, IDLE_MAX_S, IDLE_SHARE = 0.01, 1.0, 0.05


def _left_pad(rows: Sequence[Sequence[int]], pad: int) -> tuple[torch.Tensor, torch.Tensor]:
    width = max(len(r) for r in rows)
    ids = torch.tensor([[pad] * (width - len(r)) + list(r) for r in rows], dtype=torch.long)
    mask = torch.tensor([[0] * (width - len(r)) + [1] * len(r) for r in rows], dtype=torch.long)
    return ids, mask


def _right_pad(rows: Sequence[Sequence[int]], pad: int) -> tuple[torch.Tensor, torch.Tensor]:
    width = max(len(r) for r in rows)
    ids = torch.tensor([list(r) + [pad] * (width - len(r)) for r in rows], dtype=torch.long)
    mask = torch.tensor([[1] * len(r) + [0] * (width - len(r)) for r in rows], dtype=torch.long)
    return ids, mask


@torch.inference_mode()
def score_batch(
    model: Any, contexts: Sequence[Sequence[int]], continuations: Sequence[Sequence[int]]
) -> list[list[float]]:
    """Summed log-probs of each continuation after each context: [context][continuation].

    One prefill of the left-padded contexts (explicit position ids, so padding shifts
    nothing), its KV cache repeated once per continuation, then one pass over the
    continuations' tokens (right-padded, their positions following each context).
    """
    device = model.device
    n_cont = len(continuations)
    pad = 0  # any id: padded positions are masked out
    ids, mask = _left_pad(contexts, pad)
    ids, mask = ids.to(device), mask.to(device)
    positions = (mask.cumsum(-1) - 1).clamp(min=0)
    prefill = model(
        input_ids=ids,
        attention_mask=mask,
        position_ids=positions,
        use_cache=True,
        logits_to_keep=1,
    )
    first = torch.log_softmax(prefill.logits[:, -1, :].float(), dim=-1)  # [batch, vocab]
    totals = torch.stack([first[:, cont[0]] for cont in continuations], dim=1)  # [batch, n_cont]
    tails = [list(cont[:-1]) for cont in continuations]
    if max(len(c) for c in continuations) > 1:
        cache = prefill.past_key_values
        cache.batch_repeat_interleave(n_cont)
        tail_ids, tail_mask = _right_pad(tails, pad)
        batch = len(contexts)
        tail_ids = tail_ids.repeat(batch, 1).to(device)  # row b*n_cont + j
        tail_mask = tail_mask.repeat(batch, 1).to(device)
        lengths = mask.sum(-1).repeat_interleave(n_cont)  # real context length per row
        tail_positions = lengths[:, None] + torch.arange(tail_ids.shape[1], device=device)
        out = model(
            input_ids=tail_ids,
            attention_mask=torch.cat([mask.repeat_interleave(n_cont, dim=0), tail_mask], 1),
            position_ids=tail_positions,
            past_key_values=cache,
            use_cache=True,
        )
        logprobs = torch.log_softmax(out.logits.float(), dim=-1)
        logprobs = logprobs.view(batch, n_cont, tail_ids.shape[1], -1)
        for j, cont in enumerate(continuations):
            if len(cont) > 1:
                steps = torch.arange(len(cont) - 1, device=device)
                targets = torch.tensor(cont[1:], device=device)
                totals[:, j] += logprobs[:, j, steps, targets].sum(-1)
    return totals.cpu().tolist()


@dataclass
class _Request:
    context: list[int]
    continuations: list[list[int]]
    wake: anyio.Event = field(default_factory=anyio.Event)
    result: list[float] | None = None
    error: Exception | None = None
    done: bool = False
    rows: int = 0  # prompts in the forward pass that scored it

    def get(self) -> list[float]:
        if self.error is not None:
            raise self.error
        assert self.result is not None
        return self.result


class LoglikelihoodBatcher:
    """Batches the scoring requests of concurrent samples into shared forward passes.

    No background task: one waiting request leads, i.e. collects requests until
    `batch_size` of them or `idle_s` without a new one, runs the batch in a worker
    thread and wakes its requests; once its own result is in, it hands the lead to the
    next waiting request. A leader cancelled mid-batch puts the batch back in the queue.
    """

    def __init__(self, run: Callable[[list[_Request]], list[list[float]]], batch_size: int):
        self._run = run
        self.batch_size = max(1, batch_size)
        self._pending: list[_Request] = []
        self._leader: _Request | None = None
        self._loop: object = None
        self.idle_s = IDLE_MIN_S

    async def score(
        self, context: list[int], continuations: list[list[int]]
    ) -> tuple[list[float], int]:
        """Each continuation's summed log-prob, and the number of prompts in its batch."""
        self._same_loop()
        request = _Request(context, continuations)
        self._pending.append(request)
        if self._leader is not None:
            try:
                await request.wake.wait()
            except BaseException:
                if not request.done:
                    if request in self._pending:
                        self._pending.remove(request)
                    if self._leader is request:
                        self._pass_lead()
                raise
            if request.done:
                return request.get(), request.rows
        self._leader = request  # first request, or handed the lead
        try:
            while not request.done:
                await self._flush()
        finally:
            if request in self._pending:  # cancelled with its batch requeued
                self._pending.remove(request)
            self._pass_lead()
        return request.get(), request.rows

    async def _flush(self) -> None:
        seen = -1
        while len(self._pending) < self.batch_size and len(self._pending) != seen:
            seen = len(self._pending)
            await anyio.sleep(self.idle_s)
        batch = self._pending[: self.batch_size]
        del self._pending[: self.batch_size]
        results: list[list[float]] | None = None
        error: Exception | None = None
        start = time.monotonic()
        try:
            results = await anyio.to_thread.run_sync(self._run, batch)
            share = (time.monotonic() - start) * IDLE_SHARE
            self.idle_s = min(IDLE_MAX_S, max(IDLE_MIN_S, share))
        except Exception as ex:
            error = ex
        finally:
            if results is None and error is None:  # cancelled: requeue for the next leader
                self._pending[:0] = batch
        if results is None and error is None:
            return
        for i, item in enumerate(batch):
            item.result = results[i] if results is not None else None
            item.error, item.done, item.rows = error, True, len(batch)
            item.wake.set()

    def _pass_lead(self) -> None:
        waiting = [r for r in self._pending if not r.done]
        self._leader = waiting[0] if waiting else None
        if waiting:
            waiting[0].wake.set()

    def _same_loop(self) -> None:
        """Forget the queue of a previous event loop (an eval that was interrupted)."""
        try:
            loop: object = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        if loop is not self._loop:
            self._loop, self._pending, self._leader = loop, [], None


def batcher(owner: Any, model: Any, batch_size: int) -> LoglikelihoodBatcher:
    """The batcher scoring with `model`, kept on `owner` (e.g. the provider object that
    holds the model), so it lives as long as the model does."""
    known = getattr(owner, "_hvsb_loglikelihood_batcher", None)
    if known is None or known.batch_size != max(1, batch_size):

        def run(batch: list[_Request]) -> list[list[float]]:
            [continuations] = {tuple(map(tuple, r.continuations)) for r in batch}
            return score_batch(model, [r.context for r in batch], continuations)

        known = LoglikelihoodBatcher(run, batch_size)
        owner._hvsb_loglikelihood_batcher = known
    return known
