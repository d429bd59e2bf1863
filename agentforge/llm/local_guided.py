"""Guided JSON for the local back end: a value written token by token under a `ValuePlan`.

A mixin of `LocalModel`, kept apart because it is the one part of the back end that steers decoding by hand:
enums and booleans are chosen by likelihood (a best-first search over the candidates), strings are greedy (one
line, no escapes), numbers are greedy over digit tokens then clamped, arrays stop when the model prefers `]`.
The torch primitives it uses (`_encode`, `_extend`, `_forward`, `_score`) belong to `LocalModel` and
`PromptScoring`.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import torch

from agentforge.llm.guided import (
    ValuePlan,
    dump_json,
    finish_number,
    finish_string,
    number_complete,
    number_prefix_ok,
)

STRING_MAX_TOKENS = 48
NUMBER_MAX_TOKENS = 16
_NUMERIC_CHARS = frozenset(" -.0123456789")


@dataclass
class DecodeState:
    """The model after reading some tokens: its KV cache and the log-probabilities of the next token.

    Every user leaves a state as it found it: extending works on a copy of its cache, label scoring crops
    back what it appended. The prefix cache (`PromptScoring._prefill_reusing`) relies on that.
    """

    cache: Any
    logprobs: torch.Tensor
    length: int


class GuidedDecoding:
    """Guided JSON decoding over a causal LM (mixed into `LocalModel`)."""

    _tokenizer: Any
    _hf: Any
    _end_text: str
    _end_id: int

    if TYPE_CHECKING:

        def _encode(self, text: str) -> list[int]: ...

        def _extend(self, state: DecodeState, ids: list[int]) -> DecodeState: ...

        def _forward(self, ids: torch.Tensor, cache: Any, *, last_only: bool) -> tuple[torch.Tensor, Any]: ...

        def _score(self, state: DecodeState, continuations: list[list[int]]) -> dict[int, float]: ...

    def _init_vocab_tables(self) -> None:
        """Vocabulary tables for guided decoding, built on first use."""
        self._token_text: list[str] | None = None
        self._string_banned: torch.Tensor | None = None
        self._quote_mask: torch.Tensor | None = None
        self._numeric_tokens: list[tuple[int, str]] | None = None
        self._prefix_ids: dict[str, torch.Tensor] = {}

    # --- guided JSON ---------------------------------------------------------------------------------

    def _emit(self, prompt: DecodeState, plan: ValuePlan, text: str, lead: str, after: str) -> str:
        """JSON text of one value, written after the assistant text `text` + `lead`, followed by one of the
        characters of `after` (or by the end of the turn)."""
        if plan.kind == "object":
            out = "{"
            last = len(plan.fields) - 1
            for i, (key, sub) in enumerate(plan.fields):
                out += ("" if i == 0 else ", ") + dump_json(key) + ":"
                out += " " + self._emit(prompt, sub, text + lead + out, " ", "," if i < last else "}")
            return out + "}"
        if plan.kind == "array":
            return self._array(prompt, plan, text + lead)
        state = self._extend(prompt, self._encode(text))
        if plan.kind == "choice":
            candidates = plan.candidates_json()
            if len(candidates) == 1:
                return candidates[0]
            continuations = [self._encode(lead + c + after[:1]) for c in candidates]
            sums = self._score(state, continuations)
            return candidates[max(sums, key=lambda i: (sums[i], -i))]
        if plan.nullable and self._prefers_null(state, plan, lead):
            return "null"
        if plan.kind == "string":
            return dump_json(finish_string(self._string(state, plan, lead), plan))
        return dump_json(finish_number(self._number(state, plan, lead, after), plan))

    def _array(self, prompt: DecodeState, plan: ValuePlan, text: str) -> str:
        """`[item, item]`: the model decides when to stop, between `minItems` and `maxItems` items."""
        assert plan.items is not None  # plan_schema always sets it for arrays
        out = "["
        if plan.min_items == 0 and self._closes(prompt, text + out, self._item_openers(plan.items)):
            return "[]"
        count = 0
        while True:
            lead = "" if count == 0 else " "
            out += lead + self._emit(prompt, plan.items, text + out, lead, ",]")
            count += 1
            if count >= plan.max_items or (count >= plan.min_items and self._closes(prompt, text + out, ",")):
                return out + "]"
            out += ","

    def _closes(self, prompt: DecodeState, text: str, alternatives: str) -> bool:
        """Whether the model would rather write `]` next than a token starting with one of `alternatives`."""
        state = self._extend(prompt, self._encode(text))
        others = torch.cat(
            [self._ids_starting_with(c) for c in alternatives]
            + [self._ids_starting_with(" " + c) for c in alternatives]
        )
        closing = self._ids_starting_with("]")
        if others.numel() == 0 or closing.numel() == 0:
            return closing.numel() > 0
        return float(torch.logsumexp(state.logprobs[closing], 0)) > float(torch.logsumexp(state.logprobs[others], 0))

    @staticmethod
    def _item_openers(plan: ValuePlan) -> str:
        if plan.kind == "choice":
            return "".join(sorted({c[0] for c in plan.candidates_json()}))
        return {"string": '"', "object": "{", "array": "["}.get(plan.kind, "-0123456789") + (
            "n" if plan.nullable else ""
        )

    def _prefers_null(self, state: DecodeState, plan: ValuePlan, lead: str) -> bool:
        null_first = self._encode(lead + "null")[0]
        if plan.kind == "string":
            starts = self._ids_starting_with(lead + '"')
        else:
            integer = plan.kind == "integer"
            ids = [i for i, t in self._numeric() if number_prefix_ok(t, integer, lead) and t.strip()]
            starts = torch.tensor(ids, dtype=torch.long)
        if starts.numel() == 0:
            return True
        return float(state.logprobs[null_first]) > float(torch.logsumexp(state.logprobs[starts], dim=0))

    def _string(self, state: DecodeState, plan: ValuePlan, lead: str) -> str:
        """Greedy text after an opening quote, up to the closing quote (one line, no backslashes)."""
        opened = self._extend(state, self._encode(lead + '"'))
        cache, logprobs = opened.cache, opened.logprobs
        banned, quote = self._string_masks()
        ids: list[int] = []
        text = ""
        for _ in range(STRING_MAX_TOKENS):
            scores = logprobs.masked_fill(banned, -math.inf)
            if len(text) < plan.min_length:
                scores = scores.masked_fill(quote, -math.inf)
            token = int(scores.argmax())
            ids.append(token)
            text = str(self._tokenizer.decode(ids))
            end = text.find('"')
            if end >= 0:
                return text[:end]
            if plan.max_length is not None and len(text) >= plan.max_length:
                break
            logits, cache = self._forward(torch.tensor([[token]]), cache, last_only=True)
            logprobs = torch.log_softmax(logits[0, -1].float(), dim=-1)
        return text

    def _number(self, state: DecodeState, plan: ValuePlan, lead: str, after: str) -> str | None:
        """Greedy number over digit/sign/point tokens, ended when a terminator beats every digit."""
        integer = plan.kind == "integer"
        if after == self._end_text:
            terminators = torch.tensor([self._end_id], dtype=torch.long)
        else:
            terminators = torch.cat([self._ids_starting_with(c) for c in after])
        cache: Any = None
        logprobs = state.logprobs
        text = ""
        for _ in range(NUMBER_MAX_TOKENS):
            allowed = [i for i, t in self._numeric() if number_prefix_ok(text + t, integer, lead)]
            best = max(allowed, key=lambda i: float(logprobs[i])) if allowed else None
            if number_complete(text, integer, lead):
                stop = float(logprobs[terminators].max()) if terminators.numel() else 0.0
                if best is None or stop >= float(logprobs[best]):
                    return text
            if best is None:
                break
            text += self._numeric_text(best)
            if cache is None:
                cache = copy.deepcopy(state.cache)
            logits, cache = self._forward(torch.tensor([[best]]), cache, last_only=True)
            logprobs = torch.log_softmax(logits[0, -1].float(), dim=-1)
        return text if number_complete(text, integer, lead) else None

    # --- vocabulary tables ---------------------------------------------------------------------------

    def _vocab_text(self) -> list[str]:
        if self._token_text is None:
            size = int(self._hf.get_output_embeddings().weight.shape[0])
            known = min(size, len(self._tokenizer))
            texts = [str(t) for t in self._tokenizer.batch_decode([[i] for i in range(known)])]
            special = set(self._tokenizer.all_special_ids)
            for i in special:
                if 0 <= i < known:
                    texts[i] = "\x00special"
            self._token_text = texts + ["\x00unknown"] * (size - known)
        return self._token_text

    def _string_masks(self) -> tuple[torch.Tensor, torch.Tensor]:
        if self._string_banned is None or self._quote_mask is None:
            texts = self._vocab_text()
            self._string_banned = torch.tensor(
                [("\n" in t or "\r" in t or "\\" in t or "\x00" in t or not t) for t in texts]
            )
            self._quote_mask = torch.tensor(['"' in t for t in texts])
        return self._string_banned, self._quote_mask

    def _numeric(self) -> list[tuple[int, str]]:
        if self._numeric_tokens is None:
            self._numeric_tokens = [(i, t) for i, t in enumerate(self._vocab_text()) if t and set(t) <= _NUMERIC_CHARS]
        return self._numeric_tokens

    def _numeric_text(self, token: int) -> str:
        return self._vocab_text()[token]

    def _ids_starting_with(self, prefix: str) -> torch.Tensor:
        found = self._prefix_ids.get(prefix)
        if found is None:
            ids = [i for i, t in enumerate(self._vocab_text()) if t.startswith(prefix)]
            found = torch.tensor(ids, dtype=torch.long)
            self._prefix_ids[prefix] = found
        return found
