"""Split long documents into overlapping runs of sentences that fit the model.

Each chunk is a range of whole sentences; consecutive chunks share a few
sentences so that a statement cut by a boundary is whole in one of them.
Offsets stay global: chunks only choose which sentences the model sees, and
grounding always searches the whole document's text.
"""

from __future__ import annotations

from claimx.document import Document

__all__ = ["estimate_tokens", "plan_chunks"]


def estimate_tokens(text: str) -> int:
    """A cheap, conservative token count: ~4 ASCII characters per token, 1 per other character."""
    ascii_chars = len(text.encode("ascii", "ignore"))
    return ascii_chars // 4 + (len(text) - ascii_chars) + 1


def plan_chunks(document: Document, budget_tokens: int, overlap: int = 2) -> list[tuple[int, int]]:
    """Sentence-number ranges (inclusive) whose text fits ``budget_tokens`` each.

    Every sentence is in at least one chunk; neighbouring chunks share up to
    ``overlap`` sentences; a sentence longer than the budget is a chunk alone.
    """
    sentences = document.sentences
    costs = [estimate_tokens(s.text) + 4 for s in sentences]  # +4: the "[S12] " label and newline
    if sum(costs) <= budget_tokens:
        return [(1, len(sentences))]
    chunks: list[tuple[int, int]] = []
    first = 0
    while first < len(sentences):
        total, last = 0, first
        while last < len(sentences) and (last == first or total + costs[last] <= budget_tokens):
            total += costs[last]
            last += 1
        chunks.append((first + 1, last))  # 1-based, inclusive
        if last >= len(sentences):
            break
        first = max(first + 1, last - overlap)
    return chunks
