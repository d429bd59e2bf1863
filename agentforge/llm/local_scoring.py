"""Prompt states for the local back end: prefill (reusing a module's shared prefix), extend, score labels.

A mixin of `LocalModel`, kept apart from request handling: these are the torch primitives that label
scoring and guided JSON build on. Call them with the model lock held, in inference mode, with the request's
adapter active.
"""

from __future__ import annotations

import copy
import math
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

import torch

from agentforge.llm.local_guided import DecodeState

PREFIX_CACHE_ENTRIES = 4
"""Adapters whose last label/guided prompt keeps its KV cache: a module's system turn (its instructions and
label list) is the same on every call, so the next call prefills only what differs (usually the user turn)."""
SCORE_PASS_TOKENS = 32
"""Trie nodes one label-scoring pass takes (more when one subtree is bigger): every pass costs a fixed overhead,
a wider one may expand nodes that a finished label would have pruned."""
PREFIX_MIN_TOKENS = 16
"""Shorter shared prefixes are prefilled again: cropping and bookkeeping would cost more than they save."""


class PromptScoring:
    """KV-cache states of prompts, and label scoring over them (mixed into `LocalModel`)."""

    _hf: Any
    _cache_kw: str
    _keep_kw: str | None
    _end_text: str
    _prefixes: OrderedDict[str | None, tuple[list[int], DecodeState]]

    if TYPE_CHECKING:

        def _encode(self, text: str) -> list[int]: ...

    def _forward(self, ids: torch.Tensor, cache: Any, *, last_only: bool) -> tuple[torch.Tensor, Any]:
        kwargs: dict[str, Any] = {self._cache_kw: cache, "use_cache": True}
        if last_only and self._keep_kw is not None:
            kwargs[self._keep_kw] = 1
        out = self._hf(input_ids=ids, **kwargs)
        new_cache = out.get("cache")
        if new_cache is None:
            new_cache = out.get("past_key_values")
        return out.logits, new_cache

    def _prefill(self, ids: list[int]) -> DecodeState:
        logits, cache = self._forward(torch.tensor([ids]), None, last_only=True)
        return DecodeState(cache, torch.log_softmax(logits[0, -1].float(), dim=-1), len(ids))

    def _prefill_reusing(self, ids: list[int], adapter: str | None) -> DecodeState:
        """`_prefill`, starting from the longest prefix `ids` shares with this adapter's last prompt.

        The kept state is handed out, not copied: every user of a prompt state leaves its cache as it found
        it (`_extend` copies, `_score` crops back), so it still holds exactly its prompt when the next call
        crops it to their shared prefix and extends it.
        """
        entry = self._prefixes.pop(adapter, None)
        state: DecodeState | None = None
        if entry is not None:
            old_ids, old = entry
            pairs = enumerate(zip(old_ids, ids, strict=False))
            same = next((k for k, (a, b) in pairs if a != b), min(len(old_ids), len(ids)))
            if same == len(ids) == len(old_ids):
                state = old
            elif same >= PREFIX_MIN_TOKENS:
                keep = min(same, len(ids) - 1)  # at least one token goes in, for the next token's logits
                if old.length > keep:
                    old.cache.crop(-(old.length - keep))
                logits, cache = self._forward(torch.tensor([ids[keep:]]), old.cache, last_only=True)
                state = DecodeState(cache, torch.log_softmax(logits[0, -1].float(), dim=-1), len(ids))
        if state is None:
            state = self._prefill(ids)
        self._prefixes[adapter] = (list(ids), state)
        while len(self._prefixes) > PREFIX_CACHE_ENTRIES:
            self._prefixes.popitem(last=False)
        return state

    def _extend(self, state: DecodeState, ids: list[int]) -> DecodeState:
        if not ids:
            return state
        cache = copy.deepcopy(state.cache)
        logits, cache = self._forward(torch.tensor([ids]), cache, last_only=True)
        return DecodeState(cache, torch.log_softmax(logits[0, -1].float(), dim=-1), state.length + len(ids))

    def _score(self, state: DecodeState, continuations: list[list[int]]) -> dict[int, float]:
        """Exact summed log-likelihoods of the continuations worth finishing after `state`.

        The continuations form a trie, and a node's partial sum bounds every continuation below it
        (log-probabilities are never positive). Each forward pass takes the best-scored open nodes, whole subtrees
        of them up to `SCORE_PASS_TOKENS`, and finishes every continuation inside; a node whose partial sum is not
        above the best finished continuation is never opened. The result always holds the best continuation,
        exactly, and one left out cannot beat it. A pass costs a fixed ~70 ms on two cores plus ~3 ms a token,
        so a confident model settles 77 labels in one or two small passes, and an unsure one costs at most one
        pass more than scoring every label token. Nodes go in after the prompt's cache, each attending to the
        prompt and its own ancestors only (a 4D mask, positions by depth); the cache is cropped back afterwards.
        """
        known = state.length
        children: dict[tuple[int, ...], set[int]] = {}
        for c in continuations:
            for k in range(len(c)):
                children.setdefault(tuple(c[:k]), set()).add(c[k])
        sums: dict[tuple[int, ...], float] = {(t,): float(state.logprobs[t]) for t in children.get((), set())}
        rows: dict[tuple[int, ...], int] = {}
        ends = {tuple(c) for c in continuations}
        try:
            while True:
                best = max((sums[e] for e in ends if e in sums), default=-math.inf)
                open_nodes = [p for p in sums if p in children and p not in rows and sums[p] > best]
                if not open_nodes:
                    break
                batch: list[tuple[int, ...]] = []
                for node in sorted(open_nodes, key=lambda p: -sums[p]):
                    subtree = _subtree(node, children)
                    if batch and len(batch) + len(subtree) > SCORE_PASS_TOKENS:
                        break
                    batch += subtree
                logprobs = self._expand(state, batch, rows)
                for i, node in enumerate(batch):
                    for t in children[node]:
                        sums[(*node, t)] = sums[node] + float(logprobs[i, t])
        finally:
            grown = state.cache.get_seq_length() - known
            if grown > 0:
                state.cache.crop(-grown)  # a negative count removes tokens, in every transformers version
        return {i: sums[tuple(c)] for i, c in enumerate(continuations) if tuple(c) in sums}

    def _expand(
        self, state: DecodeState, nodes: list[tuple[int, ...]], rows: dict[tuple[int, ...], int]
    ) -> torch.Tensor:
        """Next-token log-probabilities after each trie node (parents before children), in one pass."""
        known, before, new = state.length, len(rows), len(nodes)
        for i, node in enumerate(nodes):
            rows[node] = before + i
        allowed = torch.zeros((new, known + before + new), dtype=torch.bool)
        allowed[:, :known] = True
        for i, node in enumerate(nodes):
            allowed[i, [known + rows[node[:k]] for k in range(1, len(node) + 1)]] = True
        mask = torch.zeros((1, 1, new, known + before + new), dtype=torch.float32)
        mask.masked_fill_(~allowed, torch.finfo(torch.float32).min)
        out = self._hf(
            input_ids=torch.tensor([[node[-1] for node in nodes]]),
            attention_mask=mask,
            position_ids=torch.tensor([[known + len(node) - 1 for node in nodes]]),
            **{self._cache_kw: state.cache, "use_cache": True},
        )
        return torch.log_softmax(out.logits[0].float(), dim=-1)

    def _choose(self, prompt: DecodeState, choices: list[str]) -> tuple[str, dict[str, float], int]:
        labels = list(dict.fromkeys(choices))
        continuations = [self._encode(label + self._end_text) for label in labels]
        sums = self._score(prompt, continuations)
        best = max(sums, key=lambda i: (sums[i], -i))
        return labels[best], {labels[i]: score for i, score in sorted(sums.items())}, len(continuations[best])


def _subtree(node: tuple[int, ...], children: dict[tuple[int, ...], set[int]]) -> list[tuple[int, ...]]:
    """`node` and every node below it that has children, parents first."""
    out = [node]
    for parent in out:
        out += [(*parent, t) for t in sorted(children[parent]) if (*parent, t) in children]
    return out
