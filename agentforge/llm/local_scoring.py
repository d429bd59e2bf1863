"""Prompt states for the local back end: prefill (reusing a module's shared prefix), extend, score labels.

A mixin of `LocalModel`, kept apart from request handling: these are the torch primitives that label
scoring and guided JSON build on. Call them with the model lock held, in inference mode, with the request's
adapter active.
"""

from __future__ import annotations

import copy
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

import torch

from agentforge.llm.local_guided import DecodeState

PREFIX_CACHE_ENTRIES = 4
"""Adapters whose last label/guided prompt keeps its KV cache: a module's system turn (its instructions and
label list) is the same on every call, so the next call prefills only what differs (usually the user turn)."""
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

    def _score(self, state: DecodeState, continuations: list[list[int]]) -> list[float]:
        """Summed log-likelihood of each continuation after `state`, in one forward pass.

        The continuations' proper prefixes form a trie; its nodes go in as one sequence after the prompt's
        cache, each attending to the prompt and to its own ancestors only (a 4D mask, positions by depth), so
        77 labels sharing prefixes cost about one prefill of their distinct tokens, with no copy of the cache.
        The cache is cropped back to the prompt afterwards.
        """
        sums = [float(state.logprobs[c[0]]) for c in continuations]
        rows: dict[tuple[int, ...], int] = {}
        tokens: list[int] = []
        ancestors: list[list[int]] = []
        for c in continuations:
            for k in range(1, len(c)):
                prefix = tuple(c[:k])
                if prefix not in rows:
                    parent = rows.get(prefix[:-1])
                    rows[prefix] = len(tokens)
                    tokens.append(c[k - 1])
                    ancestors.append([*(ancestors[parent] if parent is not None else []), rows[prefix]])
        if not tokens:
            return sums
        known, new = state.length, len(tokens)
        allowed = torch.zeros((new, known + new), dtype=torch.bool)
        allowed[:, :known] = True
        for row, line in enumerate(ancestors):
            allowed[row, [known + a for a in line]] = True
        mask = torch.zeros((1, 1, new, known + new), dtype=torch.float32)
        mask.masked_fill_(~allowed, torch.finfo(torch.float32).min)
        positions = torch.tensor([[known + len(line) - 1 for line in ancestors]])
        try:
            out = self._hf(
                input_ids=torch.tensor([tokens]),
                attention_mask=mask,
                position_ids=positions,
                **{self._cache_kw: state.cache, "use_cache": True},
            )
        finally:
            grown = state.cache.get_seq_length() - known
            if grown > 0:
                state.cache.crop(-grown)  # a negative count removes tokens, in every transformers version
        logprobs = torch.log_softmax(out.logits[0].float(), dim=-1)
        for i, c in enumerate(continuations):
            sums[i] += sum(float(logprobs[rows[tuple(c[:k])], c[k]]) for k in range(1, len(c)))
        return sums

    def _choose(self, prompt: DecodeState, choices: list[str]) -> tuple[str, dict[str, float], int]:
        labels = list(dict.fromkeys(choices))
        continuations = [self._encode(label + self._end_text) for label in labels]
        sums = self._score(prompt, continuations)
        best = max(range(len(labels)), key=lambda i: sums[i])
        return labels[best], dict(zip(labels, sums, strict=True)), len(continuations[best])
