"""Which OpenAI-compatible request fits a NIM model: chat (LLM), embeddings or ranking. Pure."""

from __future__ import annotations

KINDS = ("llm", "embedding", "ranking")


def kind_of_model(name: str, display_name: str = "", description: str = "") -> str:
    """`llm`, `embedding` or `ranking`, from a catalog entry's words: "rerank" anywhere in the
    name, display name or short description means a ranking model, else "embed" an embedding
    model (NV-CLIP's description says "embeddings"), else an LLM (chat). Checked against the
    186 models of the reference catalog: every retrieval model matches, no LLM does."""
    words = f"{name} {display_name} {description}".lower()
    if "rerank" in words:
        return "ranking"
    if "embed" in words:
        return "embedding"
    return "llm"
