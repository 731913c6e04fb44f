"""The one place the lessons corpus and the tutor import the shared retrieval engine (`common.retrieval`, issue 16)."""

from common.retrieval import (
    EMBEDDING_DIM,
    MODEL_NAME,
    Doc,
    Hit,
    HybridIndex,
    embed_text,
    embed_texts,
    get_index,
    register_corpus,
    tokenize,
)
from common.retrieval.precise import PRECISE_DIM, PRECISE_MODEL_NAME, decode_precise, embed_precise_texts

__all__ = [
    "EMBEDDING_DIM",
    "MODEL_NAME",
    "PRECISE_DIM",
    "PRECISE_MODEL_NAME",
    "Doc",
    "Hit",
    "HybridIndex",
    "decode_precise",
    "embed_precise_texts",
    "embed_text",
    "embed_texts",
    "get_index",
    "register_corpus",
    "tokenize",
]
