"""The shared retrieval engine: one hybrid (lexical + dense) index per corpus per process.

Generic: it imports no app. Each app registers its corpus from its AppConfig.ready() with `register_corpus` and
reads it with `get_index`. See docs/retrieval.md and /work/issues/RETRIEVAL_API.md for the contract.
"""

from common.retrieval.embedding import (
    EMBEDDING_DIM,
    MODEL_NAME,
    decode_vector,
    embed_text,
    embed_texts,
    encode_vector,
)
from common.retrieval.index import Doc, Hit, HybridIndex
from common.retrieval.precise import (
    PRECISE_DIM,
    PRECISE_MODEL_NAME,
    decode_precise,
    embed_precise_text,
    embed_precise_texts,
)
from common.retrieval.registry import get_index, index_builds, register_corpus, registered_corpora
from common.retrieval.text import tokenize

__all__ = [
    "EMBEDDING_DIM",
    "MODEL_NAME",
    "PRECISE_DIM",
    "PRECISE_MODEL_NAME",
    "Doc",
    "Hit",
    "HybridIndex",
    "decode_precise",
    "decode_vector",
    "embed_precise_text",
    "embed_precise_texts",
    "embed_text",
    "embed_texts",
    "encode_vector",
    "get_index",
    "index_builds",
    "register_corpus",
    "registered_corpora",
    "tokenize",
]
