"""Dense text embeddings from a static token-embedding model that ships inside a PyPI wheel.

The model is WordLlama `l2_supercat` (the `wordllama` package ships its 32k × 256 float16 token table and its
tokenizer inside the wheel, 16 MB): a text's vector is the mean of its tokens' vectors, truncated to the first
EMBEDDING_DIM dimensions (the model is trained Matryoshka-style, so a prefix is itself an embedding) and
L2-normalised. numpy and `tokenizers` only: no torch, nothing downloaded, ~0.1 ms a text. The files are read here
directly (not through `wordllama.WordLlama.load`, which tries the network for the tokenizer).

Vectors are stored compactly as float16 bytes (`encode_vector` / `decode_vector`): 256 bytes a row at 128
dimensions.
"""

import json
import struct
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

MODEL_NAME = "wordllama-l2-supercat-128"
EMBEDDING_DIM = 128
MAX_TOKENS = 256  # a long description's first tokens carry its topic; bounds the cost of embedding one text

_lock = threading.Lock()
_model: "tuple[object, np.ndarray] | None" = None


def _package_dir() -> Path:
    import wordllama  # the wheel that carries the weights

    return Path(wordllama.__file__).resolve().parent


def _read_safetensors(path: Path) -> dict[str, np.ndarray]:
    """The tensors of a .safetensors file (an 8-byte header length, a JSON header, then raw little-endian data)."""
    dtypes = {"F16": np.float16, "F32": np.float32}
    raw = path.read_bytes()
    (header_len,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + header_len])
    tensors = {}
    for name, spec in header.items():
        if name == "__metadata__":
            continue
        start, end = spec["data_offsets"]
        data = np.frombuffer(raw, dtype=dtypes[spec["dtype"]], offset=8 + header_len + start, count=-1)
        count = (end - start) // data.itemsize
        tensors[name] = data[:count].reshape(spec["shape"])
    return tensors


def _load() -> "tuple[object, np.ndarray]":
    global _model
    if _model is None:
        with _lock:
            if _model is None:
                from tokenizers import Tokenizer

                root = _package_dir()
                tokenizer = Tokenizer.from_file(str(root / "tokenizers" / "l2_supercat_tokenizer_config.json"))
                tokenizer.no_padding()
                tokenizer.enable_truncation(MAX_TOKENS)
                table = _read_safetensors(root / "weights" / "l2_supercat_256.safetensors")["embedding.weight"]
                # Only the Matryoshka prefix is kept, as float32 for fast sums: 32000 × 128 × 4 = 16 MB.
                _model = (tokenizer, np.ascontiguousarray(table[:, :EMBEDDING_DIM], dtype=np.float32))
    return _model


def embed_texts(texts: Sequence[str]) -> np.ndarray:
    """float32 (len(texts), EMBEDDING_DIM), rows L2-normalised (a text with no token gives a zero row)."""
    out = np.zeros((len(texts), EMBEDDING_DIM), dtype=np.float32)
    if not texts:
        return out
    tokenizer, table = _load()
    encodings = tokenizer.encode_batch([t or "" for t in texts], add_special_tokens=False)  # type: ignore[attr-defined]
    lengths = np.fromiter((len(e.ids) for e in encodings), dtype=np.int64, count=len(encodings))
    if lengths.sum() == 0:
        return out
    ids = np.concatenate([np.asarray(e.ids, dtype=np.int64) for e in encodings if e.ids])
    nonempty = np.flatnonzero(lengths)
    starts = np.concatenate([[0], np.cumsum(lengths[nonempty])[:-1]])
    sums = np.add.reduceat(table[ids], starts, axis=0)
    norms = np.linalg.norm(sums, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    out[nonempty] = sums / norms
    return out


def embed_text(text: str) -> np.ndarray:
    """float32 (EMBEDDING_DIM,), L2-normalised."""
    return embed_texts([text])[0]


def encode_vector(vector: np.ndarray) -> bytes:
    """A vector as stored with a row: float16 little-endian bytes."""
    return np.asarray(vector, dtype="<f2").tobytes()


def decode_vector(data: bytes | memoryview | None, dim: int = EMBEDDING_DIM) -> np.ndarray | None:
    """A stored vector back as float32 (None when absent or not of `dim` values: another model's)."""
    if not data:
        return None
    vector = np.frombuffer(bytes(data), dtype="<f2")
    if vector.shape[0] != dim:
        return None
    return vector.astype(np.float32)
