"""One-to-one matching of predicted items to gold items on a similarity matrix.

The Hungarian algorithm (Kuhn–Munkres, with potentials; O(n²m)) picks the
pairing with the greatest total similarity among pairs at or above a
threshold, so one long predicted quote cannot be credited for two gold quotes,
and a good pair is never given up for a greedy one. Pure Python: documents have
tens of items, not thousands.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["Pair", "match"]


@dataclass(frozen=True)
class Pair:
    """A matched pair: indices into the gold and predicted lists, and their similarity."""

    gold: int
    pred: int
    score: float


def match(similarity: Sequence[Sequence[float]], threshold: float) -> list[Pair]:
    """Pairs (gold row, predicted column) maximising total similarity, each ≥ ``threshold``.

    ``similarity[g][p]`` is how alike gold item ``g`` and predicted item ``p``
    are; pairs below the threshold (or at zero) are never matched. Returned in
    gold order.
    """
    rows = len(similarity)
    cols = len(similarity[0]) if rows else 0
    if rows == 0 or cols == 0:
        return []
    weight = [[s if s >= threshold and s > 0 else 0.0 for s in similarity[g][:cols]] for g in range(rows)]
    transposed = rows > cols
    if transposed:  # the algorithm assigns every row, so rows must be the shorter side
        weight = [list(col) for col in zip(*weight, strict=True)]
    assignment = _hungarian_max(weight)
    pairs = []
    for r, c in enumerate(assignment):
        g, p = (c, r) if transposed else (r, c)
        score = similarity[g][p]
        if score >= threshold and score > 0:
            pairs.append(Pair(g, p, score))
    return sorted(pairs, key=lambda pair: pair.gold)


def _hungarian_max(weight: list[list[float]]) -> list[int]:
    """For each row, the column it is assigned to, maximising total weight (rows ≤ columns).

    The textbook loops, with each step's row and the columns not yet reached read once
    (the same arithmetic in the same order, so the same assignment, ties included).
    """
    n, m = len(weight), len(weight[0])
    inf = float("inf")
    cost = [[0.0, *(-w for w in row)] for row in weight]  # 1-based columns, as u, v and owner
    u = [0.0] * (n + 1)
    v = [0.0] * (m + 1)
    owner = [0] * (m + 1)  # owner[j]: the row (1-based) holding column j; 0 = free
    way = [0] * (m + 1)
    for i in range(1, n + 1):
        owner[0] = i
        j0 = 0
        minv = [inf] * (m + 1)
        reached = [0]  # the columns of the alternating tree, in the order they were reached
        free = list(range(1, m + 1))  # the others, in column order
        while True:
            i0 = owner[j0]
            row, ui = cost[i0 - 1], u[i0]
            delta = inf
            j1 = 0
            for j in free:
                cur = row[j] - ui - v[j]
                if cur < minv[j]:
                    minv[j] = cur
                    way[j] = j0
                if minv[j] < delta:
                    delta = minv[j]
                    j1 = j
            for j in reached:
                u[owner[j]] += delta
                v[j] -= delta
            for j in free:
                minv[j] -= delta
            j0 = j1
            if owner[j0] == 0:
                break
            free.remove(j0)
            reached.append(j0)
        while True:
            j1 = way[j0]
            owner[j0] = owner[j1]
            j0 = j1
            if j0 == 0:
                break
    assignment = [0] * n
    for j in range(1, m + 1):
        if owner[j]:
            assignment[owner[j] - 1] = j - 1
    return assignment
